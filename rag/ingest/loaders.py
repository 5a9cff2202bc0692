"""Read articles from .txt, .md, .html and .jsonl(.gz) files into `Article`s.

Bad files and bad lines never stop an import: each becomes an `InputError` in the
report and every good article is still returned. Article text is kept as given,
with newlines normalised and outer whitespace stripped, because citations index into it.

    >>> parse_text("Title\\n\\nBody.", source="x.txt", default_id="x").text
    'Body.'
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import html
import json
import os
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date as _date
from pathlib import Path

from ..errors import InputError
from ..types import Article
from .urls import check_url

SUPPORTED = (".txt", ".md", ".html", ".htm", ".jsonl", ".jsonl.gz")

_UNREADABLE = "file is not UTF-8, UTF-16 or Windows-1256 text; re-save it as UTF-8"
_C0 = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # control characters except \t \n \f \r
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_HEADING = re.compile(r"^#{1,6}\s+")
_FRONT_KEYS = ("id", "title", "date", "source", "url")
# One article's text: far beyond any news article (about 500 printed pages). A bigger "article"
# is a whole archive or a mistake; indexing it would take hours and every answer would cite it.
MAX_ARTICLE_CHARS = 1_000_000
_TAG = re.compile(r"<[^>]+>")

_Item = Article | InputError


@dataclass
class LoadReport:
    articles: list[Article] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)  # one per bad file or bad line
    files: int = 0  # files looked at


# ---------------------------------------------------------------- bytes -> text


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _too_many_controls(text: str) -> bool:
    # A stray Ctrl-Z or ESC survives in old files; binary data has NULs or controls everywhere.
    if "\x00" in text:
        return True
    count = len(_C0.findall(text))
    return count > 1 and count * 100 > len(text)


def _utf16_without_bom(data: bytes) -> str | None:
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    pairs = len(data) // 2
    # ASCII spaces, digits and newlines put a NUL in the high byte of every unit;
    # binary data has NULs on both sides.
    for codec, nuls, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if nuls * 10 >= pairs and other * 10 <= nuls:
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                return None
    return None


def _cp1256(data: bytes) -> str | None:
    # cp1256 maps almost every byte, so it "decodes" anything: accept only text-like results.
    if b"\x00" in data:
        return None
    text = data.decode("cp1256")
    good = sum(1 for ch in text if ch.isspace() or unicodedata.category(ch)[0] in "LMNPZ")
    return text if good >= 0.85 * len(text) else None


def decode_bytes(data: bytes, source: str) -> str:
    """Decode a text file (UTF-8, UTF-16, Windows-1256); newlines -> \\n, outer whitespace stripped."""
    text: str | None
    if data.startswith(codecs.BOM_UTF8):
        text = _strict(data[3:], "utf-8")
    elif data.startswith(codecs.BOM_UTF16_LE):
        text = _strict(data[2:], "utf-16-le")
    elif data.startswith(codecs.BOM_UTF16_BE):
        text = _strict(data[2:], "utf-16-be")
    else:
        text = _utf16_without_bom(data) or _strict(data, "utf-8") or _cp1256(data)
    if text is None or _too_many_controls(text):
        raise InputError(_UNREADABLE, source=source)
    text = _newlines(text).strip()
    if not text:
        raise InputError("file is empty", source=source)
    return text


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


# ---------------------------------------------------------------- ids and fields


def make_id(text: str) -> str:
    """Stable content id: the same text gives the same id whatever its newline style."""
    return "a-" + hashlib.sha1(_newlines(text).encode("utf-8")).hexdigest()[:16]


def slug_id(name: str) -> str:
    """An id from a file stem; Arabic letters are kept, other runs become '-'."""
    out: list[str] = []
    for ch in name:
        # Marks are kept so Arabic words with tashkeel are not cut into pieces.
        if ch.isalnum() or ch in "-_." or unicodedata.category(ch).startswith("M"):
            out.append(ch)
        elif not out or out[-1] != "-":
            out.append("-")
    slug = re.sub(r"-{2,}", "-", "".join(out)).strip("-._").lower()  # "2021 - news" -> "2021-news"
    if not slug:
        raise InputError(f"cannot make an id from the name {name!r}; give the article an id")
    return slug


def _check_date(value: object, *, source: str, line: int | None) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise InputError(f'"date" must be a string like 2021-11-16, not {value!r}', source=source, line=line)
    text = value.strip()
    if m := _ISO.fullmatch(text):
        y, mo, d = m.group(1, 2, 3)
        bad_time = m.group(4) is not None and (int(m.group(4)) > 23 or int(m.group(5)) > 59)
    elif m := _DMY.fullmatch(text):
        d, mo, y = m.group(1, 2, 3)
        bad_time = False
    else:
        raise InputError(f"date {value!r} is not YYYY-MM-DD; write it as 2021-11-16", source=source, line=line)
    try:
        if not bad_time:
            return _date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        pass
    raise InputError(f"date {value!r} is not a real date; write it as YYYY-MM-DD, e.g. 2021-11-16",
                     source=source, line=line)


def _check_url(value: object, *, source: str, line: int | None) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return check_url(value)
    except InputError as exc:
        raise InputError(f"url: {exc.reason}; or leave it out", source=source, line=line) from None


def _check_source(value: object, *, source: str, line: int | None) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InputError(f'"source" must be a string, not {value!r}', source=source, line=line)
    return (value or "").strip() or None


def _check_text(text: str, *, source: str, line: int | None) -> str:
    if len(text) > MAX_ARTICLE_CHARS:
        raise InputError(f"the article text is {len(text):,} characters; one article may have at most "
                         f"{MAX_ARTICLE_CHARS:,} (about 500 pages): split it into several articles",
                         source=source, line=line)
    return text


def article_from_record(rec: dict, *, source: str, line: int | None) -> Article:
    """Validate one JSON object (e.g. one .jsonl line) and turn it into an Article."""
    if not isinstance(rec, dict):
        raise InputError('expected a JSON object like {"title": ..., "text": ...}', source=source, line=line)
    for key in ("title", "text"):
        if key not in rec:
            raise InputError(f'missing "{key}" field; every article needs a {key}', source=source, line=line)
        if not isinstance(rec[key], str) or not rec[key].strip():
            raise InputError(f'"{key}" must be a non-empty string', source=source, line=line)
    text = _check_text(_newlines(rec["text"]).strip(), source=source, line=line)
    raw_id = rec.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | None):
        raise InputError(f'"id" must be a string or an integer, not {raw_id!r}', source=source, line=line)
    # The big corpora name the outlet in "source_name" and have no "source".
    src = rec.get("source")
    if src is None or (isinstance(src, str) and not src.strip()):
        src = rec.get("source_name")
    return Article(
        id=str(raw_id).strip() if raw_id is not None and str(raw_id).strip() else make_id(text),
        title=rec["title"].strip(),
        text=text,
        date=_check_date(rec.get("date"), source=source, line=line),
        source=_check_source(src, source=source, line=line),
        url=_check_url(rec.get("url"), source=source, line=line),
    )


# ---------------------------------------------------------------- text, markdown, html


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_text(raw: str, *, source: str, default_id: str) -> Article:
    """A .txt/.md article: optional `---` front matter, else the first non-empty line is the title."""
    lines = _newlines(raw).strip().split("\n")
    meta: dict[str, tuple[str, int]] = {}
    start = 0
    if lines[0].rstrip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
        if end is None:
            raise InputError("front matter opened by '---' is never closed; add a '---' line after it",
                             source=source, line=1)
        for i in range(1, end):
            entry = lines[i].strip()
            if not entry or entry.startswith("#"):
                continue
            key, sep, value = entry.partition(":")
            if not sep:
                raise InputError(f"front matter line {entry!r} is not 'key: value'", source=source, line=i + 1)
            if key.strip().lower() in _FRONT_KEYS:
                meta[key.strip().lower()] = (_unquote(value.strip()), i + 1)
        start = end + 1
    rest = lines[start:]
    title = meta.get("title", ("", 0))[0].strip()
    if not title:
        first = next((i for i, text in enumerate(rest) if text.strip()), None)
        if first is None:
            raise InputError("no title and no article text in the file", source=source)
        title = _HEADING.sub("", rest[first].strip()).strip() or rest[first].strip()
        rest = rest[first + 1:]
    body = "\n".join(rest).strip()
    if not body:
        raise InputError("no article text after the title line; put the text under the title", source=source)

    def check(fn: Callable[..., str | None], key: str) -> str | None:
        value, line = meta.get(key, (None, None))
        return fn(value, source=source, line=line)

    return Article(
        id=meta.get("id", ("", 0))[0].strip() or default_id,
        title=title,
        text=_check_text(body, source=source, line=None),
        date=check(_check_date, "date"),
        source=check(_check_source, "source"),
        url=check(_check_url, "url"),
    )


def _html_title(raw: str) -> str | None:
    for tag in ("title", "h1"):
        if m := re.search(rf"<{tag}\b[^>]*>(.*?)</{tag}\s*>", raw, re.IGNORECASE | re.DOTALL):
            title = " ".join(html.unescape(_TAG.sub(" ", m.group(1))).split())
            if title:
                return title
    return None


def parse_html(raw: str, *, source: str, default_id: str, url: str | None = None) -> Article:
    """The main text of an HTML page (no menus, scripts or footers) plus its title, date and url."""
    import trafilatura  # lazily: it pulls in lxml and htmldate, too slow for every `import rag`

    url = _check_url(url, source=source, line=None)
    try:
        body = trafilatura.extract(raw, url=url, output_format="txt", include_comments=False,
                                   include_tables=False, favor_precision=True, with_metadata=False)
        # extensive=False: take the date from the page's markup, never guess it from the prose.
        meta = trafilatura.extract_metadata(raw, default_url=url, extensive=False)
    except Exception as exc:  # lxml and htmldate raise many kinds of errors on broken pages
        raise InputError(f"the HTML page could not be parsed ({exc})", source=source) from exc
    text = _check_text(_newlines(body or "").strip(), source=source, line=None)
    if not text:
        raise InputError("no article text found in the HTML page", source=source)
    try:  # metadata is a best guess from the page, so a bad value is dropped, not reported
        page_date = _check_date(meta.date, source=source, line=None)
    except InputError:
        page_date = None
    page_url = meta.url if meta.url and meta.url.lower().startswith(("http://", "https://")) else None
    return Article(
        id=default_id,
        title=(meta.title or "").strip() or _html_title(raw) or default_id or "untitled",
        text=text,
        date=page_date,
        url=url or page_url,
    )


# ---------------------------------------------------------------- jsonl


_Seen = dict[str, tuple[str, int | None]]  # article id -> (file, line) where it was first seen


def _unique(item: _Item, seen: _Seen, source: str, line: int | None) -> _Item:
    """The first article with an id wins; a later one becomes an error."""
    if not isinstance(item, Article):
        return item
    first = seen.setdefault(item.id, (source, line))
    if first == (source, line):
        return item
    where = f"in {first[0]}" + (f" line {first[1]}" if first[1] else "")
    if first[0] == source:
        where = f"on line {first[1]}"
    return InputError(f"duplicate id {item.id!r} (first seen {where}); give it a unique id",
                      source=source, line=line)


def _jsonl_line(raw: bytes, source: str, line: int) -> _Item:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return InputError(f"line is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1}); "
                          "re-save the file as UTF-8", source=source, line=line)
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as exc:
        return InputError(f"line is not valid JSON ({exc.msg} at column {exc.colno}); fix or remove that line",
                          source=source, line=line)
    try:
        return article_from_record(rec, source=source, line=line)
    except InputError as exc:
        return exc


def _jsonl_items(path: Path) -> Iterator[tuple[_Item, int | None]]:
    src, seen, lineno = str(path), _Seen(), 0
    try:
        with gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if lineno == 1:
                    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                        yield InputError("file is UTF-16; .jsonl files must be UTF-8, re-save it as UTF-8",
                                         source=src), None
                        return
                    raw = raw.removeprefix(codecs.BOM_UTF8)
                if not raw.strip():
                    continue
                yield _unique(_jsonl_line(raw, src, lineno), seen, src, lineno), lineno
    except EOFError:
        yield InputError(f"gzip data is truncated after line {lineno}; the articles before it were kept, "
                         "re-create the file to load the rest", source=src), None
    except (gzip.BadGzipFile, zlib.error) as exc:
        where = f"is corrupt after line {lineno}" if lineno else "is not valid gzip"
        yield InputError(f"gzip data {where} ({exc}); re-create the file", source=src), None
    except OSError as exc:
        yield _os_error(exc, src), None


def iter_jsonl(path: Path) -> Iterator[Article | InputError]:
    """Stream the articles and per-line errors of a .jsonl or .jsonl.gz file."""
    for item, _ in _jsonl_items(Path(path)):
        yield item


# ---------------------------------------------------------------- files and folders


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "jsonl"
    return {".txt": "text", ".md": "text", ".html": "html", ".htm": "html"}.get(path.suffix.lower())


def _os_error(exc: OSError, source: str) -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError("no such file or folder", source=source)
    if isinstance(exc, IsADirectoryError):
        return InputError("is a folder, not a file", source=source)
    return InputError(f"cannot read the file ({exc.strerror or exc})", source=source)


def _file_items(path: Path) -> Iterator[tuple[_Item, int | None]]:
    src, kind = str(path), _kind(path)
    if kind is None:
        yield InputError(f"unsupported file type; supported: {', '.join(SUPPORTED)}", source=src), None
        return
    if kind == "jsonl":
        yield from _jsonl_items(path)
        return
    try:
        size = path.stat().st_size
        if kind != "html" and size > 4 * MAX_ARTICLE_CHARS:  # refused before it is read
            raise InputError(f"the file is {size / 2**20:.0f} MB, more than one article can be (at most "
                             f"{MAX_ARTICLE_CHARS:,} characters): split it into several files, or one "
                             "JSONL line per article", source=src)
        text = decode_bytes(path.read_bytes(), src)
        try:
            default_id = slug_id(path.stem)
        except InputError:  # a name like "###.txt" still loads, under a content id
            default_id = ""
        parse = parse_html if kind == "html" else parse_text
        article = parse(text, source=src, default_id=default_id)
        item: _Item = article if article.id else replace(article, id=make_id(article.text))
    except InputError as exc:
        item = exc
    except OSError as exc:
        item = _os_error(exc, src)
    yield item, None


def _load_into(report: LoadReport, seen: _Seen, path: Path) -> None:
    report.files += 1
    for item, line in _file_items(path):
        item = _unique(item, seen, str(path), line)
        if isinstance(item, Article):
            report.articles.append(item)
        else:
            report.errors.append(item)


def load_file(path: Path) -> LoadReport:
    """Load one file of any SUPPORTED type."""
    report = LoadReport()
    _load_into(report, _Seen(), Path(path))
    return report


def _walk(folder: Path, errors: list[InputError]) -> list[Path]:
    found: list[Path] = []

    def on_error(exc: OSError) -> None:
        errors.append(_os_error(exc, str(exc.filename or folder)))

    for root, dirs, files in os.walk(folder, onerror=on_error):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root, f) for f in files if not f.startswith(".") and _kind(Path(f))]
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def load_paths(paths: Iterable[str | Path]) -> LoadReport:
    """Load files and folders (recursively; hidden entries and unsupported files skipped)."""
    report, seen_ids, seen_files = LoadReport(), _Seen(), set[Path]()
    errors = report.errors
    for given in paths:
        path = Path(given)
        if path.is_dir():
            before = len(errors)
            files = _walk(path, errors)
            if not files and len(errors) == before:
                errors.append(InputError(f"folder has no supported files ({', '.join(SUPPORTED)})",
                                         source=str(path)))
        elif path.exists():
            files = [path]
        else:
            errors.append(InputError("no such file or folder", source=str(path)))
            continue
        for file in files:
            if (key := file.resolve()) not in seen_files:  # a file named twice is loaded once
                seen_files.add(key)
                _load_into(report, seen_ids, file)
    return report
