"""Claim checking (rag/verify.py): the supporting span, and the facts it must hold (hash embedder)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_answer import EXTRA

from rag.cli import main
from rag.contract import verdict_json
from rag.engine import Isnad
from rag.errors import EmptyQuestionError, NotFoundError
from rag.settings import Settings
from rag.types import Article
from rag.verify import VerifyPolicy, _checkable_name, _name_differs, _saying_denied


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Isnad:
    db = tmp_path_factory.mktemp("verify") / "db"
    isnad = Isnad(Settings.from_env({}, db_dir=str(db), embed_model="hash", chunk_chars=300))
    isnad.add_articles(EXTRA)
    # The hash embedder's similarities are not the real model's: check the facts, not the threshold.
    isnad.verify("warm up")
    isnad.verifier.policy = VerifyPolicy(min_similarity=0.2)
    return isnad


def check_verbatim(engine: Isnad, verdict) -> None:  # type: ignore[no-untyped-def]
    for c in [*verdict.citations, *([verdict.closest] if verdict.closest else [])]:
        assert engine.get(c.article_id).text[c.start:c.end] == c.quote


def test_a_claim_the_article_states_is_supported_with_its_span(engine: Isnad) -> None:
    v = engine.verify("ارتفعت أسعار النفط 3.5 في المئة يوم الاثنين")
    assert v.supported, v.reason
    assert v.citations[0].article_id == "oil"
    assert v.citations[0].quote == "ارتفعت أسعار النفط 3.5 في المئة يوم الاثنين."
    check_verbatim(engine, v)


@pytest.mark.parametrize(("claim", "verdict", "reason"), [
    ("ارتفعت أسعار النفط 4.5 في المئة يوم الاثنين", "contradicted", "the article says 3.5, the claim 4.5"),
    ("ويستمر المعرض حتى 13 ديسمبر بمشاركة 1632 دار نشر", "contradicted", "article says month 11, the claim month 12"),
    ("لم ترتفع أسعار النفط 3.5 في المئة يوم الاثنين", "contradicted", "denies"),  # negated
    ("انخفضت أسعار النفط 3.5 في المئة يوم الاثنين", "contradicted", "the article says ارتفعت, the claim انخفضت"),
    ("ويستمر المعرض حتى 13 نوفمبر بمشاركة 1632 دار نشر من 83 دولة إسكندنافية", "not found", "اسكندنافية"),  # added
    ("ويستمر المعرض حتى 14 نوفمبر بمشاركة 1632 دار نشر", "contradicted", "the article says 13, the claim 14"),
    # a count is no other value of a day of a month ("13 نوفمبر")
    ("ويستمر المعرض 12 يوما بمشاركة 1632 دار نشر من 83 دولة", "not found", "the number 12 is not in the closest"),
])
def test_a_changed_fact_is_not_supported_and_says_why(engine: Isnad, claim: str, verdict: str, reason: str) -> None:
    v = engine.verify(claim)
    assert not v.supported
    assert v.verdict == verdict, v.reason
    assert reason in v.reason.replace("'", "").replace("إ", "ا"), v.reason
    assert v.citations == [] and v.closest is not None
    check_verbatim(engine, v)


def test_a_negation_denies_only_what_it_negates(engine: Isnad) -> None:
    support = "اتهمت أرمينيا وأذربيجان بعضهما ببدء الاشتباكات على الحدود المشتركة، والتي لم يتم ترسيمها بعد."
    differs = engine.verifier.differs
    # The border was not drawn; that the clashes began is stated, not denied.
    assert differs("اتهمت أرمينيا وأذربيجان بعضهما ببدء الاشتباكات على الحدود", support, "ar", {}) is None
    assert differs("تم ترسيم الحدود المشتركة بين البلدين", support, "ar", {}) == \
        "the article says the opposite (it negates it)"
    assert differs("ليس صحيحا أن أرمينيا وأذربيجان تبادلتا الاتهامات", "تبادلت أرمينيا وأذربيجان الاتهامات.", "ar",
                   {}) == "the claim denies what the article says"
    # Across languages, without the model to read the negated word: every negation denies.
    assert differs("The clashes began on the border.", support, "en", {}) == \
        "the article says the opposite (it negates it)"


def test_english_claim_with_a_changed_latin_name_against_an_english_passage(engine: Isnad) -> None:
    assert engine.verify("Charles Michel spoke with both leaders.", "mixed").supported
    v = engine.verify("Donald Michel spoke with both leaders.", "mixed")
    assert not v.supported and "Donald" in v.reason


def test_article_id_restricts_the_search(engine: Isnad) -> None:
    v = engine.verify("ارتفعت أسعار النفط 3.5 في المئة يوم الاثنين", "fair")
    assert not v.supported
    assert v.closest is not None and v.closest.article_id == "fair"
    with pytest.raises(NotFoundError, match="rag list"):
        engine.verify("أي شيء", "no-such-article")


@pytest.mark.parametrize("claim", ["", "   ", "\u200b", "؟؟", "x" * 2001])
def test_empty_or_huge_claims_are_refused(engine: Isnad, claim: str) -> None:
    with pytest.raises(EmptyQuestionError):
        engine.verify(claim)


def test_json_contract(engine: Isnad) -> None:
    out = verdict_json(engine.verify("ارتفعت أسعار النفط 3.5 في المئة يوم الاثنين"), "c1")
    assert set(out) == {"id", "claim", "supported", "verdict", "score", "reason", "citations", "corroborated_by",
                        "disputed_by"}
    assert out["verdict"] == "supported"
    assert out["id"] == "c1" and out["supported"] is True
    assert set(out["citations"][0]) == {"article_id", "title", "quote", "start", "end"}  # type: ignore[index]


def test_cli_verify_batch_keeps_going_past_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "db"
    monkeypatch.setenv("RAG_EMBED_MODEL", "hash")
    src = tmp_path / "a.jsonl"
    src.write_text("\n".join(json.dumps({"id": a.id, "title": a.title, "text": a.text}, ensure_ascii=False)
                             for a in EXTRA), encoding="utf-8")
    assert main(["ingest", str(src), "--db", str(db), "--quiet"]) == 0
    batch = tmp_path / "claims.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": 1, "claim": "ارتفعت أسعار النفط 3.5 في المئة يوم الاثنين", "article_id": "oil"},
                   ensure_ascii=False),
        "{broken",
        json.dumps({"id": 3, "claim": 5}),
        json.dumps({"id": 4, "claim": "ارتفعت أسعار النفط 9 في المئة", "article_id": "oil"}, ensure_ascii=False),
    ]), encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", "--batch", str(batch), "--db", str(db)]) == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.get("id") for r in rows] == [1, None, 3, 4]
    assert "claims.jsonl:2" in rows[1]["error"] and "claims.jsonl:3" in rows[2]["error"]
    assert rows[3]["supported"] is False and "9" in rows[3]["reason"]
    assert main(["verify", "--db", str(db), "--json", "ارتفعت أسعار النفط 9 في المئة"]) == 0
    assert json.loads(capsys.readouterr().out)["supported"] is False




@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=200))
def test_any_claim_gets_a_verdict_with_verbatim_spans_or_a_clear_error(engine: Isnad, claim: str) -> None:
    if not any(ch.isalnum() for ch in claim):  # nothing to check: "؟؟", spaces, zero-width characters
        with pytest.raises(EmptyQuestionError, match="no words"):
            engine.verify(claim)
        return
    v = engine.verify(claim)
    assert isinstance(v.supported, bool) and v.reason
    check_verbatim(engine, v)


@pytest.mark.parametrize(("claim", "support", "says"), [
    # an English claim with another name than the Arabic passage: transliterations are compared
    ("Charles Michel spoke with President Aliyev and President Macron.",
     "أفاد «ميشيل» في تغريدة أنه تحدث مع كل من الرئيس الأذربيجاني «إلهام علييف» ورئيس وزراء أرمينيا «نيكول باشينيان»",
     "the claim 'Macron'"),
    ("Hamas said the truce came through Qatari and UN efforts.",
     "أعلن المتحدث باسم حركة حماس التوصل لاتفاق لعودة التهدئة في قطاع غزة بجهود مصرية وأممية", "'Qatari'"),
    ("Al-Faisaly lost to Al-Ahli in the King's Cup.",
     "فجّر الفيصلي مفاجأة بعد اقصائه أهلي جدة من مسابقة كأس الملك بفوزه عليه 1-صفر", "'بفوزه', the claim 'lost'"),
    ("The Yemeni army foiled a naval attack on Tuesday.", "أفشلت قوات الجيش اليمني، الجمعة، هجوماً بحرياً",
     "the article says Friday, the claim Tuesday"),
    ("صدم سائق ثلاثة من أفراد الأمن في جنوب إسرائيل", "صدم بسيارته 3 من أفراد الأمن في شمال إسرائيل",
     "'شمال', the claim 'جنوب'"),
    # an Arabic claim with another country, city or people in the same slot as the passage's
    ("أعلنت حماس التوصل إلى اتفاق لعودة التهدئة في قطاع غزة بجهود قطرية وأممية",
     "أعلن المتحدث باسم حركة حماس التوصل لاتفاق لعودة التهدئة في قطاع غزة \"بجهود مصرية وأممية\"",
     "the article says 'مصرية', the claim 'قطرية'"),
    ("اعترضت الدفاعات الجوية السعودية صاروخا استهدف مدينة جدة",
     "دبي، الإمارات العربية المتحدة -- أكد مصدر مسؤول أن قوات الدفاع الجوي السعودية اعترضت صاروخا استهدف الرياض",
     "the article says 'الرياض', the claim 'جدة'"),
    ("سيمثل ساندرو روسيل رئيس ريال مدريد السابق أمام القضاء",
     "قالت المحكمة إن ساندرو روسيل رئيس برشلونة السابق سيمثل أمام القضاء", "'برشلونة', the claim 'مدريد'"),
    # a place the passage names, but for something else: in the claim's slot it has another place...
    ("قوات حفظ السلام الروسية متمركزة في أرمينيا",
     "من المهم التأكيد على أن لروسيا قاعدة عسكرية في أرمينيا وأن قوات حفظ السلام التابعة لها متمركزة في "
     "\"ناغورنو كاراباخ\"، كما اتفقت عليه باكو ويريفان وموسكو", "the article says 'ناغورنو كاراباخ', the claim 'أرمينيا'"),
    # ...or the subject's role goes to the other country
    ("تنازلت أذربيجان عن السيطرة على ناغورنو كاراباخ لصالح أرمينيا",
     "ثم، على أساس معاهدة السلام في نوفمبر 2020، تنازلت أرمينيا عن السيطرة على منطقة \"ناغورنو كاراباخ\" وجميع "
     "المقاطعات السبع المجاورة لأذربيجان", "the article says 'أرمينيا', the claim 'أذربيجان'"),
    # a city whose name shares a word with the passage's ("Los"): the word that makes it a place counts
    ("Ronaldo denied raping a woman in Los Angeles in 2009.",
     "نفى رونالدو المزاعم بأنه اغتصب امرأة في لاس فيغاس عام 2009", "'Los Angeles'"),
    # another country has it said
    ("اتهمت أرمينيا أذربيجان بتصعيد الوضع",
     "من ناحية أخرى، اتهمت وزارة الدفاع الأذرية أرمينيا بتعمد \"تصعيد\" الوضع على طول الحدود",
     "the article has 'الأذرية' say it, the claim 'أرمينيا'"),
    # a person's first name with another surname, which the passage never gives
    ("John Kelly told reporters that Trump had signed the order earlier that morning.",
     "وقال مستشار الأمن القومي الأمريكي جون بولتون للصحفيين إن ترامب وقع الأمر في وقت سابق من الصباح",
     "the article names 'جون بولتون', the claim 'John Kelly'"),
    ("Armen Petrosyan is the secretary of Armenia's Security Council.",
     "نقلا عن تصريحات أمين مجلس الأمن في أرمينيا، «أرمين غريغوريان»", "'أرمين غريغوريان'"),
    # another part of the year
    ("Non-oil revenue rose 63 percent in the first half of the year.",
     "نمت الإيرادات غير النفطية 63% خلال الربع الأول من هذا العام", "the article says the first quarter, the claim "
     "the first half"),
])
def test_what_differs_is_named_across_languages(engine: Isnad, claim: str, support: str, says: str) -> None:
    reason = engine.verifier.differs(claim, support, "en" if claim.isascii() else "ar", {})
    assert reason is not None and says in reason, reason


@pytest.mark.parametrize(("claim", "support"), [
    ("Charles Michel spoke with Ilham Aliyev and Nikol Pashinyan.",
     "أفاد «ميشيل» في تغريدة أنه تحدث مع كل من الرئيس الأذربيجاني «إلهام علييف» ورئيس وزراء أرمينيا «نيكول باشينيان»"),
    ("Egypt's central bank kept rates unchanged at 16.75% for a third time.",
     "قرار البنك المركزي المصري الإبقاء على سعر عائد الإيداع دون تغيير عند مستوى 16.75% للمرة الثالثة"),
    ("Qatar will invest ten billion euros in Germany over five years.",
     "تخطط قطر لضخ استثمارات بقيمة 10 مليارات يورو في الاقتصاد الألماني خلال الـ5 سنوات المقبلة"),
    ("صرّح ماكرون بأن استقرار الشرق الأوسط أولوية", "قال ماكرون إن الأولوية هي إرساء الاستقرار في الشرق الأوسط"),
    # a place said elsewhere (a dateline's city, the capital of the claim's country) is no swap
    ("اعترضت الدفاعات السعودية صاروخا أطلق على الرياض", "دبي -- اعترضت الدفاعات السعودية صاروخا أطلق على الرياض"),
    ("زار الرئيس المصري السعودية والتقى الملك", "وصل الرئيس المصري إلى الرياض حيث التقى الملك"),
    ("Ronaldo denied raping a woman in Las Vegas in 2009.",
     "نفى رونالدو المزاعم بأنه اغتصب امرأة في لاس فيغاس عام 2009"),
    # the same speaker, named first
    ("أذربيجان اتهمت أرمينيا بتصعيد الوضع",
     "من ناحية أخرى، اتهمت وزارة الدفاع الأذرية أرمينيا بتعمد \"تصعيد\" الوضع على طول الحدود"),
    # the same person, with a middle name between, or after a place of the same spelling
    ("John Bolton told reporters that Trump had signed the order.",
     "وقال مستشار الأمن القومي الأمريكي جون بولتون للصحفيين إن ترامب وقع الأمر"),
    ("John Kelly told reporters that Trump had signed the order.",
     "وقال جون فرانسيس كيلي للصحفيين إن ترامب وقع الأمر"),
    ("Armen Grigoryan is the secretary of Armenia's Security Council.",
     "نقلا عن تصريحات أمين مجلس الأمن في أرمينيا، «أرمين غريغوريان»"),
    # two places in other slots of the sentence, each where the claim has it (or named in a coordination)
    ("لروسيا قاعدة عسكرية في أرمينيا وقوات حفظ سلام في ناغورنو كاراباخ",
     "من المهم التأكيد على أن لروسيا قاعدة عسكرية في أرمينيا وأن قوات حفظ السلام التابعة لها متمركزة في "
     "ناغورنو كاراباخ"),
    ("اتهمت أذربيجان وأرمينيا بعضهما ببدء الاشتباكات", "اتهمت أرمينيا وأذربيجان بعضهما البعض ببدء الاشتباكات"),
    ("زار أردوغان روسيا بعد زيارته إيران", "زار أردوغان إيران ثم روسيا"),
    # the first quarter in other words, in either language
    ("ارتفعت العائدات غير النفطية 63 بالمئة في الأشهر الثلاثة الأولى من العام",
     "نمت الإيرادات غير النفطية 63% خلال الربع الأول من هذا العام"),
    ("Non-oil revenue rose 63 percent in the first three months of the year.",
     "نمت الإيرادات غير النفطية 63% خلال الربع الأول من هذا العام"),
])
def test_a_faithful_paraphrase_has_nothing_that_differs(engine: Isnad, claim: str, support: str) -> None:
    assert engine.verifier.differs(claim, support, "en" if claim.isascii() else "ar", {}) is None


def test_a_day_the_sentence_does_not_name_must_be_the_articles(engine: Isnad) -> None:
    # "يوم الاثنين" is the article's first line: a claim may take its day from there...
    said = engine.verify("قال محللون إن قرار أوبك+ خفض الإنتاج دعم الأسعار يوم الاثنين")
    assert said.supported, said.reason
    # ...but a day the article never names is not supported by it
    other = engine.verify("قال محللون إن قرار أوبك+ خفض الإنتاج دعم الأسعار يوم الخميس")
    assert other.verdict == "not found"
    assert other.reason == "Thursday is not in the closest passage (the article names Monday)"


def test_a_place_the_article_gives_elsewhere_is_only_not_in_the_sentence(tmp_path: Path) -> None:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    isnad.add_articles([Article("clash", "Border clashes", "Armenia accused its eastern neighbour of an attack on Sunday. "
                                "Azerbaijan denied it.", "2021-11-16", None, None)])
    isnad.verify("warm up")
    isnad.verifier.policy = VerifyPolicy(min_similarity=0.2, support_candidates=1)
    v = isnad.verify("Armenia accused Azerbaijan of an attack on Sunday.", "clash")
    assert v.verdict == "not found"
    assert v.reason == "'Azerbaijan' is not in the closest passage (the article names it elsewhere)"
    other = isnad.verify("Armenia accused Georgia of an attack on Sunday.", "clash")
    assert other.verdict == "contradicted" and other.reason == "the claim names 'Georgia'; the article does not"


@pytest.mark.parametrize(("name", "support", "differs"), [
    ("Ankara", "أعلن العبادي وأمير قطر دعمهما لتركيا في أزمتها مع واشنطن", False),  # its country says it
    ("Ankara", "أعلن العبادي دعمه لمصر", True),
    ("Real Madrid", "الرئيس السابق لنادي برشلونة ساندرو روسيل في إسبانيا", True),  # a club, not the city
])
def test_an_english_place_is_said_by_its_country_only_alone(name: str, support: str, differs: bool) -> None:
    assert _name_differs(name, support) is differs


def test_a_name_the_closest_sentence_leaves_out_may_be_in_the_next(tmp_path: Path) -> None:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    isnad.add_articles([Article("visit", "Abadi in Ankara", "Abadi met Erdogan in Ankara on Tuesday. Abadi and "
                                "Tamim met Erdogan in Ankara on Tuesday, officials said after the long talks.",
                                "2018-08-15", None, None)])
    claim = "Abadi and Tamim met Erdogan in Ankara on Tuesday"
    isnad.verify(claim)
    isnad.verifier.policy = VerifyPolicy(min_similarity=0.2, support_margin=1.0, support_candidates=1)
    alone = isnad.verify(claim, "visit")
    # (the article does name Tamim, in its next sentence)
    assert alone.verdict == "contradicted" and alone.reason == "the claim names 'Tamim'; the closest passage does not"
    isnad.verifier.policy = VerifyPolicy(min_similarity=0.2, support_margin=1.0)
    v = isnad.verify(claim, "visit")
    assert v.verdict == "supported", v.reason
    assert v.citations[0].quote.startswith("Abadi and Tamim")
    check_verbatim(isnad, v)


def one_article(tmp_path: Path, article: Article, **policy: Any) -> Isnad:
    """An index of one article (hash embedder), checked with no similarity bar and `policy`."""
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    isnad.add_articles([article])
    isnad.verifier.policy = VerifyPolicy(min_similarity=0.0, contradict_similarity=0.0, **policy)
    return isnad


def test_a_number_the_closest_sentence_lacks_may_be_given_otherwise_by_its_article(tmp_path: Path) -> None:
    text = ("خطف رجل الأعمال محمد ديوجي أمام فندق فخم في دار السلام. "
            "وكان ديوجي البالغ من العمر 43 عاما قد خطف لدى وصوله إلى الفندق.")
    isnad = one_article(tmp_path, Article("dewji", "خطف ديوجي", text, "2018-10-20", None, None), support_candidates=1)
    claim = "خطف محمد ديوجي البالغ من العمر 53 عاما أمام فندق فخم في دار السلام"
    v = isnad.verify(claim, "dewji")
    assert v.verdict == "contradicted" and v.reason == "the article says 43, the claim 53", v.reason
    assert v.closest is not None and "43 عاما" in v.closest.quote
    assert isnad.get("dewji").text[v.closest.start:v.closest.end] == v.closest.quote
    # that sentence must be as close to the claim as a contradiction needs
    isnad.verifier.policy = VerifyPolicy(min_similarity=0.0, contradict_similarity=0.999, support_candidates=1)
    assert isnad.verify(claim, "dewji").verdict == "not found"
    isnad.verifier.policy = VerifyPolicy(min_similarity=0.0, contradict_similarity=0.0, support_candidates=1)
    # the same quantity with another value is no contradiction where the article also gives the claim's
    isnad.add_articles([Article("dewji2", "خطف ديوجي", text + " وقال مقربون إن عمره 53 عاما بحسب أوراقه.",
                                "2018-10-21", None, None)])
    v = isnad.verify(claim, "dewji2")
    assert v.verdict != "contradicted", v.reason


def test_another_speaker_in_the_closest_sentence_leaves_room_for_the_claims(tmp_path: Path) -> None:
    """Both ministries accuse each other: the claim's speaker is in one of the two close sentences."""
    text = ("اتهمت وزارة الدفاع الأذرية أرمينيا بتصعيد الوضع على الحدود. "
            "واتهمت وزارة الدفاع الأرمينية أذربيجان بتصعيد الوضع على الحدود.")
    isnad = one_article(tmp_path, Article("both", "اتهامات متبادلة", text, "2021-11-16", None, None), support_margin=1.0)
    for claim, says in (("اتهمت أرمينيا أذربيجان بتصعيد الوضع على الحدود", "الأرمينية"),
                        ("اتهمت أذربيجان أرمينيا بتصعيد الوضع على الحدود", "الأذرية")):
        v = isnad.verify(claim, "both")
        assert v.verdict == "supported" and says in v.citations[0].quote, (claim, v.reason)
    v = isnad.verify("اتهمت روسيا أذربيجان بتصعيد الوضع على الحدود", "both")
    assert v.verdict == "contradicted" and "say it, the claim 'روسيا'" in v.reason, v.reason


