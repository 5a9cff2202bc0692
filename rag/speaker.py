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

from collections.abc import Callable, Sequence
from typing import TypeVar

from .arabic import normalize, written_words
from .facts import speech_at
from .names import place_ids

T = TypeVar("T")

_ASKING = frozenset(normalize(w) for w in "ماذا وماذا بماذا فماذا ما وما".split())
_AUX = frozenset("did does do has have had".split())
# The verb of an English question on what was said, as the question writes it after "did".
_SAY = frozenset("say tell state claim announce declare deny report comment accuse condemn".split())
_THAT = frozenset(normalize(w) for w in "إن أن ان بأن وإن انه أنه إنه انها أنها إنها that".split())
_ABOUT = frozenset(normalize(w) for w in "بشأن حول عن على ضد تجاه إزاء بخصوص بأي about on over against".split())
SPEAKER_WORDS = 5  # how far after the word of saying its speaker may be named


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


def sentence_speaker(sentence: str) -> frozenset[str]:
    """The places of whoever the sentence has saying something, where it names one right after its
    first word of saying ("وقالت وزارة الدفاع في يريفان إن …" -> Armenia's entries)."""
    said = speech_at(sentence)
    if said is None:
        return frozenset()
    return _places(written_words(sentence)[said + 1: said + 1 + SPEAKER_WORDS])


def other_speaker(question: str, sentence: str) -> bool:
    return _spoken_by_other(asked_speaker(question), sentence)


def by_asked_speaker(question: str, ranked: Sequence[T], text: Callable[[T], str]) -> tuple[list[T], list[T]]:
    """`ranked` split in two, each in its order: the sentences that may be what the asked speaker said,
    and those another place says (empty for a question that asks no speaker)."""
    asked = asked_speaker(question)
    if not asked:
        return list(ranked), []
    other = {i for i, r in enumerate(ranked) if _spoken_by_other(asked, text(r))}
    return [r for i, r in enumerate(ranked) if i not in other], [ranked[i] for i in sorted(other)]


def _spoken_by_other(asked: frozenset[str], sentence: str) -> bool:
    """A speaker named in the sentence, and not the one asked about (none asked: False)."""
    says = sentence_speaker(sentence) if asked else frozenset()
    return bool(says) and not says & asked


def _places(words: Sequence[str]) -> frozenset[str]:
    """The entries of the first place among `words` and of any joined to it ("أرمينيا وأذربيجان" are both
    speakers), read up to "إن / أن / that" or a word that begins what is spoken of ("لم تدل بأي تصريحات
    بشأن طلب أرمينيا": Armenia is what it is about, not who speaks)."""
    found: frozenset[str] = frozenset()
    joined = False
    for w in words:
        form = normalize(w.lower())
        if form in _THAT or form in _ABOUT:
            break
        ids = place_ids(w)
        if found and not (ids and (joined or form.startswith("و"))):
            if form == "and":
                joined = True
                continue
            break
        found |= ids
    return found
