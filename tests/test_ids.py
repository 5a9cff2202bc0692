"""Chunk and unit ids are built and parsed in rag/ids.py only; any article id round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.errors import StoreError
from rag.ids import article_of_chunk, article_of_unit, chunk_id, chunk_of_unit, unit_id


@pytest.mark.parametrize("article", ["a", "agency/2021/11/16/story", "وكالة::خبر/1", "x::3", "x::3/4",
                                     "https://example.com/a?b=1#c", "a\nb", "::", "/"])
def test_ids_parse_back_to_what_built_them(article: str) -> None:
    chunk = chunk_id(article, 12)
    unit = unit_id(chunk, 7)
    assert article_of_chunk(chunk) == article
    assert chunk_of_unit(unit) == chunk
    assert article_of_unit(unit) == article


@given(st.text(min_size=1), st.integers(0, 10_000), st.integers(0, 10_000))
def test_any_article_id_round_trips(article: str, n: int, m: int) -> None:
    assert article_of_unit(unit_id(chunk_id(article, n), m)) == article


@pytest.mark.parametrize("bad", ["plain", "a::b", "a::1/x", ""])
def test_what_is_not_an_id_is_a_clear_error(bad: str) -> None:
    with pytest.raises(StoreError, match="is not a"):
        article_of_unit(bad)
