"""`python -m rag …`: a thin command line over `Isnad`. Parses, calls, prints.

Exit status: 0 success, 1 something failed (bad files, unanswerable batch lines), 2 a usage or
setup error (the message says what to do).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .contract import answer_json
from .errors import InputError, RagError
from .settings import Settings, apply_offline_env, settings_help
from .types import Filters


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rag",
        description="Isnad: cited answers over Arabic news articles.",
        epilog="Settings (environment variables; flags override them):\n" + settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.add_argument("--db", help="index folder (default: RAG_DB_DIR or ~/.local/share/isnad/db)")
        return p

    p = add("ingest", "add articles from files or folders (.txt .md .html .jsonl .jsonl.gz) or web pages "
                      "(http(s) URLs)")
    p.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = add("ask", "answer a question with cited passages")
    p.add_argument("question", nargs="?", help="the question (or use --batch)")
    p.add_argument("--k", type=int, help="passages to retrieve (default: RAG_K)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--batch", metavar="FILE.jsonl", help='questions, one {"id", "question"} per line')
    p.add_argument("--extractive", action="store_true",
                   help="quote the articles even when a language model is configured (RAG_LLM_BASE_URL)")
    p.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    p.add_argument("--since", help="only articles dated on or after YYYY-MM-DD")
    p.add_argument("--until", help="only articles dated on or before YYYY-MM-DD")

    p = add("verify", "check a claim against the articles: the supporting span, or why it is not supported")
    p.add_argument("claim", nargs="?", help="the claim, one sentence (or use --batch)")
    p.add_argument("--article", help="check against this article only (its id)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.add_argument("--batch", metavar="FILE.jsonl", help='claims, one {"id", "claim", "article_id"?} per line')

    p = add("export", "write every article as JSONL (the fields `ingest` reads)")
    p.add_argument("--out", help="file to write (default: standard output)")
    p.add_argument("--feeds", metavar="FILE.jsonl",
                   help="also write the feed subscriptions here (`feed add --from` reads them back)")

    p = add("check", "do the article store, the lexical index and Chroma agree? exit 0 only when healthy")
    p.add_argument("--repair", action="store_true", help="fix what is found (re-index from the vector cache)")
    p.add_argument("--json", action="store_true")

    p = add("show", "print one article")
    p.add_argument("article_id")
    p.add_argument("--json", action="store_true")

    p = add("list", "list the stored articles")
    p.add_argument("--json", action="store_true")
    p.add_argument("--title", default="", help="only titles containing this text")

    p = add("delete", "remove an article from every index")
    p.add_argument("article_id")

    p = add("info", "settings in force and index counts")
    p.add_argument("--json", action="store_true")

    p = add("feed", "subscribe to RSS/Atom feeds: their new entries become articles")
    feed = p.add_subparsers(dest="feed_command", required=True)
    f = feed.add_parser("add", help="subscribe to a feed (its entries are added at the first refresh)")
    f.add_argument("url", nargs="?")
    f.add_argument("--from", dest="from_file", metavar="FILE.jsonl",
                   help='subscribe to every feed of a file written by `export --feeds` ({"url", "source", '
                        '"every_minutes"} per line)')
    f.add_argument("--every", type=int, default=60, help="minutes between refreshes by the running app (60)")
    f.add_argument("--source", default="", help="the outlet's name for its articles (default: the host name)")
    f = feed.add_parser("list", help="the feeds, with their last fetch, new articles and last error")
    f.add_argument("--json", action="store_true")
    f = feed.add_parser("remove", help="unsubscribe (articles already added stay)")
    f.add_argument("url")
    f = feed.add_parser("refresh", help="fetch one feed, or every feed, now and add the new entries")
    f.add_argument("url", nargs="?")
    f.add_argument("--json", action="store_true")
    for f in feed.choices.values():  # `rag feed add URL --db DIR` as well as `rag feed --db DIR add URL`
        f.add_argument("--db", default=argparse.SUPPRESS, help="index folder")

    sub.add_parser("setup-model", help="download, assemble and verify EmbeddingGemma-300M (idempotent)")
    sub.add_parser("setup-test-llm", help="download, assemble and verify the small GGUF model of the local-LLM "
                                          "tests (1.1 GB; idempotent)")
    return parser


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; run the same command again to finish (finished articles are kept)",
              file=sys.stderr)
        return 130


def _convert_for_openvino(settings: Settings) -> None:
    """At set-up, the OpenVINO conversion the app would otherwise make on its first start."""
    from .embedder import resolve_device
    from .ov_runtime import choose_runtime, convert

    if choose_runtime(settings.embed_runtime, resolve_device(settings.device), settings.model_path).name != "openvino":
        return
    try:
        convert(Path(settings.model_path).expanduser(), log=lambda m: print(m, file=sys.stderr))
    except Exception as exc:  # the app falls back to torch as well; set-up goes on
        print(f"!! OpenVINO conversion failed ({exc}); the model will run in torch", file=sys.stderr)
        return
    import json

    from . import reader_ov
    from .reader import BUILTIN_CONFIG, BUILTIN_WEIGHTS, builtin_files

    # The readers turned on (else converted on the first start that turns one on).
    readers = [builtin_files(settings)] if settings.reader == "builtin" else []
    if settings.verdict_weights:
        folder = Path(settings.verdict_weights).expanduser()
        readers.append((folder / BUILTIN_WEIGHTS.name, folder / BUILTIN_CONFIG.name))
    for weights, config in readers:
        try:
            reader_ov.convert(Path(settings.model_path).expanduser(), weights,
                              json.loads(config.read_text(encoding="utf-8")), log=lambda m: print(m, file=sys.stderr))
        except Exception as exc:
            print(f"!! the OpenVINO conversion of the reader in {weights.parent} failed ({exc}); it will run in "
                  "torch", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    if args.command == "setup-model":
        from .model_fetch import ensure_model
        from .settings import default_model_dir

        ensure_model(default_model_dir(), log=lambda m: print(m, file=sys.stderr))
        _convert_for_openvino(Settings.from_env())
        return 0

    if args.command == "setup-test-llm":
        from .llm_fetch import FILE_NAME, ensure_test_llm
        from .settings import default_model_dir

        ensure_test_llm(default_model_dir().parent / FILE_NAME, log=lambda m: print(m, file=sys.stderr))
        return 0

    from .engine import Isnad

    settings = Settings.from_env(db_dir=getattr(args, "db", None))
    isnad = Isnad(settings)
    if args.command == "ingest":
        return _ingest(isnad, args)
    if args.command == "ask":
        return _ask(isnad, args)
    if args.command == "verify":
        return _verify(isnad, args)
    if args.command == "export":
        return _export(isnad, args)
    if args.command == "feed":
        return _feed(isnad, args)
    if args.command == "check":
        report = isnad.check(repair=args.repair)
        if args.json:
            _print_json(report.as_dict())
        else:
            for line in report.repaired:
                print(f"repaired: {line}")
            for line in report.problems:
                print(f"problem: {line}")
            print(f"{'healthy' if report.ok else 'NOT HEALTHY'}: {report.articles} articles, {report.chunks} chunks, "
                  f"{report.vectors} sentence vectors" + ("" if report.ok or args.repair else
                                                           "; `python -m rag check --repair` fixes it"))
        return 0 if report.ok else 1
    if args.command == "show":
        article = isnad.get(args.article_id)
        if args.json:
            _print_json(asdict(article))
        else:
            meta = " · ".join(x for x in (article.date, article.source, article.url) if x)
            print(f"{article.title}\n{meta}\n\n{article.text}")
        return 0
    if args.command == "list":
        infos = isnad.list_articles(args.title)
        if args.json:
            _print_json([asdict(i) for i in infos])
        else:
            for i in infos:
                print(f"{i.id}\t{i.date or '-'}\t{i.source or '-'}\t{i.chunks} chunks\t{i.title}")
        return 0
    if args.command == "delete":
        isnad.delete(args.article_id)
        print(f"deleted {args.article_id}")
        return 0
    if args.command == "info":
        info = isnad.info()
        if args.json:
            _print_json(info)
        else:
            for key, value in info["settings"].items():  # type: ignore[attr-defined]
                print(f"{key:<26} {value}")
            print("index:", ", ".join(f"{k} {v}" for k, v in info["index"].items()))  # type: ignore[attr-defined]
            print("model runs in:", info["model_runs"])
            print("reader:", info["reader"])
            print("claim names:", info["claim_names"])
            print("claims read by:", info["claim_reading"])
        return 0
    raise AssertionError(args.command)


def _feed(isnad: Any, args: argparse.Namespace) -> int:
    feeds = isnad.feeds
    if args.feed_command == "add":
        if args.from_file:
            return _feeds_from(feeds, args.from_file)
        if not args.url:
            print("error: give a feed URL or --from FILE.jsonl", file=sys.stderr)
            return 2
        feed = feeds.add(args.url, args.every, args.source)
        print(f"subscribed to {feed.url} ({feed.source}, every {feed.every_minutes} min); "
              "`python -m rag feed refresh` fetches it now")
        return 0
    if args.feed_command == "remove":
        feeds.remove(args.url)
        print(f"unsubscribed from {args.url}; its articles stay")
        return 0
    if args.feed_command == "list":
        rows = feeds.all()
        if args.json:
            _print_json([asdict(f) for f in rows])
            return 0
        if not rows:
            print("no feeds; add one with `python -m rag feed add URL`")
        for f in rows:
            last = f"last fetch {f.last_fetch}, {f.last_new} new" if f.last_fetch else "never fetched"
            print(f"{f.url}  ({f.source}, every {f.every_minutes} min; {last})"
                  + (f"\n  last error: {f.last_error}" if f.last_error else ""))
        return 0
    reports = feeds.refresh(args.url)
    if args.json:
        _print_json([asdict(r) for r in reports])
    else:
        for r in reports:
            print(f"{r.url}: {r.status}, {r.new} new, {r.seen} already in the archive")
            for e in r.errors:
                print(f"  error: {e}", file=sys.stderr)
    return 1 if any(r.status == "error" for r in reports) else 0


def _feeds_from(feeds: Any, path: str) -> int:
    """Subscribe to each feed of a JSONL file (what `export --feeds` writes); a bad line is
    reported and skipped, the others are kept."""
    lines = _read_jsonl(path, '{"url", "source", "every_minutes"}')
    if lines is None:
        return 2
    added, failed = 0, 0
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("url"), str):
                raise InputError('expected an object with "url" (and "source", "every_minutes")')
            feeds.add(row["url"], row.get("every_minutes", 60), row.get("source") or "")
            added += 1
        except (ValueError, RagError) as exc:
            failed += 1
            print(f"error: {path} line {n}: {exc}; the line is skipped", file=sys.stderr)
    print(f"subscribed to {added} feeds from {path}" + (f"; {failed} lines skipped" if failed else ""))
    return 1 if failed else 0


def _ingest(isnad: Any, args: argparse.Namespace) -> int:
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=0, unit="article", file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    report = isnad.ingest(args.paths, progress)
    if bar is not None:
        bar.close()
    for error in report.errors:
        print(f"failed: {error}", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


def _ask(isnad: Any, args: argparse.Namespace) -> int:
    filters = Filters(tuple(args.source), args.since, args.until)
    if args.batch:
        return _ask_batch(isnad, args, filters)
    if not args.question:
        print("error: give a QUESTION or --batch FILE.jsonl", file=sys.stderr)
        return 2
    answer = isnad.ask(args.question, args.k, filters, extractive=args.extractive)
    if args.json:
        _print_json(answer_json(answer))
        return 0
    if answer.note:
        print(f"note: {answer.note}", file=sys.stderr)
    print(answer.answer)
    for g in answer.generated:
        if not g.supported:
            print(f"not supported by the articles ({g.reason}): {g.text}", file=sys.stderr)
    for c in answer.citations:
        print(f"[{c.n}] {c.title} ({c.article_id}, {c.start}-{c.end}){' · ' + c.date if c.date else ''}")
    if answer.abstained:
        for p in answer.passages:
            print(f"- {p.title} ({p.article_id}, {p.start}-{p.end}, score {p.score})")
    return 0


def _ask_batch(isnad: Any, args: argparse.Namespace, filters: Filters) -> int:
    def one(item: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(item.get("question"), str):
            raise ValueError('each line must be an object with a "question" string')
        return answer_json(isnad.ask(item["question"], args.k, filters, extractive=args.extractive))

    return _batch(args.batch, '{"id", "question"}', one)


def _batch(path: str, shape: str, one: Any) -> int:
    """Run `one(item)` for every JSONL line of `path`; print one JSON result (with the line's id)
    per line, an error naming file and line for a bad one, and go on. Exit 1 if any line failed."""
    lines = _read_jsonl(path, shape)
    if lines is None:
        return 2
    failed = 0
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        item_id = None
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError(f"each line must be an object {shape}")
            item_id = item.get("id")
            result = {"id": item_id, **one(item)}
        except (ValueError, RagError) as exc:
            failed += 1
            result = {"id": item_id, "error": f"{path}:{lineno}: {exc}"}
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 1 if failed else 0


def _verify(isnad: Any, args: argparse.Namespace) -> int:
    from .contract import verdict_json

    if args.batch:
        return _verify_batch(isnad, args)
    if not args.claim:
        print("error: give a CLAIM or --batch FILE.jsonl", file=sys.stderr)
        return 2
    verdict = isnad.verify(args.claim, args.article)
    if args.json:
        _print_json(verdict_json(verdict))
        return 0
    print(verdict.verdict.upper() + f" ({verdict.reason}; score {verdict.score})")
    for c in verdict.citations or ([verdict.closest] if verdict.closest else []):
        label = {"supported": "supported by", "contradicted": "contradicted by"}.get(verdict.verdict, "closest")
        print(f"{label}: {c.quote}\n  {c.title} ({c.article_id}, {c.start}-{c.end})")
    return 0


def _verify_batch(isnad: Any, args: argparse.Namespace) -> int:
    from .contract import verdict_json

    def one(item: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(item.get("claim"), str):
            raise ValueError('each line must be an object with a "claim" string')
        article_id = item.get("article_id")
        if article_id is not None and not isinstance(article_id, str):
            raise ValueError('"article_id" must be a string when given')
        return verdict_json(isnad.verify(item["claim"], article_id), item.get("id"))

    return _batch(args.batch, '{"id", "claim", "article_id"?}', one)


def _read_jsonl(path: str, shape: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.readlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {path}: {exc}; give a UTF-8 JSONL file of {shape} lines", file=sys.stderr)
        return None


def _export(isnad: Any, args: argparse.Namespace) -> int:
    articles = isnad.export()
    lines = (json.dumps({k: v for k, v in asdict(a).items() if v is not None}, ensure_ascii=False) + "\n"
             for a in articles)
    if not args.out:
        sys.stdout.writelines(lines)
        return _export_feeds(isnad, args.feeds) if args.feeds else 0
    try:
        _write_atomically(args.out, lines)
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    print(f"exported {len(articles)} articles to {args.out}", file=sys.stderr)
    return _export_feeds(isnad, args.feeds) if args.feeds else 0


def _export_feeds(isnad: Any, path: str) -> int:
    rows = [{"url": f.url, "source": f.source, "every_minutes": f.every_minutes} for f in isnad.feeds.all()]
    try:
        _write_atomically(path, (json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    except OSError as exc:
        print(f"error: cannot write {path}: {exc}", file=sys.stderr)
        return 2
    print(f"exported {len(rows)} feeds to {path}", file=sys.stderr)
    return 0


def _write_atomically(path: str, lines: Iterable[str]) -> None:
    tmp = f"{path}.partial"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.writelines(lines)
    os.replace(tmp, path)  # a crash never leaves half a file under the real name


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))
