"""Who says it: a question on what one country's body said, and a sentence where another's says it.

"ماذا قالت وزارة الدفاع الأذربيجانية؟" was answered with "وقالت وزارة الدفاع الأرمينية إن …": the sentence
has every word of the question ("… القوات الأذربيجانية" further on), and the embedding model does not
tell whose ministry speaks. Here the speaker is read the way a reader finds it: the words right after
the first word of saying ("قالت", "أعلنت", "said"), up to "إن / أن" or the first place named; in an
English question, the words between "did" and the verb ("What did Azerbaijan's defence ministry say?").
A country and its capital are one place ("وزارة الدفاع في يريفان" is Armenia's). A sentence whose
speaker is another place than the question's goes after the others, and is quoted only where nothing
else is; one that names no place where its speaker stands keeps its rank.

    >>> other_speaker("ماذا قالت وزارة الدفاع الأذربيجانية؟", "وقالت وزارة الدفاع الأرمينية إن هناك قتلى")
    True
    >>> other_speaker("ماذا قالت وزارة الدفاع الأذربيجانية؟", "اتهمت وزارة الدفاع الأذرية أرمينيا بالتصعيد")
    False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from .arabic import normalize, written_words
from .facts import speech_at
from .names import place_ids
from .sentences import sentence_before

T = TypeVar("T")

_ASKING = frozenset(normalize(w) for w in "ماذا وماذا بماذا فماذا ما وما".split())
_AUX = frozenset("did does do has have had".split())
# The verb of an English question on what was said, as the question writes it after "did".
_SAY = frozenset("say tell state claim announce declare deny report comment accuse condemn".split())
_THAT = frozenset(normalize(w) for w in "إن أن ان بأن وإن انه أنه إنه انها أنها إنها that".split())
_ABOUT = frozenset(normalize(w) for w in "بشأن حول عن على ضد تجاه إزاء بخصوص بأي about on over against".split())
_PRONOUNS = frozenset("he she they it".split())
# A request is said too: whoever asks is its speaker ("فإننا نطلب من روسيا …", "Armenia asked Russia …").
_REQUESTS = frozenset(normalize(w) for w in "طلب طلبت يطلب تطلب نطلب asked asks requested requests".split())
SPEAKER_WORDS = 5  # how far after the word of saying its speaker may be named
# A place that is not named but called what it is ("أعلنت المنطقة، ذات الأغلبية الأرمينية، انفصالها"): the
# speaker is that place, whatever country its description names.
_PLACE_NOUNS = frozenset(normalize(w) for w in """المنطقة منطقة الإقليم إقليم المدينة مدينة الولاية المقاطعة
    البلدة القرية الجزيرة""".split())


def asked_speaker(question: str) -> frozenset[str]:
    """The places of whoever a question on what was said asks about ("ماذا قالت وزارة الدفاع
    الأذربيجانية؟" -> Azerbaijan's entries); empty for any other question."""
    words = written_words(question)
    if not words:
        return frozenset()
    if not words[0].isascii():
        said = speech_at(question)
        if normalize(words[0]) not in _ASKING or said is None or said > 2:
            return frozenset()
        return _places(words[said + 1:])
    lowered = [w.lower() for w in words]
    if lowered[0] != "what":
        return frozenset()
    said = next((k for k, w in enumerate(lowered) if w in _SAY), speech_at(question))
    aux = next((k for k, w in enumerate(lowered[:said]) if w in _AUX), None) if said is not None else None
    return _places(words[aux + 1:said]) if aux is not None else frozenset()


def _said_at(text: str) -> int | None:
    """The position among the text's words of its first word of saying or of asking."""
    asked = next((k for k, w in enumerate(written_words(text)) if _asking(w)), None)
    said = speech_at(text)
    return min((k for k in (said, asked) if k is not None), default=None)


def _asking(word: str) -> bool:
    form = normalize(word.lower())
    return form in _REQUESTS or (form[:1] in ("و", "ف") and form[1:] in _REQUESTS)


def sentence_speaker(sentence: str, before: str = "") -> frozenset[str]:
    """The places of whoever the sentence has saying something, where it names one right after its
    first word of saying ("وقالت وزارة الدفاع في يريفان إن …" -> Armenia's entries). A sentence that
    opens with its word of saying and goes straight on to what was said ("وقال «منذ أن …»", "وأضاف أن
    …") names its speaker in the sentence `before` it: that one's speaker, or the place it opens with
    ("لجأت يريفان إلى حليفتها موسكو …"). Where no place follows the word of saying, one right before it
    is its subject ("وكانت وزارة الأوقاف السعودية، قالت …", "فإن روسيا لم تدل …"), unless "و" joins the
    word to an earlier verb, whose subject it shares ("هاجمت أذربيجان أرمينيا وأعلنت …")."""
    said = _said_at(sentence)
    if said is None:
        return frozenset()
    words = written_words(sentence)
    if said + 1 < len(words) and normalize(words[said + 1].lower()) in _PLACE_NOUNS:
        return frozenset()
    own = _places(words[said + 1: said + 1 + SPEAKER_WORDS])
    opens = said == 0 or (said == 1 and words[0].lower() in _PRONOUNS)  # "وقال …", "He added …"
    if not own and not opens and normalize(words[said])[:1] not in ("و", "ف"):
        return _place_before(words[max(0, said - SPEAKER_WORDS):said])
    if own or not opens or not before or not _goes_on_to_what_was_said(sentence, words, said):
        return own
    earlier = written_words(before)
    cut = next((k for k, w in enumerate(earlier) if normalize(w.lower()) in _THAT), len(earlier))
    return sentence_speaker(before) or _places(earlier[:min(cut, SPEAKER_WORDS + 1)], after_saying=False)


def _place_before(words: Sequence[str]) -> frozenset[str]:
    """The entries of the place nearest the end of `words`, read back no further than "إن / أن / that"."""
    for w in reversed(words):
        if normalize(w.lower()) in _THAT:
            break
        if ids := place_ids(w):
            return ids
    return frozenset()


def claim_speaker(claim: str) -> frozenset[str]:
    """The places of whoever a claim has saying something: named before its word of saying, in the
    clause that holds it ("Armenia accused …", "After the attack, Armenia's ministry said …", an Arabic
    claim that puts its subject first: "أرمينيا اتهمت …"), else, in Arabic, right after it ("اتهمت
    وزارة الدفاع الأذرية …")."""
    said = _said_at(claim)
    if said is None:
        return frozenset()
    words = written_words(claim)
    pos = claim.find(words[said], sum(len(w) for w in words[:said]))
    front = written_words(re.split(r"[,،:;]", claim[:pos])[-1]) if pos >= 0 else words[:said]
    first = next((k for k, w in enumerate(front) if place_ids(w)), None)
    if first is not None:
        return _places(front[first:], after_saying=False)
    return frozenset() if words[said].isascii() else _places(words[said + 1: said + 1 + SPEAKER_WORDS])


def other_sayer(claim: str, support: str, article: str = "") -> tuple[str, str] | None:
    """Where a claim has one place say (or ask) something and the sentence another ("Armenia accused
    Azerbaijan …" / "اتهمت وزارة الدفاع الأذرية أرمينيا …"; the sentence's speaker may be in the one
    before it in its `article`): (the sentence's speaker, the claim's), each as written; None where
    either names no speaking place, or they share one."""
    ours = claim_speaker(claim)
    if not ours:
        return None
    own = sentence_speaker(support)
    at = article.find(support) if not own and article else -1
    before = sentence_before(article, at) if at > 0 else ""
    theirs = own or sentence_speaker(support, before)
    if not ours or not theirs or ours & theirs:
        return None
    return _written(support if own else before, theirs), _written(claim, ours)


def _written(text: str, ids: frozenset[str]) -> str:
    """The first word of the text that names one of the places `ids`."""
    return next((w for w in written_words(text) if place_ids(w) & ids), "")


def _goes_on_to_what_was_said(sentence: str, words: Sequence[str], said: int) -> bool:
    """The word after the word of saying (at `said`) begins a quotation or is "إن / أن / that"."""
    if len(words) < said + 2:
        return False
    pos = sentence.find(words[said], sum(len(w) for w in words[:said]))  # after the words before it
    rest = sentence[pos + len(words[said]):].lstrip(" ,،:") if pos >= 0 else ""
    return (bool(rest) and rest[0] in "\"«“'") or normalize(words[said + 1].lower()) in _THAT


def other_speaker(question: str, sentence: str) -> bool:
    return _spoken_by_other(asked_speaker(question), sentence)


def by_asked_speaker(question: str, ranked: Sequence[T], text: Callable[[T], str],
                     before: Callable[[T], str] | None = None) -> tuple[list[T], list[T]]:
    """`ranked` split in two, each in its order: the sentences that may be what the asked speaker said,
    and those another place says (empty for a question that asks no speaker). `before` gives the
    sentence before each one in its article, where its speaker may be named."""
    asked = asked_speaker(question)
    if not asked:
        return list(ranked), []
    other = {i for i, r in enumerate(ranked)
             if _spoken_by_other(asked, text(r), before(r) if before is not None else "")}
    return [r for i, r in enumerate(ranked) if i not in other], [ranked[i] for i in sorted(other)]


def _spoken_by_other(asked: frozenset[str], sentence: str, before: str = "") -> bool:
    """A speaker named in the sentence (or for it, in the one before), and not the one asked about
    (none asked: False)."""
    says = sentence_speaker(sentence, before) if asked else frozenset()
    return bool(says) and not says & asked


def _places(words: Sequence[str], after_saying: bool = True) -> frozenset[str]:
    """The entries of the first place among `words` and of any joined to it ("أرمينيا وأذربيجان" are both
    speakers), read up to "إن / أن / that", a word that begins what is spoken of ("لم تدل بأي تصريحات
    بشأن طلب أرمينيا": Armenia is what it is about, not who speaks), or one that begins whom it is said
    to, after a word of saying ("أكد وانغ يي لنظيره الروسي": the Russian is spoken to)."""
    found: frozenset[str] = frozenset()
    joined = False
    for w in words:
        form = normalize(w.lower())
        ids = place_ids(w)
        to_whom = after_saying and form.startswith("ل") and not ids and not w.isascii()
        if form in _THAT or form in _ABOUT or to_whom:
            break
        if found and not (ids and (joined or form.startswith("و"))):
            if form == "and":
                joined = True
                continue
            break
        found |= ids
    return found
