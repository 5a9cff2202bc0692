"""The role a country or city plays in a sentence, read from the little words around it, in English and
Arabic alike: "to Armenia" / "لأذربيجان" (to), "in Armenia" / "في أرمينيا" (in), none (the subject or
the object: "Azerbaijan ceded …" / "تنازلت أرمينيا …").

Prepositions are a closed class with one table across the two languages, so an English claim's places
can be set against an Arabic sentence's without reading either: "Azerbaijan ceded control of
Nagorno-Karabakh to Armenia." against "تنازلت أرمينيا عن السيطرة على … لأذربيجان" gives each country the
other's role, and "Russia has a military base in Azerbaijan." against "لروسيا قاعدة عسكرية في أرمينيا … كما
اتفقت عليه باكو" puts another country where the claim puts Azerbaijan, which the sentence names otherwise.

    >>> swapped_role("Azerbaijan ceded control of Nagorno-Karabakh to Armenia.",
    ...              "تنازلت أرمينيا عن السيطرة على منطقة ناغورنو كاراباخ لأذربيجان")
    ('أرمينيا', 'Azerbaijan')
"""

from __future__ import annotations

from .arabic import normalize, written_words
from .names import any_place_kinds, place_forms, place_ids

CORE = "core"  # no preposition: the subject or the object
# English prepositions and the role each gives the place after it ("of", "by": kept, never compared).
_EN = {"in": "in", "at": "in", "inside": "in", "to": "to", "into": "to", "toward": "to", "towards": "to",
       "from": "from", "with": "with", "on": "on", "against": "on", "of": "of", "by": "by", "for": "for",
       "between": "between", "and": "and", "or": "and"}
_AR = {normalize(w): r for w, r in (("في", "in"), ("داخل", "in"), ("إلى", "to"), ("لصالح", "to"), ("نحو", "to"),
                                    ("من", "from"), ("عن", "from"), ("مع", "with"), ("على", "on"), ("ضد", "on"),
                                    ("بين", "between"))}
# A word that may stand between a preposition and its place ("على منطقة ناغورنو", "إلى حليفتها موسكو").
_DESCRIPTORS = frozenset(normalize(w) for w in """منطقة مدينة دولة العاصمة عاصمة جمهورية إقليم حليفتها حليفها
    جارتها جارها""".split())
# Roles whose swap changes the fact: where, whither, whence, with whom, against whom.
COMPARED = frozenset({"in", "to", "from", "with", "on"})
_THE = frozenset({"the", "a"})


def roles(text: str) -> list[tuple[str, frozenset[str], str]]:
    """Each place the text names (the first word of a run: "Nagorno Karabakh" once), with its table
    entries and its role: (the word as written, entries, role)."""
    words = written_words(text)
    out: list[tuple[str, frozenset[str], str]] = []
    for k, word in enumerate(words):
        ids = place_ids(word)
        if not ids or (k > 0 and place_ids(words[k - 1]) and not word.startswith("و")):
            continue
        role = _arabic_role(words, k) if not word.isascii() else _english_role(words, k)
        if role == "and":  # "Armenia and Azerbaijan", "باكو ويريفان": the role of the place before
            role = out[-1][2] if out else CORE
        out.append((word, ids, role))
    return out


def _english_role(words: list[str], k: int) -> str:
    if k + 1 < len(words) and words[k + 1] == "s":  # "Armenia's request": the possessor
        return "of"
    before = [w.lower() for w in words[max(k - 2, 0):k] if w.lower() not in _THE]
    return _EN.get(before[-1], CORE) if before else CORE


def _arabic_role(words: list[str], k: int) -> str:
    w = normalize(words[k])
    bare = w[1:] if w.startswith("و") and place_forms(w[1:]) else w
    if bare != w:  # "وأذربيجان": joined to the place before it
        return "and"
    for prefix, role in (("لل", "to"), ("ل", "to"), ("ب", "in")):
        if w.startswith(prefix) and place_forms(w[len(prefix):]):
            return role
    prev = [normalize(x) for x in words[max(k - 2, 0):k]]
    if prev and prev[-1] in _AR:
        return _AR[prev[-1]]
    if len(prev) == 2 and prev[1] in _DESCRIPTORS and prev[0] in _AR:
        return _AR[prev[0]]
    return CORE


def swapped_role(claim: str, support: str) -> tuple[str, str] | None:
    """Where a claim (English, or Arabic) and a sentence name the same places in other roles: (the sentence's
    place, the claim's). Either each of two places has the other's role (the claim's subject is the
    sentence's "to"/"in"/"from" place and the reverse), or the sentence puts another place of the same
    kind (city, country) in the role the claim gives one, and names the claim's place only in another.
    None when nothing is swapped or the texts do not allow telling."""
    c, s = roles(claim), roles(support)
    in_support: dict[str, set[str]] = {}
    for _, ids, role in s:
        for i in ids:
            in_support.setdefault(i, set()).add(role)
    c_ids = frozenset().union(*(ids for _, ids, _ in c))

    def said_as(ids: frozenset[str]) -> set[str]:
        return set().union(*(in_support.get(i, set()) for i in ids))

    for a_word, a_ids, a_role in c:
        if a_role != CORE or not said_as(a_ids) or CORE in said_as(a_ids):
            continue
        for _, b_ids, b_role in c:
            if b_ids & a_ids or b_role not in COMPARED:
                continue
            if b_role in said_as(a_ids) and CORE in said_as(b_ids) and b_role not in said_as(b_ids):
                core = next(w for w, ids, r in s if ids & b_ids and r == CORE)
                return core, a_word
    for p_word, p_ids, p_role in c:
        if p_role not in COMPARED or not said_as(p_ids) or p_role in said_as(p_ids):
            continue
        for q_word, q_ids, q_role in s:
            if q_role == p_role and not q_ids & c_ids and any_place_kinds(q_word) & any_place_kinds(p_word):
                return q_word, p_word
    return None
