"""Chunk and sentence-unit ids: built and parsed here, nowhere else.

    chunk id   "<article id>::<n>"        "agency/2021/11/16/story::3"
    unit id    "<chunk id>/<m>"           "agency/2021/11/16/story::3/0"

An article id may hold anything ("/", "::", Arabic: news archives use paths and URLs as ids), so
ids are parsed from the right, where only digits follow the last separators.

    >>> article_of_unit("agency/2021/11/16/story::3/0")
    'agency/2021/11/16/story'
"""

from __future__ import annotations

import re

from .errors import StoreError

_CHUNK = re.compile(r"(.*)::(\d+)", re.DOTALL)
_UNIT = re.compile(r"(.*::\d+)/(\d+)", re.DOTALL)


def chunk_id(article_id: str, n: int) -> str:
    return f"{article_id}::{n}"


def unit_id(chunk: str, m: int) -> str:
    return f"{chunk}/{m}"


def chunk_of_unit(unit: str) -> str:
    """"a/b::3/0" -> "a/b::3"."""
    match = _UNIT.fullmatch(unit)
    if match is None:
        raise StoreError(f"{unit!r} is not a sentence id (<article>::<chunk>/<sentence>); run `rag check --repair`")
    return match.group(1)


def article_of_chunk(chunk: str) -> str:
    """"a/b::3" -> "a/b"."""
    match = _CHUNK.fullmatch(chunk)
    if match is None:
        raise StoreError(f"{chunk!r} is not a chunk id (<article>::<chunk>); run `rag check --repair`")
    return match.group(1)


def article_of_unit(unit: str) -> str:
    """"a/b::3/0" -> "a/b"."""
    return article_of_chunk(chunk_of_unit(unit))
