"""The Gradio web app: layout and wiring only. Rendering lives in render/article,
behaviour in handlers; this module connects them to components.

Citation clicks: markers are `<a class="cite">` links inside server-rendered HTML; the chat's
`js_on_load` script turns a click into a custom `cite` event carrying (turn, kind, n), and the
server answers with the sources panel and the article with the span in `<mark id="cite-mark">`.

`rag.settings.apply_offline_env()` must run before this module is imported (it imports gradio).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..engine import Isnad
from ..errors import RagError
from .article import EMPTY_LIBRARY_VIEWER, EMPTY_VIEWER
from .handlers import Handlers
from .render import render_chat, render_sources
from .style import asset, font_files, page_css

SEED_QUESTIONS = [["من توسط بين أرمينيا وأذربيجان؟"], ["Who mediated between Armenia and Azerbaijan?"],
                  ["ومتى حدث ذلك؟"]]
HEADER = """<div id="isnad-header"><h1><span>Isnad</span><span class="ar" lang="ar" dir="rtl">إسناد</span></h1>
<p>Answers quoted from your news articles, every sentence with its source.
<span class="ar" lang="ar" dir="rtl">إجابات مقتبسة من المقالات، لكل جملة مصدرها.</span></p></div>"""
PROGRESS = gr.Progress()  # Gradio finds the progress bar by this default value
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
# One writer at a time: adds and deletes share this concurrency group; questions run beside them.
WRITES: dict[str, Any] = {"concurrency_id": "index-writes", "concurrency_limit": 1}


def build_app(isnad: Isnad) -> tuple[gr.Blocks, dict[str, Any]]:
    """The Blocks app and the keyword arguments its `launch()` needs (css, theme, static files)."""
    h = Handlers(isnad)
    with gr.Blocks(title="Isnad · إسناد", fill_width=False) as demo:
        gr.HTML(HEADER, js_on_load=None)
        with gr.Tabs():
            with gr.Tab("Ask · اسأل", id="ask"):
                _ask_tab(h)
            with gr.Tab("Library · المكتبة", id="library") as library_tab:
                query, table = _library_tab(h)
            with gr.Tab("Add articles · أضف مقالات", id="add"):
                feed_list, added = _add_tab(h)
            with gr.Tab("Check a claim · تحقق من خبر", id="check"):
                _check_tab(h)
        # The list is re-read whenever it may have changed: on load, on opening the tab, after adds.
        library_tab.select(h.library, [query], [table], show_progress="hidden", **PRIVATE)
        for event in added:
            event.then(h.library, [query], [table], show_progress="hidden", **PRIVATE)
        demo.load(h.library, [query], [table], show_progress="hidden", **PRIVATE)
        # filled on load, privately (a component value given as a function would be an API endpoint)
        demo.load(h.feeds, None, [feed_list], show_progress="hidden", **PRIVATE)
        _api(h)
    theme = gr.themes.Default(primary_hue="teal", secondary_hue="amber", neutral_hue="slate")
    launch = {"css": page_css(), "theme": theme, "allowed_paths": [str(p) for p in font_files()]}
    return demo, launch


def _ask_tab(h: Handlers) -> None:
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            chat = gr.HTML(render_chat([]), elem_id="chat", js_on_load=asset("chat.js"), max_height=620,
                           min_height=320, container=True, padding=True)
            with gr.Row():
                question = gr.Textbox(show_label=False, elem_id="question", scale=5, lines=1, max_lines=4,
                                      placeholder="اكتب سؤالك… · Type your question…", autofocus=True)
                ask = gr.Button("Ask · اسأل", variant="primary", elem_id="ask-btn", scale=1, min_width=110)
            with gr.Row(equal_height=False):
                with gr.Column(scale=4):
                    gr.Examples(SEED_QUESTIONS, inputs=[question], label="Try · جرّب")
                with gr.Column(scale=1, min_width=220):
                    clear = gr.Button("New conversation · محادثة جديدة", size="sm", elem_id="clear-btn")
                    # Shown only when a language model generates answers (RAG_LLM_BASE_URL).
                    extractive = gr.Checkbox(False, label="Quote the articles only · اقتباس فقط",
                                             elem_id="extractive", visible=bool(h.isnad.settings.llm_base_url))
        with gr.Column(scale=2, min_width=320):
            sources = gr.HTML(render_sources([]), elem_id="sources", js_on_load=asset("chat.js"),
                              container=True, padding=True, max_height=380)
            viewer = gr.HTML(EMPTY_VIEWER, elem_id="viewer", js_on_load=asset("viewer.js"),
                             container=True, padding=True)
    outputs = [chat, turns, sources, question]
    for trigger in (question.submit, ask.click):
        trigger(h.ask_stream, [question, turns, extractive], outputs, show_progress="hidden", **PRIVATE)
    clear.click(h.clear, None, [chat, turns, sources, viewer], **PRIVATE)

    def open_cite(state: list, evt: gr.EventData) -> tuple[str, str]:
        return h.open_cite(state, evt._data or {})

    for panel in (chat, sources):
        panel.cite(open_cite, [turns], [sources, viewer], show_progress="hidden", **PRIVATE)  # type: ignore[attr-defined]


def _library_tab(h: Handlers) -> tuple[gr.Textbox, gr.HTML]:
    pending = gr.State(None)  # the id whose deletion awaits confirmation
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            with gr.Row():
                query = gr.Textbox(show_label=False, placeholder="Search titles · ابحث في العناوين",
                                   elem_id="library-search", scale=4)
                refresh = gr.Button("Search · ابحث", elem_id="library-search-btn", scale=1, min_width=100)
            with gr.Group(visible=False, elem_id="confirm-box") as confirm_box:
                confirm_text = gr.HTML("", js_on_load=None)
                with gr.Row():
                    confirm = gr.Button("Delete · احذف", variant="stop", elem_id="confirm-delete")
                    cancel = gr.Button("Cancel · إلغاء", elem_id="cancel-delete")
            table = gr.HTML("", elem_id="library", js_on_load=asset("library.js"))
        with gr.Column(scale=2, min_width=320):
            viewer = gr.HTML(EMPTY_LIBRARY_VIEWER, elem_id="library-viewer", js_on_load=asset("viewer.js"),
                             container=True, padding=True)
    gr.on([query.submit, refresh.click], h.library, [query], [table], show_progress="hidden", **PRIVATE)

    def action(evt: gr.EventData) -> tuple[str, str | None, str, Any]:
        html, article_id, text = h.library_action(evt._data or {})
        return html, article_id, text, gr.update(visible=article_id is not None)

    table.library(action, None, [viewer, pending, confirm_text, confirm_box], **PRIVATE)  # type: ignore[attr-defined]

    def do_delete(article_id: str | None, q: str) -> tuple[str, str | None, str, str, Any]:
        return (*h.delete(article_id, q), gr.update(visible=False))

    confirm.click(do_delete, [pending, query], [table, pending, confirm_text, viewer, confirm_box],
                  **WRITES, **PRIVATE)
    cancel.click(lambda: (None, "", gr.update(visible=False)), None, [pending, confirm_text, confirm_box], **PRIVATE)
    return query, table


def _add_tab(h: Handlers) -> tuple[gr.HTML, list[Any]]:
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            gr.Markdown("### Paste an article · الصق مقالاً")
            title = gr.Textbox(label="Title · العنوان", elem_id="paste-title", rtl=False)
            text = gr.Textbox(label="Text · النص", lines=8, max_lines=20, elem_id="paste-text")
            with gr.Row():
                date = gr.Textbox(label="Date · التاريخ (YYYY-MM-DD)", elem_id="paste-date")
                source = gr.Textbox(label="Source · المصدر", elem_id="paste-source")
                url = gr.Textbox(label="URL · الرابط", elem_id="paste-url")
            paste = gr.Button("Add article · أضف المقال", variant="primary", elem_id="paste-btn")
            paste_result = gr.HTML("", elem_id="paste-result", js_on_load=None)
        with gr.Column(scale=2, min_width=320):
            gr.Markdown("### Upload files · ارفع ملفات\n.txt .md .html .jsonl .jsonl.gz")
            files = gr.File(file_count="multiple", file_types=[".txt", ".md", ".html", ".htm", ".jsonl", ".gz"],
                            label="Files · الملفات", elem_id="upload")
            upload = gr.Button("Import · استورد", variant="primary", elem_id="upload-btn")
            upload_result = gr.HTML("", elem_id="upload-result", js_on_load=None)
            gr.Markdown("### Add from a web address · أضف من رابط")
            page_url = gr.Textbox(show_label=False, placeholder="https://…", elem_id="fetch-url")
            fetch = gr.Button("Fetch and add · اجلب وأضف", elem_id="fetch-btn")
            fetch_result = gr.HTML("", elem_id="fetch-result", js_on_load=None)
            gr.Markdown("### Feeds · الخلاصات\nRSS or Atom: new entries become articles; the app refreshes each "
                        "feed at its interval · تضاف الأخبار الجديدة تلقائياً")
            feed_url = gr.Textbox(show_label=False, placeholder="https://…/rss", elem_id="feed-url")
            with gr.Row():
                feed_every = gr.Number(value=60, precision=0, minimum=1, label="Every (min) · كل (دقيقة)",
                                       elem_id="feed-every")
                feed_source = gr.Textbox(label="Source · المصدر", elem_id="feed-source")
            with gr.Row():
                feed_add = gr.Button("Subscribe and fetch · اشترك واجلب", elem_id="feed-add-btn")
                feed_refresh = gr.Button("Refresh all · حدّث الكل", elem_id="feed-refresh-btn")
            feed_list = gr.HTML("", elem_id="feed-list", js_on_load=None)

    def import_files(paths: list[str] | None, progress: gr.Progress = PROGRESS) -> str:
        def report(done: int, total: int) -> None:
            progress((done, total), desc="Indexing", unit="articles")

        progress(0.0, desc="Reading files")  # the bar shows before the first batch ends
        return h.import_files(paths, report)

    return feed_list, [
        paste.click(h.add_pasted_html, [title, text, date, source, url], [paste_result], **WRITES,
                    **PRIVATE),
        upload.click(import_files, [files], [upload_result], **WRITES, **PRIVATE),
        gr.on([fetch.click, page_url.submit], h.add_url, [page_url], [fetch_result], **WRITES,
              **PRIVATE),
        gr.on([feed_add.click, feed_url.submit], h.subscribe_feed, [feed_url, feed_every, feed_source], [feed_list],
              **WRITES, **PRIVATE),
        feed_refresh.click(h.refresh_feeds, None, [feed_list], **WRITES, **PRIVATE),
    ]


def _check_tab(h: Handlers) -> None:
    gr.Markdown("A sentence to check against the articles: **supported** by a passage that states it with the same "
                "numbers, dates, names and polarity; **contradicted** by one about the same thing that states "
                "something else (what differs is named and highlighted); or **not found**.")
    claim = gr.Textbox(label="Claim · الخبر", lines=2, max_lines=6, elem_id="claim")
    article = gr.Textbox(label="Only in article (id, optional) · في مقال واحد", elem_id="claim-article")
    check = gr.Button("Check · تحقق", variant="primary", elem_id="check-btn")
    result = gr.HTML(elem_id="claim-result")
    gr.on([check.click, claim.submit], h.check_claim, [claim, article], [result], **PRIVATE)


def _api(h: Handlers) -> None:
    def ask(question: str, history: list[str] | None = None) -> dict:
        """Answer a question from the Isnad news archive (mostly Arabic articles) with cited, verbatim quotes.

        Args:
            question: the question, in Arabic or English
            history: earlier questions of the conversation, oldest first, for follow-ups such as "ومتى حدث ذلك؟"
        """
        try:
            return h.api_ask(question, history)
        except RagError as exc:  # an empty or over-long question: the client sees the message
            raise gr.Error(str(exc)) from exc

    def add_article(title: str, text: str, date: str = "", source: str = "", url: str = "") -> dict:
        """Add one news article to the archive; returns {"status": "added"|"replaced"|"unchanged", "id", ...}.

        Args:
            title: the article's title
            text: the article's full text
            date: publication date, YYYY-MM-DD
            source: the publisher
            url: where it was published
        """
        return h.add_pasted(title, text, date, source, url).as_json()

    def verify(claim: str, article_id: str = "") -> dict:
        """Check whether a claim is supported by the news archive: the verbatim supporting span, or why not.

        Args:
            claim: one sentence, in Arabic or English
            article_id: check against this article only (optional)
        """
        try:
            return h.api_verify(claim, article_id)
        except RagError as exc:
            raise gr.Error(str(exc)) from exc

    def add_feed(url: str, every_minutes: int = 60, source: str = "") -> dict:
        """Subscribe the archive to an RSS or Atom feed and fetch it now; its new entries become articles.

        Args:
            url: the feed's address (http or https)
            every_minutes: how often the running app refreshes it
            source: the outlet's name for its articles (default: the host name)
        """
        try:
            return h.api_add_feed(url, every_minutes, source)
        except RagError as exc:
            raise gr.Error(str(exc)) from exc

    gr.api(ask, api_name="ask")
    gr.api(verify, api_name="verify")
    gr.api(add_article, api_name="add_article", **WRITES)
    gr.api(add_feed, api_name="add_feed", **WRITES)