def test_a_count_elsewhere_in_the_article_of_something_else_leaves_the_contradiction(tmp_path: Path) -> None:
    """The seed article's "فقدت السيطرة على موقعين عسكريين" against a claim of three positions: its "ثلاثة
    رؤساء مشاركين" counts something else (no word around either in common) and does not stand in the
    way; the dual counts its own noun, and "مواقع" is its plural."""
    text = ("لروسيا قاعدة عسكرية في أرمينيا. بدأت المفاوضات في إطار مجموعة مينسك بقيادة ثلاثة رؤساء مشاركين. "
            "وقالت وزارة الدفاع إن يريفان فقدت السيطرة على موقعين عسكريين.")
    isnad = one_article(tmp_path, Article("posts", "اشتباكات على الحدود", text, "2021-11-16", None, None),
                        support_candidates=1)
    claim = "خسرت أرمينيا ثلاثة مواقع عسكرية"
    v = isnad.verify(claim, "posts")
    assert v.verdict == "contradicted" and v.reason == "the article says 2, the claim 3", v.reason
    assert v.closest is not None and "موقعين" in v.closest.quote
    # the claim's count of the same thing, given elsewhere, still stands in the way
    isnad.add_articles([Article("posts2", "اشتباكات على الحدود", text + " وتحدثت مصادر عن ثلاثة مواقع عسكرية.",
                                "2021-11-17", None, None)])
    assert isnad.verify(claim, "posts2").verdict != "contradicted"


