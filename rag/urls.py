"""The one rule for a web address anywhere in Isnad: an article's `url` field on import, the
link shown beside a citation, and a page fetched by "add from a URL" / `rag ingest URL`.

An address is accepted when it is http:// or https://, has a host name, and holds no spaces or
control characters; anything else (javascript:, data:, file:, a bare word) is refused with the
reason. Whether the host may be *fetched* (public addresses only) is ui_fetch's separate check.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .errors import InputError


def check_url(url: object) -> str:
    """The address, stripped, if it is a usable http(s) URL; else an InputError saying why."""
    if not isinstance(url, str):
        raise InputError(f"an address must be text, not {url!r}")
    url = url.strip()
    if not url:
        raise InputError("enter the address of a page, e.g. https://example.com/news/article.html")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise InputError(f"{url!r} is not a valid address ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        what = f"not {scheme}:" if scheme else f"{url!r} has no http:// or https:// at the start"
        raise InputError(f"only http:// and https:// addresses are accepted, {what}; give the full "
                         "address, e.g. https://example.com/news/article.html (a local file: use the upload)")
    if not host:
        raise InputError(f"{url!r} has no host name; give the full address, e.g. https://example.com/page")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InputError("the address contains spaces or control characters; copy it again from the browser")
    return url


def safe_url(url: object) -> str | None:
    """The address if check_url accepts it, else None: what may become a link on the page."""
    if url is None:
        return None
    try:
        return check_url(url)
    except InputError:
        return None
