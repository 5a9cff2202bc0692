"""Follow-up questions resolved from the conversation without an LLM (rag/conversation.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import CORPUS

from rag.conversation import contextual_query, is_follow_up
from rag.engine import Isnad
from rag.types import Article

FIRST_AR = "من توسط بين أرمينيا وأذربيجان؟"
FIRST_EN = "Who mediated between Armenia and Azerbaijan?"


@pytest.mark.parametrize(
    "question",
    [
        "ومتى حدث ذلك؟",  # demonstrative
        "ومتى؟",  # no content words of its own
        "لماذا؟",
        "وماذا عن روسيا؟",  # "what about" opener
        "وكم بلغت الغرامة؟",  # "and" + question word opens a continuation
        "ومن أعلن هذا القرار",
        "ماذا عن روسيا؟",
        "ما موقف روسيا منها؟",  # anaphoric preposition + pronoun
        "من قالها؟",  # clitic pronoun
        "وأين حدث هذا؟",
        "And when did that happen?",
        "Why?",
        "and then?",
        "What did he say?",
        "Where is it?",
        "What about Russia?",
        "How about the European Union?",
    ],
)
def test_follow_ups_are_detected(question: str) -> None:
    assert is_follow_up(question)
    assert contextual_query(question, [FIRST_AR]) == f"{FIRST_AR} {question}"


@pytest.mark.parametrize(
    "question",
    [
        FIRST_AR,
        FIRST_EN,
        "ما هي عاصمة فرنسا؟",
        "وزير الخارجية الروسي قال ماذا عن المفاوضات؟",  # starts with و, but not "and" + question word
        "متى بدأت المفاوضات في إطار مجموعة مينسك؟",
        "كم عدد القتلى في الاشتباكات الحدودية بين أرمينيا وأذربيجان؟",
        "What is the capital of Japan?",
        "How many soldiers died in the border clashes?",
        "Which countries chair the Minsk Group of the OSCE?",
    ],
)
def test_standalone_questions_are_unchanged(question: str) -> None:
    assert not is_follow_up(question)
    assert contextual_query(question, [FIRST_AR, "ومتى؟"]) == question


@pytest.mark.parametrize(
    "question",
    [
        "Were there casualties in the border clashes between Armenia and Azerbaijan?",
        "Is there a ceasefire agreement between Armenia and Azerbaijan?",
    ],
)
def test_existential_there_is_not_a_follow_up(question: str) -> None:
    """'there' in 'is there' / 'were there' points back at nothing; the question stands on its own."""
    assert not is_follow_up(question)
    assert contextual_query(question, [FIRST_AR]) == question


def test_no_history_means_no_change() -> None:
    assert contextual_query("ومتى حدث ذلك؟", []) == "ومتى حدث ذلك؟"
    assert contextual_query("  ومتى؟  ", []) == "ومتى؟"


def test_question_is_stripped() -> None:
    assert contextual_query("  ومتى حدث ذلك؟ ", [FIRST_AR]) == f"{FIRST_AR} ومتى حدث ذلك؟"


def test_chain_of_follow_ups_points_at_the_last_standalone_question() -> None:
    history = ["ما هي عاصمة فرنسا؟", FIRST_AR, "ومتى؟", "وأين؟"]
    assert contextual_query("ولماذا؟", history) == f"{FIRST_AR} ولماذا؟"


def test_latest_standalone_question_wins() -> None:
    history = [FIRST_EN, "What is the capital of Japan?"]
    assert contextual_query("And why?", history) == "What is the capital of Japan? And why?"


def test_history_of_only_follow_ups_uses_the_oldest() -> None:
    assert contextual_query("ولماذا؟", ["ومتى؟", "وأين؟"]) == "ومتى؟ ولماذا؟"


def test_engine_searches_follow_ups_with_the_earlier_question(isnad: Isnad) -> None:
    isnad.ingest([CORPUS])
    alone = isnad.ask("ومتى حدث ذلك؟", k=3)
    followed = isnad.ask("ومتى حدث ذلك؟", k=3, history=[FIRST_AR])
    combined = isnad.ask(f"{FIRST_AR} ومتى حدث ذلك؟", k=3)
    assert [(p.start, p.score) for p in followed.passages] == [(p.start, p.score) for p in combined.passages]
    assert [(p.start, p.score) for p in followed.passages] != [(p.start, p.score) for p in alone.passages]
    assert followed.question == "ومتى حدث ذلك؟"  # the answer reports the question as asked


MRABET = Article("mrabet", "Tunisia's coach and a Swedish-born player",
                 "Tunisia coach Nabil Maaloul is trying to persuade Swedish-born Karim Mrabet to play for Tunisia at the "
                 "2018 World Cup. Mrabet, who is 23 years old, plays for a club in Stockholm. The World Cup starts in "
                 "June.", "2018-02-01", None, None)
AGE = "Mrabet, who is 23 years old, plays for a club in Stockholm."
WHICH = "Which player is Tunisia's coach trying to persuade to play at the World Cup?"


def test_a_follow_ups_sentences_are_ranked_by_what_it_asks_too(isnad: Isnad,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Searched with the question it follows, the follow-up finds the story; ranked by that joint query
    # alone, its sentences would repeat the first answer's quote ("How old is he?" -> the coach's plan).
    isnad.add_articles([MRABET])
    embedded: list[str] = []
    embed = isnad.embedder.embed_queries

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        embedded.extend(texts)
        return embed(texts)

    monkeypatch.setattr(isnad.embedder, "embed_queries", counting)
    standalone = isnad.ask(WHICH, corroborate=False)
    assert embedded == [WHICH] and AGE not in [c.quote for c in standalone.citations]
    embedded.clear()
    isnad.ask("How old is he?", history=[WHICH], corroborate=False)
    assert embedded == [f"{WHICH} How old is he?", "How old is he?"]
    # What the follow-up asks lifts its own sentence against the one the first answer quoted (how far
    # is the learned weights' matter: the quotes an answer shows depend on them, this does not).
    retrieval = isnad.retriever.retrieve(f"{WHICH} How old is he?", 3)

    def age_over_plan() -> float:
        scores = {s.candidate.text: s.score for s in isnad.answerer.judge("How old is he?", retrieval).ranked}
        return scores[AGE] - scores[standalone.citations[0].quote]

    with_own = age_over_plan()
    isnad.answerer.policy = replace(isnad.answerer.policy, follow_up_weight=0.0)  # the joint query alone
    assert with_own > age_over_plan() + 0.1