class VerdictReader:
    """A reader with a verdict head that reads every sentence the same way (what `probs` says)."""

    name, threshold, has_verdicts = "verdicts", None, True

    def __init__(self, **probs: float):
        self.probs = {"supported": 0.0, "contradicted": 0.0, "not found": 1.0} | probs
        self.claims: list[str] = []

    def read(self, question, items):  # type: ignore[no-untyped-def]
        raise AssertionError("an order-only reader is not asked to read a claim")

    def verdicts(self, claim, items):  # type: ignore[no-untyped-def]
        self.claims.append(claim)
        return [dict(self.probs) for _ in items]


@pytest.mark.parametrize(("probs", "claim", "verdict", "reason"), [
    # A word the sentence lacks (the hash embedder has no name probe: every rare word counts) is the
    # claim's own wording when the head reads the sentence as stating the claim...
    ({"supported": 0.9}, "ويستمر المعرض حتى 13 نوفمبر بمشاركة 1632 دار نشر من 83 دولة إسكندنافية", "supported",
     "supported"),
    ({"supported": 0.3}, "ويستمر المعرض حتى 13 نوفمبر بمشاركة 1632 دار نشر من 83 دولة إسكندنافية", "not found",
     "اسكندنافية"),
    # (a reading alone contradicts only where `read_contradict` is set: the test below)...
    # ...but numbers stay checks: no reading undoes them.
    ({"supported": 0.99}, "ارتفعت أسعار النفط 4.5 في المئة يوم الاثنين", "contradicted",
     "the article says 3.5, the claim 4.5"),
])
def test_a_verdict_head_decides_what_the_word_rules_cannot(engine: Isnad, probs: dict[str, float], claim: str,
                                                           verdict: str, reason: str) -> None:
    reader = VerdictReader(**probs)
    engine.answerer.reader = reader  # type: ignore[assignment]
    try:
        v = engine.verify(claim)
    finally:
        engine.answerer.reader = None
    assert v.verdict == verdict, v.reason
    assert reason in v.reason.replace("'", "").replace("إ", "ا"), v.reason
    assert v.supported is (verdict == "supported")
    check_verbatim(engine, v)
    if verdict == "supported":
        assert v.citations and v.citations[0].article_id == "fair"


