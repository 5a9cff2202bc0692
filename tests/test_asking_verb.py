"""A who-question's Form V / VI verb embedded as its verbal noun (rag/asking_verb.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.asking_verb import embedding_wording
from rag.embedder import HashEmbedder
from rag.engine import Isnad


@pytest.mark.parametrize("question, wording", [
    ("من توسط بين أرمينيا وأذربيجان؟", "من قام بالتوسط بين أرمينيا وأذربيجان؟"),
    ("من توسَّط بين أرمينيا وأذربيجان؟", "من قام بالتوسط بين أرمينيا وأذربيجان؟"),  # written with its shadda
    ("ومن الذي توسط بين باكو ويريفان؟", "ومن الذي قام بالتوسط بين باكو ويريفان؟"),
    ("من توسطت بين البلدين؟", "من قامت بالتوسط بين البلدين؟"),
    ("من هي الجهة التي توسطت بين أرمينيا وأذربيجان؟", "من هي الجهة التي قامت بالتوسط بين أرمينيا وأذربيجان؟"),
    ("من يتوسط بين أرمينيا وأذربيجان؟", "من يقوم بالتوسط بين أرمينيا وأذربيجان؟"),
    ("أي طرف دولي يتوسط في النزاع؟", "أي طرف دولي يقوم بالتوسط في النزاع؟"),
    ("أي دولة تتوسط بين البلدين؟", "أي دولة تقوم بالتوسط بين البلدين؟"),
    ("من تفاوض مع الحكومة؟", "من قام بالتفاوض مع الحكومة؟"),  # Form VI
    ("من تصدر الفريق في الاستحواذات؟", "من قام بتصدر الفريق في الاستحواذات؟"),  # an object: no article
    ("من تخرج؟", "من قام بالتخرج؟"),
    ("من الذي يتحكم فيهم؟", "من الذي يقوم بالتحكم فيهم؟"),  # a preposition with its pronoun
])
def test_the_verb_is_embedded_as_its_verbal_noun(question: str, wording: str) -> None:
    assert embedding_wording(question) == wording


@pytest.mark.parametrize("question", [
    "Who mediated between Armenia and Azerbaijan?",
    "من الوسيط بين أرمينيا وأذربيجان؟",  # a noun the model reads already
    "من قام بالوساطة بين أرمينيا وأذربيجان؟",
    "متى توسطت روسيا بين البلدين؟",  # not a who-question
    "من تونس إلى الجزائر؟",  # a place of the table: "from Tunisia"
    "من هو توماس هوبز؟",
    "من الذي تقوم به الحكومة؟",  # و in the middle: a present verb of Form I
    "من تولى رئاسة الحكومة؟",  # a weak final letter changes the verbal noun (التولي)
    "أي دولة تعرف بالكرز؟",  # after "أي" a four-letter ت… may be a present verb of Form I
    "أي كلمة تصف كيف تولدت هذه المجموعات؟",  # too far from the noun asked about
    "من؟",
    "",
])
def test_other_questions_are_embedded_as_asked(question: str) -> None:
    assert embedding_wording(question) == question


class Recording(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.queries.extend(texts)
        return super().embed_queries(texts)


def test_the_engine_embeds_the_wording_and_answers_the_question(isnad: Isnad, tmp_path: Path) -> None:
    embedder = Recording()
    engine = Isnad(isnad.settings, embedder)
    engine.ingest([Path(__file__).resolve().parent.parent / "corpus"])
    embedder.queries.clear()
    answer = engine.ask("من توسط بين أرمينيا وأذربيجان؟")
    assert embedder.queries == ["من قام بالتوسط بين أرمينيا وأذربيجان؟"]
    assert answer.question == "من توسط بين أرمينيا وأذربيجان؟"
    # Its words are searched as asked: the lexical index gets the question's own terms.
    assert engine.search("من توسط بين أرمينيا وأذربيجان؟", 3).query == "من توسط بين أرمينيا وأذربيجان؟"
