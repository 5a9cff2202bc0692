"""Getting articles in: files and folders (Markdown, text, HTML, JSONL), web pages, and the one
rule for a web address."""