def test_a_reading_contradicts_only_where_its_bar_is_set(engine: Isnad, monkeypatch: pytest.MonkeyPatch) -> None:
    claim = "ارتفعت أسعار النفط 3.5 في المئة يوم الاثنين"  # every word and number in the sentence
    reader = VerdictReader(contradicted=0.9)
    engine.answerer.reader = reader  # type: ignore[assignment]
    try:
        assert engine.verify(claim).verdict == "supported"
        assert reader.claims == []  # nothing a reading could change: the head is not asked
        monkeypatch.setattr(engine.verifier, "policy", replace(engine.verifier.policy, read_contradict=0.5))
        v = engine.verify(claim)
    finally:
        engine.answerer.reader = None
    assert v.verdict == "contradicted" and "read as stating otherwise" in v.reason, v.reason
    assert reader.claims == [claim]
    check_verbatim(engine, v)


def test_a_verdict_reader_of_its_own_reads_claims_in_place_of_the_answers_reader(engine: Isnad) -> None:
    claim = "ويستمر المعرض حتى 13 نوفمبر بمشاركة 1632 دار نشر من 83 دولة إسكندنافية"  # a word the sentence lacks
    answers, claims = VerdictReader(supported=0.1), VerdictReader(supported=0.9)
    engine.answerer.reader = answers  # type: ignore[assignment]
    engine.verifier.verdict_reader = claims
    try:
        v = engine.verify(claim)
    finally:
        engine.answerer.reader = None
        engine.verifier.verdict_reader = None
    assert v.verdict == "supported", v.reason
    assert claims.claims == [claim] and answers.claims == []
    check_verbatim(engine, v)


