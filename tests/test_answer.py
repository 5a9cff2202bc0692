"""Extractive answers: verbatim quotes, citation numbering, abstention (rag/answer.py via rag/engine.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CORPUS
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rag.answer import NOT_FOUND, NOT_MENTIONED
from rag.conversation import ALONE
from rag.engine import MAX_QUESTION_CHARS, Isnad
from rag.errors import EmptyIndexError, EmptyQuestionError
from rag.ingest.loaders import load_paths
from rag.sentences import split_sentences
from rag.settings import Settings
from rag.types import Article, Filters

EXTRA = [
    Article("fair", "معرض الشارقة للكتاب",
            "انطلقت اليوم فعاليات الدورة الأربعين من معرض الشارقة الدولي للكتاب.\n"
            "وقال رئيس الهيئة إن المعرض يقدم أكثر من مليون عنوان؛ «في مختلف المجالات».\n"
            "ويستمر المعرض حتى 13 نوفمبر، بمشاركة 1632 دار نشر من 83 دولة.",
            "2021-11-03", "wam", "https://example.org/fair"),
    Article("oil", "أسعار النفط",
            "ارتفعت أسعار النفط 3.5 في المئة يوم الاثنين. وقال محللون إن قرار أوبك+ خفض الإنتاج دعم الأسعار! "
            "هل تستمر الزيادة؟ يرى د. أحمد أن الطلب سيبقى قويا حتى نهاية العام.",
            "2022-10-03", "reuters", None),
    Article("mixed", "Mixed language note",
            "The European Council President Charles Michel spoke with both leaders. "
            "He called for a complete ceasefire. قال ميشيل إن الاتحاد ملتزم بالعمل مع الشركاء.",
            None, None, None),
]


def all_articles() -> list[Article]:
    return load_paths([CORPUS]).articles + EXTRA


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Isnad:
    db = tmp_path_factory.mktemp("answer") / "db"
    isnad = Isnad(Settings.from_env({}, db_dir=str(db), embed_model="hash", chunk_chars=300, abstain_below=0.0))
    isnad.add_articles(all_articles())
    return isnad


@pytest.fixture(scope="module")
def strict_engine(engine: Isnad) -> Isnad:
    """Same index, but abstains unless the scorer is certain (it never quite is)."""
    return Isnad(engine.settings.replace(abstain_below=1.0), engine.embedder)


def check_answer(isnad: Isnad, answer, k: int) -> None:  # type: ignore[no-untyped-def]
    if not answer.abstained:
        assert answer.citations
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert len(answer.citations) <= isnad.settings.answer_sentences
    for c in answer.citations:
        stored = isnad.get(c.article_id)
        assert c.quote == stored.text[c.start:c.end]
        assert c.quote and c.quote == c.quote.strip()
        assert (c.title, c.date, c.source, c.url) == (stored.title, stored.date, stored.source, stored.url)
        assert (c.start, c.end) in split_sentences(stored.text) or any(  # a whole sentence (or a cut piece)
            s <= c.start and c.end <= e for s, e in split_sentences(stored.text))
        assert f"{c.quote} [{c.n}]" in answer.answer
    if answer.citations:
        assert "[1]" in answer.answer
        assert answer.answer == " ".join(f"{c.quote} [{c.n}]" for c in answer.citations)
        assert answer.sentences == [(c.quote, c.n) for c in answer.citations]
    assert 0 < len(answer.passages) <= k
    scores = [p.score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)
    for p in answer.passages:
        stored = isnad.get(p.article_id)
        assert p.text == stored.text[p.start:p.end]
        assert p.title == stored.title
    assert {"retrieve", "answer", "total"} <= set(answer.timings_ms)


@st.composite
def questions(draw: st.DrawFn) -> str:
    """A question made of words taken from a random sentence of a random article."""
    article = draw(st.sampled_from(all_articles()))
    spans = split_sentences(article.text)
    s, e = draw(st.sampled_from(spans))
    words = article.text[s:e].split()
    start = draw(st.integers(0, max(0, len(words) - 1)))
    length = draw(st.integers(1, 8))
    suffix = draw(st.sampled_from(["؟", "?", "", " ؟"]))
    return " ".join(words[start:start + length]) + suffix


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(questions(), st.integers(1, 6))
def test_quotes_are_verbatim_for_any_question(engine: Isnad, question: str, k: int) -> None:
    assume(any(ch.isalnum() for ch in question))  # a question of punctuation only is refused (tested apart)
    answer = engine.ask(question, k=k)
    check_answer(engine, answer, k)


@pytest.mark.parametrize(
    "question",
    ["من توسط بين أرمينيا وأذربيجان؟", "كم دار نشر تشارك في معرض الشارقة؟", "لماذا ارتفعت أسعار النفط؟",
     "Who called for a ceasefire?", "What did Charles Michel say?", "مجموعة مينسك"],
)
def test_answers_cite_verbatim_and_number_from_one(engine: Isnad, question: str) -> None:
    answer = engine.ask(question, k=4)
    assert not answer.abstained  # abstain_below=0: never abstains
    check_answer(engine, answer, 4)
    assert answer.answer.startswith(answer.citations[0].quote)
    assert re.search(r"\[1\]", answer.answer)


def test_language_follows_the_question(engine: Isnad) -> None:
    assert engine.ask("من توسط بين أرمينيا وأذربيجان؟").language == "ar"
    assert engine.ask("Who mediated between Armenia and Azerbaijan?").language == "en"


@pytest.mark.parametrize(
    ("question", "lang"),
    [("من توسط بين أرمينيا وأذربيجان؟", "ar"), ("Who mediated between Armenia and Azerbaijan?", "en"),
     ("ارتفعت أسعار النفط 3.5 في المئة", "ar")],
)
def test_abstains_below_the_threshold(strict_engine: Isnad, question: str, lang: str) -> None:
    answer = strict_engine.ask(question, k=3)
    assert answer.abstained is True
    assert answer.citations == []
    assert answer.sentences == []
    assert answer.language == lang
    assert answer.answer == NOT_FOUND[lang]
    assert "[1]" not in answer.answer
    assert len(answer.passages) == 3  # the closest passages are still shown
    assert all(p.text for p in answer.passages)


def test_abstain_messages_are_in_their_language() -> None:
    assert re.search("[\u0621-\u064a]", NOT_FOUND["ar"])
    assert re.fullmatch(r"[\x20-\x7e]+", NOT_FOUND["en"])


def test_an_empty_index_says_how_to_fill_it_instead_of_not_found(tmp_path: Path) -> None:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    with pytest.raises(EmptyIndexError, match=r"holds no article yet: add some in the app.s \"Add articles\" tab, or with `python -m rag ingest corpus/`"):
        isnad.ask("Who mediated?")
    with pytest.raises(EmptyIndexError, match="holds no article yet"):
        isnad.verify("Russia mediated between Armenia and Azerbaijan.")
    isnad.ingest([CORPUS])
    assert isnad.ask("Who mediated?").passages  # answered from the articles now there
    # Articles that no passage matches (a filter that leaves none) are an answer, not an empty index.
    none = isnad.ask("Who mediated?", filters=Filters(sources=("no-such-source",)))
    assert none.abstained and none.passages == [] and none.answer == NOT_FOUND["en"]


def test_answer_sentences_setting_limits_citations(engine: Isnad) -> None:
    one = Isnad(engine.settings.replace(answer_sentences=1), engine.embedder)
    answer = one.ask("الاشتباكات على الحدود بين أرمينيا وأذربيجان", k=5)
    assert len(answer.citations) == 1
    check_answer(one, answer, 5)


def test_sentence_vectors_are_cached(engine: Isnad) -> None:
    question = "ارتفعت أسعار النفط؟"
    engine.ask(question)
    before = engine.index.store.counts()["cached_vectors"]
    engine.ask(question)
    assert engine.index.store.counts()["cached_vectors"] == before


@pytest.mark.parametrize(("question", "lang"), [("ومتى حدث ذلك؟", "ar"), ("And when did that happen?", "en")])
def test_a_follow_up_asked_first_says_so_when_nothing_is_found(strict_engine: Isnad, question: str, lang: str) -> None:
    alone = strict_engine.ask(question)
    assert alone.abstained and alone.note == ALONE[lang]
    # After the question it follows, or a question of its own that finds nothing: no such note (that one
    # says instead what the closest passages lack, though the scorer declined it already).
    assert strict_engine.ask(question, history=["من توسط بين أرمينيا وأذربيجان؟"]).note == ""
    assert strict_engine.ask("كم عدد سكان القاهرة؟").note == NOT_MENTIONED["ar"].format("القاهرة")


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused(engine: Isnad, question: str) -> None:
    with pytest.raises(EmptyQuestionError, match="empty"):
        engine.ask(question)


def test_overlong_question_is_refused(engine: Isnad) -> None:
    with pytest.raises(EmptyQuestionError, match=str(MAX_QUESTION_CHARS)):
        engine.ask("س" * (MAX_QUESTION_CHARS + 1))


def test_answers_need_no_model_call_beyond_the_question(tmp_path):
    """Sentences are embedded at ingest (the dense unit), so answering embeds no document text."""
    from rag.embedder import HashEmbedder
    from rag.engine import Isnad
    from rag.settings import Settings

    class Counting(HashEmbedder):
        documents = 0

        def embed_documents(self, texts, titles=None):
            Counting.documents += len(texts)
            return super().embed_documents(texts, titles)

    settings = Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", abstain_below=0.0)
    isnad = Isnad(settings, Counting())
    isnad.ingest(["corpus"])
    before = Counting.documents
    for question in ("مجموعة مينسك التابعة لمنظمة الأمن والتعاون", "Who mediated?", "الحدود"):
        answer = isnad.ask(question)
        assert not answer.abstained and answer.citations
    assert Counting.documents == before


PLACES = [
    Article("bahrain", "تفجير في البحرين", "قتل شخصان في تفجير إرهابي استهدف حافلة للشرطة في البحرين يوم الجمعة. "
            "وقالت وزارة الداخلية إن التفجير الإرهابي هو الأسوأ منذ أشهر.", "2017-06-30", None, None),
    Article("tunis", "أسعار المحروقات", "قررت الحكومة رفع أسعار المحروقات بداية من الشهر المقبل في تونس. "
            "وقالت الوزارة إن القرار يشمل البنزين والغاز.", "2018-01-02", None, None),
]


def test_a_question_that_names_a_place_no_article_names_is_declined(tmp_path: Path) -> None:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", abstain_below=0.0))
    isnad.add_articles(PLACES)
    # Sri Lanka is in no article: declined, and the note says what the closest passages lack.
    for question, lang, name in (("متى وقعت التفجيرات الإرهابية في سريلانكا؟", "ar", "سريلانكا"),
                                 ("When did the terrorist bombings in Sri Lanka happen?", "en", "Lanka")):
        answer = isnad.ask(question)
        assert answer.abstained and answer.answer == NOT_FOUND[lang] and answer.passages, question
        assert answer.note == NOT_MENTIONED[lang].format(name)
    # Where an article names it, the question is answered as the scorer chose (a paragraph may leave its
    # country to the article around it): here the bombing words are the Bahrain article's.
    tunis = isnad.ask("ما الذي استهدفه التفجير الإرهابي في تونس؟")
    assert not tunis.abstained and tunis.citations[0].article_id == "bahrain"
    # A people's adjective is said by its country's name, across scripts ("Tunisian": تونس).
    assert not isnad.ask("What did the Tunisian government decide about fuel prices?").abstained
    assert not isnad.ask("ما الذي استهدفه التفجير الإرهابي؟").abstained  # no place named


COPIES = [
    Article("wire", "اتفاق على وقف إطلاق النار",
            "أعلن الوسطاء اتفاقا على وقف إطلاق النار في المدينة اعتبارا من الليلة. "
            "وقال مسؤولون إن الاتفاق يشمل تبادل الأسرى خلال أسبوع.", "2021-05-20", "agency", None),
    # The same report republished by another outlet, its first sentence edited by a word.
    Article("reprint", "اتفاق على وقف إطلاق النار",
            "أعلن الوسطاء اتفاقا على وقف إطلاق النار في المدينة اعتبارا من هذه الليلة. "
            "وأضاف المسؤولون أن تبادل الأسرى سيتم خلال أسبوع.", "2021-05-20", "paper", None),
]


def test_a_sentence_found_twice_is_quoted_once(tmp_path: Path) -> None:
    """A copy's sentence (or a paragraph stored twice) would read as a second source saying more."""
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash", abstain_below=0.0,
                                    answer_sentences=4))
    isnad.add_articles(COPIES)
    answer = isnad.ask("متى يبدأ وقف إطلاق النار الذي أعلنه الوسطاء في المدينة؟")
    quotes = [c.quote for c in answer.citations]
    assert not answer.abstained, quotes
    assert sum("أعلن الوسطاء" in q for q in quotes) == 1, quotes
