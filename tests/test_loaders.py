"""Loading articles from files: encodings, front matter, HTML, JSONL and folders."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.errors import InputError
from rag.ingest.loaders import (
    SUPPORTED,
    LoadReport,
    article_from_record,
    decode_bytes,
    iter_jsonl,
    load_file,
    load_paths,
    make_id,
    parse_html,
    parse_text,
    slug_id,
)
from rag.types import Article

ARABIC = "انطلقت اليوم فعاليات معرض الشارقة الدولي للكتاب.\nوقال المنظمون إن الدورة تضم ألف دار نشر، و«برامج» متنوعة!"
BODY = (
    "انطلقت اليوم فعاليات الدورة الأربعين من معرض الشارقة الدولي للكتاب.\n"
    "\n"
    "  وقال رئيس الهيئة إن المعرض يقدم   أكثر من مليون عنوان؛ «في مختلف المجالات».\n"
    "\n"
    "ويستمر المعرض حتى ١٣ نوفمبر."
)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def jsonl(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records) + "\n"


def reasons(report: LoadReport) -> list[tuple[int | None, str]]:
    return [(e.line, e.reason) for e in report.errors]


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1256"])
def test_decode_round_trips_arabic(codec: str) -> None:
    # "utf-16" writes a BOM (little-endian here); "utf-16-le/-be" have none.
    assert decode_bytes(ARABIC.encode(codec), "f.txt") == ARABIC


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_decode_utf16_with_explicit_bom(bom: bytes) -> None:
    codec = "utf-16-le" if bom == b"\xff\xfe" else "utf-16-be"
    assert decode_bytes(bom + ARABIC.encode(codec), "f.txt") == ARABIC


def test_decode_strips_utf8_bom_and_outer_whitespace_only() -> None:
    raw = "\ufeff\n  عنوان\n\n  فقرة   أولى  \n\n".encode()
    assert decode_bytes(raw, "f.txt") == "عنوان\n\n  فقرة   أولى"


def test_decode_normalises_crlf_and_lone_cr() -> None:
    assert decode_bytes(b"one\r\ntwo\rthree\n\nfour", "f") == "one\ntwo\nthree\n\nfour"


def test_decode_cp1256_with_trailing_ctrl_z() -> None:
    # Old DOS-era files end with Ctrl-Z; one stray control is not "binary".
    assert decode_bytes(ARABIC.encode("cp1256") + b"\x1a", "f") == ARABIC + "\x1a"


@pytest.mark.parametrize(
    "junk",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(1).randbytes(400),
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + random.Random(2).randbytes(400),
        random.Random(3).randbytes(2000),
        bytes(random.Random(4).randrange(1, 32) for _ in range(300)),
    ],
)
def test_decode_rejects_binary(junk: bytes) -> None:
    with pytest.raises(InputError) as err:
        decode_bytes(junk, "pic.txt")
    assert err.value.reason == "file is not UTF-8, UTF-16 or Windows-1256 text; re-save it as UTF-8"
    assert str(err.value).startswith("pic.txt: ")


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t", b"\xef\xbb\xbf", "\n \n".encode("utf-16")])
def test_decode_empty(data: bytes) -> None:
    with pytest.raises(InputError, match="file is empty"):
        decode_bytes(data, "e.txt")


def test_decode_rejects_bad_utf8_after_bom() -> None:
    with pytest.raises(InputError):
        decode_bytes(b"\xef\xbb\xbfabc\xff\x00\x00", "f")


def _plain(text: str) -> bool:
    # Control characters are what binary data is rejected for; a leading U+FEFF would read as a BOM.
    has_control = any((ord(ch) < 32 and ch not in "\t\n\r\f") or ord(ch) == 127 for ch in text)
    return bool(text.strip()) and not has_control and not text.startswith("\ufeff")


@settings(max_examples=300, deadline=None)
@given(st.text().filter(_plain))
def test_decode_utf8_property(text: str) -> None:
    expected = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    assert decode_bytes(text.encode("utf-8"), "p") == expected


# ---------------------------------------------------------------- ids


def test_make_id_stable_and_newline_independent() -> None:
    a = make_id("line one\nline two")
    assert a == make_id("line one\nline two")
    assert a == make_id("line one\r\nline two") == make_id("line one\rline two")
    assert a.startswith("a-") and len(a) == 18
    assert a != make_id("line one\nline three")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Hello World", "hello-world"),
        ("أخبار اليوم 2021", "أخبار-اليوم-2021"),
        ("  news_item.v2!!  ", "news_item.v2"),
        ("كَتَبَ", "كَتَبَ"),
        ("a -- b", "a-b"),
    ],
)
def test_slug_id(name: str, expected: str) -> None:
    assert slug_id(name) == expected


@pytest.mark.parametrize("name", ["", "###", "  ", "..."])
def test_slug_id_empty_raises(name: str) -> None:
    with pytest.raises(InputError):
        slug_id(name)


# ---------------------------------------------------------------- txt / md


def test_front_matter_fields(tmp_path: Path) -> None:
    raw = (
        "---\n"
        "id: fair-40\n"
        'title: "معرض الشارقة للكتاب"\n'
        "date: 2021-11-03T09:30:00+04:00\n"
        "source: ' وكالة الأنباء '\n"
        "url: https://example.com/a?b=1\n"
        "author: ignored\n"
        "---\n"
        "\n" + BODY + "\n"
    )
    article = load_file(write(tmp_path / "x.md", raw)).articles[0]
    assert article == Article(
        id="fair-40",
        title="معرض الشارقة للكتاب",
        text=BODY,
        date="2021-11-03",
        source="وكالة الأنباء",
        url="https://example.com/a?b=1",
    )


def test_arabic_md_body_is_stored_byte_for_byte(tmp_path: Path) -> None:
    raw = "---\ntitle: معرض الكتاب\ndate: 03/11/2021\n---\n\n" + BODY + "\n\n"
    path = write(tmp_path / "معرض الكتاب.md", raw)
    report = load_file(path)
    assert report.errors == [] and report.files == 1
    article = report.articles[0]
    assert article.text.encode("utf-8") == BODY.encode("utf-8")
    assert article.text in path.read_text(encoding="utf-8")
    assert article.id == "معرض-الكتاب"
    assert article.date == "2021-11-03"


def test_first_line_is_title_without_front_matter(tmp_path: Path) -> None:
    path = write(tmp_path / "Breaking News.txt", "\r\n\r\nالعنوان هنا\r\n\r\n\r\nالسطر الأول.\r\nالسطر الثاني.\r\n")
    article = load_file(path).articles[0]
    assert (article.id, article.title, article.text) == ("breaking-news", "العنوان هنا", "السطر الأول.\nالسطر الثاني.")
    assert article.date is article.source is article.url is None


def test_front_matter_without_title_uses_first_line() -> None:
    article = parse_text("---\nsource: BBC\n---\n# The Title\nBody text.", source="s.md", default_id="s")
    assert (article.title, article.text, article.source, article.id) == ("The Title", "Body text.", "BBC", "s")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("Only a title\n\n  \n", "no article text after the title line"),
        ("---\ntitle: T\n---\n\n", "no article text after the title line"),
        ("---\ntitle: T\nBody without closing marker", "never closed"),
        ("---\ntitle: T\nnot a pair\n---\nBody", "is not 'key: value'"),
    ],
)
def test_text_errors(raw: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_text(raw, source="t.txt", default_id="t")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-11-16", "2021-11-16"),
        ("2021-11-16T08:05", "2021-11-16"),
        ("2021-11-16T08:05:09Z", "2021-11-16"),
        ("2021-11-16T23:59:59-05:00", "2021-11-16"),
        ("2018-06-05T00:00:00", "2018-06-05"),
        ("16/11/2021", "2021-11-16"),
        ("", None),
    ],
)
def test_date_forms(value: str, expected: str | None) -> None:
    article = parse_text(f"---\ntitle: T\ndate: {value}\n---\nBody", source="d.md", default_id="d")
    assert article.date == expected


def test_bad_date_names_value_and_line() -> None:
    with pytest.raises(InputError) as err:
        parse_text("---\ntitle: T\ndate: 16 Nov\n---\nBody", source="d.md", default_id="d")
    assert err.value.reason == "date '16 Nov' is not YYYY-MM-DD; write it as 2021-11-16"
    assert (err.value.source, err.value.line) == ("d.md", 3)
    assert str(err.value).startswith("d.md:3: ")


@pytest.mark.parametrize("value", ["2021-02-30", "31/13/2021", "2021-11-16T25:00"])
def test_impossible_date(value: str) -> None:
    with pytest.raises(InputError, match="not a real date"):
        parse_text(f"---\ntitle: T\ndate: {value}\n---\nBody", source="d.md", default_id="d")


@pytest.mark.parametrize("url", ["www.example.com", "ftp://example.com/x", "javascript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "JavaScript://example.com/%0aalert(1)"])
def test_bad_url(url: str) -> None:
    with pytest.raises(InputError, match="only http:// and https:// addresses") as err:
        parse_text(f"---\ntitle: T\nurl: {url}\n---\nBody", source="u.md", default_id="u")
    assert str(err.value).startswith("u.md:")


@pytest.mark.parametrize("url", ["https://", "http:///path", "https://exa mple.com/", "https://exa\nmple.com/"])
def test_url_without_a_valid_host_is_refused(url: str) -> None:
    with pytest.raises(InputError):
        article_from_record({"title": "T", "text": "Body", "url": url}, source="a.jsonl", line=4)


@pytest.mark.parametrize(("url", "kept"), [
    # a no-break space in a copied Arabic address (as in the news corpora): kept, encoded as a browser would
    ("http://www.al-madina.com/node/620849/«التقني»\xa0تعلن.html",
     "http://www.al-madina.com/node/620849/«التقني»%C2%A0تعلن.html"),
    ("https://example.com/a b?q=x y", "https://example.com/a%20b?q=x%20y"),
    ("https://example.com/\x07", "https://example.com/%07"),
])
def test_spaces_and_control_characters_in_a_url_are_encoded_not_refused(url: str, kept: str) -> None:
    article = article_from_record({"title": "T", "text": "Body", "url": url}, source="a.jsonl", line=4)
    assert article.url == kept


def test_cp1256_file_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "old.txt", ("عنوان قديم\r\n\r\n" + ARABIC).encode("cp1256"))
    article = load_file(path).articles[0]
    assert (article.title, article.text) == ("عنوان قديم", ARABIC)


# ---------------------------------------------------------------- html

HTML = """<!DOCTYPE html>
<html lang="ar" dir="rtl"><head><meta charset="utf-8">
<title>انطلاق معرض الشارقة للكتاب</title>
<meta property="article:published_time" content="2021-11-03T09:30:00+04:00">
<link rel="canonical" href="https://news.example.com/ar/book-fair">
<script>var tracker = "SECRET_TRACKER_CODE";</script>
</head><body>
<nav><ul><li><a href="/">الرئيسية</a></li><li><a href="/sport">رياضة</a></li><li><a href="/eco">اقتصاد</a></li></ul></nav>
<main><article>
<h1>انطلاق معرض الشارقة الدولي للكتاب</h1>
<p>انطلقت اليوم فعاليات الدورة الأربعين من معرض الشارقة الدولي للكتاب بمشاركة أكثر من ألف وخمسمائة دار نشر من ثلاث وثمانين دولة.</p>
<p>وقال رئيس هيئة الشارقة للكتاب إن المعرض يقدم هذا العام أكثر من مليون ونصف مليون عنوان في مختلف مجالات المعرفة والأدب.</p>
<p>ويستضيف المعرض سلسلة من الندوات والأمسيات الشعرية وورش العمل المخصصة للأطفال والشباب، إلى جانب لقاءات مع كتاب ومفكرين.</p>
</article></main>
<footer><p>جميع الحقوق محفوظة لموقع الأخبار</p><a href="/privacy">سياسة الخصوصية</a></footer>
<script>console.log("MORE_SCRIPT_TEXT")</script>
</body></html>
"""


def test_html_extracts_article_body(tmp_path: Path) -> None:
    report = load_file(write(tmp_path / "Book Fair.html", HTML))
    assert report.errors == []
    article = report.articles[0]
    assert "بمشاركة أكثر من ألف وخمسمائة دار نشر" in article.text
    assert "وورش العمل المخصصة للأطفال والشباب" in article.text
    for junk in ("SECRET_TRACKER_CODE", "MORE_SCRIPT_TEXT", "var tracker", "سياسة الخصوصية", "رياضة"):
        assert junk not in article.text
    assert "انطلاق" in article.title and "الشارقة" in article.title
    assert article.id == "book-fair"
    assert article.date == "2021-11-03"
    assert article.url == "https://news.example.com/ar/book-fair"


def test_html_explicit_url_wins() -> None:
    article = parse_html(HTML, source="p.html", default_id="p", url="https://other.example.org/x")
    assert article.url == "https://other.example.org/x"


def test_html_without_text(tmp_path: Path) -> None:
    report = load_file(write(tmp_path / "empty.htm", "<html><head><title>T</title><script>x()</script></head><body></body></html>"))
    assert report.articles == []
    assert reasons(report) == [(None, "no article text found in the HTML page")]


def test_import_is_cheap() -> None:
    # trafilatura (lxml, htmldate) is only imported when an HTML page is parsed.
    code = "import sys, rag.ingest.loaders; sys.exit('trafilatura' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---------------------------------------------------------------- jsonl


def test_jsonl_collects_each_bad_line(tmp_path: Path) -> None:
    good = {"id": "a1", "title": "عنوان", "text": "نص الخبر الأول.", "date": "2015-07-21", "source": "وكالة"}
    path = tmp_path / "news.jsonl"
    lines = [
        json.dumps(good, ensure_ascii=False).encode(),  # 1
        b'{"title": "x", "text": "abc',  # 2: truncated
        json.dumps({"title": "no text"}).encode(),  # 3
        b"",  # 4: blank
        b'{"title": "bad bytes", "text": "\xff\xfe abc"}',  # 5
        json.dumps({"id": "a1", "title": "again", "text": "dup"}).encode(),  # 6
        json.dumps({"id": 7, "title": "T7", "text": "  نص  \r\nسطر  "}, ensure_ascii=False).encode(),  # 7
        b"   ",  # 8: blank
        json.dumps({"title": "", "text": "t"}).encode(),  # 9
        b"[1, 2]",  # 10
        json.dumps({"title": "T", "text": "t", "date": "16 Nov"}).encode(),  # 11
        json.dumps({"title": "T", "text": "no id here"}).encode(),  # 12
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = load_file(path)
    assert [a.id for a in report.articles] == ["a1", "7", make_id("no id here")]
    assert report.articles[0] == Article("a1", "عنوان", "نص الخبر الأول.", "2015-07-21", "وكالة")
    assert report.articles[1].text == "نص  \nسطر"
    got = reasons(report)
    assert [line for line, _ in got] == [2, 3, 5, 6, 9, 10, 11]
    messages = dict(got)
    assert messages[2].startswith("line is not valid JSON (") and messages[2].endswith("); fix or remove that line")
    assert "column" in messages[2]
    assert messages[3].startswith('missing "text" field')
    assert messages[5].startswith("line is not valid UTF-8")
    assert messages[6] == "duplicate id 'a1' (first seen on line 1); give it a unique id"
    assert messages[9] == '"title" must be a non-empty string'
    assert "JSON object" in messages[10]
    assert messages[11].startswith("date '16 Nov' is not YYYY-MM-DD")
    assert all(e.source == str(path) for e in report.errors)
    assert str(report.errors[0]).startswith(f"{path}:2: ")


def test_jsonl_bad_json_column(tmp_path: Path) -> None:
    item = next(iter_jsonl(write(tmp_path / "col.jsonl", b'{"title": "T" "text": "x"}')))
    assert isinstance(item, InputError)
    assert item.reason == "line is not valid JSON (Expecting ',' delimiter at column 15); fix or remove that line"


def test_blank_source_falls_back_to_source_name() -> None:
    rec = {"title": "T", "text": "t", "source": "  ", "source_name": " BBC Arabic "}
    assert article_from_record(rec, source="r", line=1).source == "BBC Arabic"
    assert article_from_record({"title": "T", "text": "t", "source": ""}, source="r", line=1).source is None


def test_corpus_schema_record() -> None:
    rec = {
        "id": "aj-1",
        "corpus": "sanad",
        "source": None,
        "source_name": "الجزيرة",
        "category": "culture",
        "title": "عنوان",
        "url": "https://www.aljazeera.net/x",
        "author": "",
        "abstract": "ملخص",
        "text": "النص الكامل.",
        "date": "2018-06-05T00:00:00",
    }
    article = article_from_record(rec, source="c.jsonl", line=1)
    assert article == Article("aj-1", "عنوان", "النص الكامل.", "2018-06-05", "الجزيرة", "https://www.aljazeera.net/x")


@pytest.mark.parametrize(
    ("rec", "message"),
    [
        ({"text": "t"}, 'missing "title" field'),
        ({"title": "T", "text": 5}, '"text" must be a non-empty string'),
        ({"id": 1.5, "title": "T", "text": "t"}, '"id" must be a string or an integer'),
        ({"id": True, "title": "T", "text": "t"}, '"id" must be a string or an integer'),
        ({"title": "T", "text": "t", "url": "example.com"}, "only http:// and https:// addresses"),
        ({"title": "T", "text": "t", "source": 3}, '"source" must be a string'),
    ],
)
def test_record_errors(rec: dict, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        article_from_record(rec, source="r.jsonl", line=4)
    assert (err.value.source, err.value.line) == ("r.jsonl", 4)


def test_iter_jsonl_streams(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", "\ufeff" + jsonl({"title": "A", "text": "a"}, "oops", {"title": "B", "text": "b"}))
    items = list(iter_jsonl(path))
    assert [type(i).__name__ for i in items] == ["Article", "InputError", "Article"]
    assert items[1].line == 2  # type: ignore[union-attr]


def test_jsonl_utf16_file_is_one_error(tmp_path: Path) -> None:
    path = write(tmp_path / "w.jsonl", jsonl({"title": "A", "text": "a"}).encode("utf-16"))
    report = load_file(path)
    assert report.articles == [] and len(report.errors) == 1
    assert "UTF-8" in report.errors[0].reason


def test_jsonl_gz_round_trip(tmp_path: Path) -> None:
    records = [{"id": f"n{i}", "title": f"عنوان {i}", "text": f"نص الخبر رقم {i}."} for i in range(50)]
    path = tmp_path / "big.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl(*records).encode()))
    report = load_paths([path])
    assert report.errors == [] and report.files == 1
    assert [(a.id, a.title, a.text) for a in report.articles] == [(r["id"], r["title"], r["text"]) for r in records]


def test_truncated_gzip_keeps_earlier_lines(tmp_path: Path) -> None:
    records = [{"id": f"n{i}", "title": "T", "text": "x" * 200 + str(i)} for i in range(400)]
    data = gzip.compress(jsonl(*records).encode(), compresslevel=1)
    path = write(tmp_path / "cut.jsonl.gz", data[: len(data) // 2])
    report = load_file(path)
    assert 0 < len(report.articles) < 400
    assert [a.id for a in report.articles] == [f"n{i}" for i in range(len(report.articles))]
    assert len(report.errors) == 1
    assert report.errors[0].reason.startswith(f"gzip data is truncated after line {len(report.articles)}")


def test_not_gzip_at_all(tmp_path: Path) -> None:
    report = load_file(write(tmp_path / "fake.jsonl.gz", jsonl({"title": "A", "text": "a"})))
    assert report.articles == [] and "gzip" in report.errors[0].reason


# ---------------------------------------------------------------- files and folders


def test_folder_loading_recursive_sorted(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    write(root / "b.txt", "B title\nB body")
    write(root / "a.md", "A title\nA body")
    write(root / "sub" / "x" / "c.html", HTML)
    write(root / "sub" / "d.jsonl", jsonl({"id": "d1", "title": "D", "text": "d"}))
    write(root / "sub" / "e.jsonl.gz", gzip.compress(jsonl({"id": "e1", "title": "E", "text": "e"}).encode()))
    write(root / "notes.pdf", b"%PDF-1.4 junk")
    write(root / "image.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    write(root / ".hidden.txt", "H\nh")
    write(root / ".git" / "x.txt", "G\ng")
    report = load_paths([str(root)])
    assert report.errors == []
    assert report.files == 5
    assert [a.id for a in report.articles] == ["a", "b", "d1", "e1", "c"]  # by path parts


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path / "one" / "news.txt", "First\nfirst body")
    write(tmp_path / "two" / "news.txt", "Second\nsecond body")
    report = load_paths([tmp_path])
    assert [a.title for a in report.articles] == ["First"]
    assert len(report.errors) == 1 and report.errors[0].reason.startswith("duplicate id 'news' (first seen in ")


def test_same_file_twice_loaded_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "T\nbody")
    report = load_paths([tmp_path, path])
    assert (len(report.articles), report.errors, report.files) == (1, [], 1)


def test_bad_paths_are_collected_not_raised(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", "Title\nBody")
    empty = write(tmp_path / "empty.txt", b"")
    binary = write(tmp_path / "bin.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    unsupported = write(tmp_path / "doc.pdf", b"%PDF")
    (tmp_path / "nothing").mkdir()
    write(tmp_path / "nothing" / "skip.csv", "a,b")
    missing = tmp_path / "missing.txt"
    report = load_paths([good, empty, binary, unsupported, missing, tmp_path / "nothing"])
    assert [a.id for a in report.articles] == ["good"]
    got = {e.source: e.reason for e in report.errors}
    assert got[str(empty)] == "file is empty"
    assert got[str(binary)].startswith("file is not UTF-8")
    assert got[str(unsupported)] == "unsupported file type; supported: " + ", ".join(SUPPORTED)
    assert got[str(missing)] == "no such file or folder"
    assert got[str(tmp_path / "nothing")].startswith("folder has no supported files")
    assert report.files == 4


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod 0 does not stop root, so the OS refusal is simulated.
    locked = write(tmp_path / "locked.txt", "T\nbody")
    gz = write(tmp_path / "locked.jsonl.gz", b"")
    write(tmp_path / "ok.txt", "T\nbody")
    real_read, real_open = Path.read_bytes, gzip.open

    def refuse(path: Path) -> bytes:
        if path.name == locked.name:
            raise PermissionError(13, "Permission denied", str(path))
        return real_read(path)

    def refuse_gz(path: Path, *args: object, **kwargs: object) -> object:
        if Path(path).name == gz.name:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(gzip, "open", refuse_gz)
    report = load_paths([tmp_path])
    assert [a.id for a in report.articles] == ["ok"]
    assert [(e.source, e.reason) for e in report.errors] == [
        (str(gz), "cannot read the file (Permission denied)"),
        (str(locked), "cannot read the file (Permission denied)"),
    ]


def test_load_file_on_folder(tmp_path: Path) -> None:
    folder = tmp_path / "dir.txt"
    folder.mkdir()
    report = load_file(folder)
    assert report.articles == [] and report.errors[0].reason == "is a folder, not a file"


def test_odd_file_name_gets_content_id(tmp_path: Path) -> None:
    article = load_file(write(tmp_path / "###.txt", "Title\nBody")).articles[0]
    assert article.id == make_id("Body")