NO_STATEMENT = "ومع ذلك، فإن روسيا لديها لم تدلي بأي تصريحات بشأن طلب أرمينيا."


@pytest.mark.parametrize(("claim", "denied"), [
    ("Russia condemned Armenia's request.", True),  # no statement, then no condemnation
    ("أدانت روسيا طلب أرمينيا", True),  # the sayer after its verb, as Arabic puts it
    ("Moscow welcomed Armenia's request.", True),  # a capital is its country
    ("Armenia criticised Russia's silence.", False),  # another sayer
    ("Armenia asked Russia for help.", False),  # no saying
    # Agreeing to a request, accepting it, answering it: each a statement that "made none" denies.
    ("Russia has agreed to Armenia's request.", True),
    ("وافقت روسيا على طلب أرمينيا", True),
    ("استجابت موسكو لطلب أرمينيا", True),
    ("Armenia accepted Russia's silence.", False),  # another actor
])
def test_a_negated_statement_denies_what_the_same_actor_says(claim: str, denied: bool) -> None:
    negated_words = ["تدلي", "تصريحات"]  # negation_scopes of NO_STATEMENT
    assert _saying_denied(NO_STATEMENT, negated_words, claim) is denied


def test_a_claim_below_the_similarity_bar_says_how_far_below(engine: Isnad) -> None:
    """A similarity just under the bar is written so that it does not read as the bar itself."""
    v = engine.verify("penguins migrate every winter to warmer waters")
    assert v.verdict == "not found"
    m = re.search(r"closest similarity (\d\.\d{3}), below 0\.2\b", v.reason)
    assert m and float(m.group(1)) == pytest.approx(v.score, abs=5e-4), v.reason


