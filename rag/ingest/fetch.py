"""Fetch one web page for "add from a URL": http(s) only, public addresses only, bounded in time and size.

Redirects are followed only to http(s) addresses (urllib would otherwise follow one to ftp:),
and the body is read in pieces so a huge page is refused before it fills memory.

Server-side request forgery: a user of a shared instance must not make the server read its own
internal pages (127.0.0.1, 10.x, the cloud metadata address 169.254.169.254, …) and store them as
articles. Every connection — the first and every redirect — resolves the host name itself and
refuses when any address it resolves to is loopback, private, link-local, multicast, reserved or
unspecified (IPv4, IPv6 and IPv4-mapped IPv6); it then connects to an address it checked, so a
name that resolves differently a moment later gains nothing. `allow_private` (RAG_FETCH_PRIVATE=1)
lifts this for an intranet. Proxies from the environment are not used.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from email.message import Message

from ..errors import InputError
from ..types import Article
from .loaders import decode_bytes, make_id, parse_html, parse_text
from .urls import check_url

USER_AGENT = "Isnad/0.1 (+article import)"
TIMEOUT_S = 20.0
_PIECE = 64 * 1024


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    body: bytes
    content_type: str
    charset: str | None
    etag: str | None = None  # validators for a conditional GET of the same URL later
    last_modified: str | None = None
    unchanged: bool = False  # the server answered 304 Not Modified: body is empty



def blocked(address: str) -> str | None:
    """Why the server must not connect to this IP address, or None for a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, hit in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                      ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                      ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if hit:
            return kind
    return None if ip.is_global else "non-public"


def _guarded_connection(allow_private: bool):  # type: ignore[no-untyped-def]
    """socket.create_connection that checks every address the host resolves to, then connects to one."""
    def create(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **_):  # type: ignore[no-untyped-def]
        host, port = address
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise InputError(f"the host name {host!r} cannot be resolved ({exc.strerror})") from None
        if not allow_private:
            for *_, sockaddr in infos:
                why = blocked(sockaddr[0])
                if why:
                    raise InputError(f"{host} resolves to {sockaddr[0]}, a {why} address: pages on this server's "
                                     "own network are not fetched (an administrator can allow them with "
                                     "RAG_FETCH_PRIVATE=1)")
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise error or OSError(f"no address for {host}")
    return create


def _handlers(allow_private: bool) -> list[urllib.request.BaseHandler]:
    create = _guarded_connection(allow_private)

    class Http(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self._create_connection = create

    class Https(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            self._create_connection = create

    class HttpHandler(urllib.request.HTTPHandler):
        def http_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(Http, req)

    class HttpsHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):  # type: ignore[no-untyped-def]
            return self.do_open(Https, req, context=self._context)  # type: ignore[attr-defined]

    return [urllib.request.ProxyHandler({}), HttpHandler(), HttpsHandler(), _HttpOnlyRedirects()]


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        try:
            check_url(newurl)
        except InputError as exc:
            raise InputError(f"the page redirects to {newurl!r}: {exc.reason}") from None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(url: str, max_bytes: int, timeout: float = TIMEOUT_S, allow_private: bool = False,
          accept: str = "text/html,text/plain,*/*", etag: str | None = None, last_modified: str | None = None
          ) -> Page:
    """GET `url`; InputError for a refused address, an HTTP or network error, or a page over max_bytes.
    With `etag` / `last_modified` (from an earlier Page) the GET is conditional: a 304 answer comes
    back as a Page with `unchanged` set and no body."""
    url = check_url(url)
    opener = urllib.request.build_opener(*_handlers(allow_private))
    headers = {"User-Agent": USER_AGENT, "Accept": accept}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
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
            got: Message = response.headers
            return Page(response.geturl(), b"".join(chunks), got.get_content_type(), got.get_content_charset(),
                        got.get("ETag"), got.get("Last-Modified"))
    except urllib.error.HTTPError as exc:
        if exc.code == 304 and (etag or last_modified):
            return Page(url, b"", "", None, exc.headers.get("ETag") or etag,
                        exc.headers.get("Last-Modified") or last_modified, unchanged=True)
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
