"""The one rule for a web address anywhere in Isnad: an article's `url` field on import, the
link shown beside a citation, and a page fetched by "add from a URL" / `rag ingest URL`.

An address is accepted when it is http:// or https:// and has a valid host name; anything else
(javascript:, data:, file:, a bare word, a host with spaces) is refused with the reason. Spaces
(also no-break spaces, common in copied Arabic addresses) and control characters in the rest of
the address are percent-encoded, as a browser does, so such an article keeps its link. Whether the
host may be *fetched* (public addresses only) is fetch.py's separate check.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from ..errors import InputError


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
    raw_netloc = re.split(r"[/?#]", url.split("//", 1)[1] if "//" in url else "", maxsplit=1)[0]
    if _UNSAFE.search(raw_netloc) or "%" in host:  # (urlsplit drops tabs and newlines by itself)
        raise InputError(f"{url!r}: the host name holds spaces or control characters; copy the address again "
                         "from the browser")
    return _UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)


_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")  # whitespace (any script's) and control characters


def safe_url(url: object) -> str | None:
    """The address if check_url accepts it, else None: what may become a link on the page."""
    if url is None:
        return None
    try:
        return check_url(url)
    except InputError:
        return None