def test_a_claim_that_restates_one_clause_of_a_long_sentence_is_compared_with_that_clause(tmp_path: Path) -> None:
    isnad = Isnad(Settings.from_env({}, db_dir=str(tmp_path / "db"), embed_model="hash"))
    long = ("Russia keeps a military base near the capital and its peacekeepers patrol the mountain roads of the "
            "region every day, as agreed by the three governments in the peace agreement signed on 9 November 2020.")
    isnad.add_articles([Article("truce", "Border talks", long, "2021-11-16", None, None)])
    claim = "The peace agreement was signed on 9 November 2020."
    isnad.verify(claim)
    whole = isnad.verify(claim, "truce").score
    isnad.verifier.policy = VerifyPolicy(min_similarity=whole + 0.01, clause_sentences=0)
    assert isnad.verify(claim, "truce").verdict == "not found"  # the whole sentence is not close enough
    isnad.verifier.policy = VerifyPolicy(min_similarity=whole + 0.01)
    v = isnad.verify(claim, "truce")
    assert v.verdict == "supported" and v.score > whole, (v.reason, v.score, whole)
    assert v.citations[0].quote == long  # the whole sentence is cited and checked
    other = isnad.verify("The peace agreement was signed on 9 December 2020.", "truce")
    assert other.verdict != "supported" and "month 11" in other.reason
    far = VerifyPolicy(min_similarity=whole + VerifyPolicy.clause_margin + 0.01)
    isnad.verifier.policy = far  # a sentence further below the bar than the margin is not cut into clauses
    assert isnad.verify(claim, "truce").verdict == "not found"
    check_verbatim(isnad, v)


