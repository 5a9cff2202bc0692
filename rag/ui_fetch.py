"""Fetch one web page for "add from a URL": http(s) only, bounded in time and size.

Redirects are followed only to http(s) addresses (urllib would otherwise follow one to ftp:),
and the body is read in pieces so a huge page is refused before it fills memory.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from email.message import Message
from urllib.parse import urlsplit

from .errors import InputError
from .loaders import decode_bytes, make_id, parse_html, parse_text
from .types import Article

USER_AGENT = "Isnad/0.1 (+article import)"
TIMEOUT_S = 20.0
_PIECE = 64 * 1024


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    body: bytes
    content_type: str
    charset: str | None


def check_url(url: str) -> str:
    """The URL, stripped, if it is an http(s) address with a host; else an InputError saying why."""
    url = (url or "").strip()
    if not url:
        raise InputError("enter the address of a page, e.g. https://example.com/news/article.html")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise InputError(f"{url!r} is not a valid address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "no scheme"
        raise InputError(f"only http:// and https:// addresses can be fetched, not {shown}; "
                         "to add a local file use the upload box")
    if not parts.hostname:
        raise InputError(f"{url!r} has no host name; give the full address, e.g. https://example.com/page")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise InputError("the address contains spaces or control characters; copy it again from the browser")
    return url


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        try:
            check_url(newurl)
        except InputError as exc:
            raise InputError(f"the page redirects to {newurl!r}: {exc.reason}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, max_bytes: int, timeout: float = TIMEOUT_S) -> Page:
    """GET `url`; InputError for a refused address, an HTTP or network error, or a page over max_bytes."""
    url = check_url(url)
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "text/html,text/plain,*/*"})
    limit_mb = max_bytes / (1024 * 1024)
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InputError(f"the page is {int(declared) / 1048576:.1f} MB, over the {limit_mb:.0f} MB limit "
                                 "(RAG_MAX_UPLOAD_MB)")
            chunks, size = [], 0
            while piece := response.read(_PIECE):
                size += len(piece)
                if size > max_bytes:
                    raise InputError(f"the page is over the {limit_mb:.0f} MB limit (RAG_MAX_UPLOAD_MB)")
                chunks.append(piece)
            headers: Message = response.headers
            return Page(response.geturl(), b"".join(chunks), headers.get_content_type(),
                        headers.get_content_charset())
    except urllib.error.HTTPError as exc:
        raise InputError(f"the server answered {exc.code} {exc.reason} for {url}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, InputError):
            raise reason from None
        raise InputError(f"could not reach {url} ({reason})") from None
    except TimeoutError:
        raise InputError(f"{url} did not answer within {timeout:.0f} s") from None
    except OSError as exc:
        raise InputError(f"could not read {url} ({exc})") from None


def page_article(page: Page) -> Article:
    """Turn a fetched page into an article: HTML goes through the main-text extractor."""
    text = None
    if page.charset:
        try:
            text = page.body.decode(page.charset).replace("\r\n", "\n").strip()
        except (LookupError, UnicodeDecodeError):
            text = None  # a wrong declared charset: let the sniffing decoder try
    if not text:
        text = decode_bytes(page.body, page.url)
    if page.content_type == "text/plain":
        article = parse_text(text, source=page.url, default_id="")
        article = replace(article, url=article.url or page.url)
    else:
        article = parse_html(text, source=page.url, default_id="", url=page.url)
    # A content id: fetching the same page twice finds it unchanged instead of adding a copy.
    return replace(article, id=make_id(article.text)) if not article.id else article