def test_clauses_of_a_sentence() -> None:
    from rag.sentences import clauses

    text = "في هذا السياق، من المهم التأكيد على أن لروسيا قاعدة عسكرية في أرمينيا، كما اتفقت عليه باكو ويريفان وموسكو"
    assert clauses(text) == ["في هذا السياق، من المهم التأكيد على أن لروسيا قاعدة عسكرية في أرمينيا،",
                             "كما اتفقت عليه باكو ويريفان وموسكو"]
    assert all(piece in text for piece in clauses(text))
    assert clauses("A short sentence, with a pause.") == []  # "with a pause." joins the one before: one piece
    assert clauses("No pause at all in this one") == []
    assert clauses("It cost 1,000 dollars and more, the minister of finance said today.") == [
        "It cost 1,000 dollars and more,", "the minister of finance said today."]


def test_a_day_without_its_year_is_of_the_year_the_article_was_written(tmp_path: Path) -> None:
    text = "اتهمت أرمينيا وأذربيجان بعضهما البعض، في 16 نوفمبر، ببدء الاشتباكات على طول الحدود المشتركة."
    isnad = one_article(tmp_path, Article("clash", "اشتباكات على الحدود", text, "2021-11-16", None, None))
    assert isnad.verify("The clashes began on 16 November 2021.").verdict == "supported"
    # another year is not the article's, and a year with no day or month in the sentence is not given by its date
    assert isnad.verify("The clashes began on 16 November 2019.").reason == \
        "the number 2019 is not in the closest passage"
    isnad = one_article(tmp_path / "b", Article("c2", "اشتباكات", "اتهم البلدان بعضهما ببدء الاشتباكات.", "2021-11-16",
                                                None, None))
    assert isnad.verify("The clashes began in 2021.").reason == "the number 2021 is not in the closest passage"


def test_of_two_places_in_one_role_the_claim_is_read_against_the_one_its_words_go_with(tmp_path: Path) -> None:
    text = ("Russia has a military base in Armenia and its peacekeepers are stationed in Nagorno-Karabakh, "
            "as agreed in November 2020.")
    isnad = one_article(tmp_path, Article("base", "Russian forces", text, "2021-11-16", None, None))
    wrong = isnad.verify("Russian peacekeepers are stationed in Armenia.", "base")
    assert wrong.verdict == "contradicted", wrong.reason
    assert wrong.reason == "the article says 'Nagorno-Karabakh', the claim 'Armenia'"
    assert wrong.closest is not None and wrong.closest.quote == text
    assert isnad.verify("Russian peacekeepers are stationed in Nagorno-Karabakh.", "base").verdict == "supported"
    assert isnad.verify("Russia has a military base in Armenia.", "base").verdict == "supported"
    # Read no closer to the other place's words than the margin asks: the sentence names the place in that role.
    isnad.verifier.policy = replace(isnad.verifier.policy, role_margin=2.0)
    assert isnad.verify("Russian peacekeepers are stationed in Armenia.", "base").verdict == "supported"


@pytest.mark.parametrize(("name", "claim", "checkable"), [
    ("Lachin", "Armenian forces tried to stage a provocation in the Lachin region.", True),  # a region, so called
    ("Idlib", "Shelling hit Idlib province on Monday.", True),
    ("Armenia", "Armenia lost two positions.", True),  # a country of the table
    ("Lavrov", "Foreign Minister Lavrov said so.", True),  # after a title
    ("Academy Award", "She won the Academy Award in 2010.", False),  # translated, not transliterated
    ("Grand Mosque", "The Grand Mosque region was closed.", False),  # "region" must follow the name itself
])
def test_a_name_is_looked_for_letter_by_letter_only_where_it_is_written_so(name: str, claim: str,
                                                                           checkable: bool) -> None:
    assert _checkable_name(name, claim) is checkable
