"""The role a country or city plays in a sentence, read from the little words around it, in English and
Arabic alike: "to Armenia" / "لأذربيجان" (to), "in Armenia" / "في أرمينيا" (in), none (the subject or
the object: "Azerbaijan ceded …" / "تنازلت أرمينيا …").

Prepositions are a closed class with one table across the two languages, so an English claim's places
can be set against an Arabic sentence's without reading either: "Azerbaijan ceded control of
Nagorno-Karabakh to Armenia." against "تنازلت أرمينيا عن السيطرة على … لأذربيجان" gives each country the
other's role, and "Russia has a military base in Azerbaijan." against "لروسيا قاعدة عسكرية في أرمينيا … كما
اتفقت عليه باكو" puts another country where the claim puts Azerbaijan, which the sentence names otherwise.

Between two Arabic texts the slot of a place is read from the words around it instead (`swapped_place`,
"بجهود قطرية" / "بجهود مصرية"); in both, two words name one place when they are forms of one entry of the
place table ("الأذرية" / "الأذربيجانية"). In a list of places the words around one are other places: two
lists as long, with all members in common but one on each side, have that one swapped (`swapped_member`).

    >>> swapped_role("Azerbaijan ceded control of Nagorno-Karabakh to Armenia.",
    ...              "تنازلت أرمينيا عن السيطرة على منطقة ناغورنو كاراباخ لأذربيجان")
    ('أرمينيا', 'Azerbaijan')
"""

from __future__ import annotations

import re

from .arabic import normalize, terms, written_spans, written_words
from .names import any_place_kinds, place_forms, place_ids, place_keys, place_kinds

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
# English names of two words whose words are no place alone ("the United States"; "States" may be the Gulf's).
_COMPOUNDS = {("United", "States"): "US", ("United", "Kingdom"): "UK"}
# "المتحدة" (united) is the place its first word makes it: the United States, the Kingdom, the Emirates — and no
# place after "الأمم" (the United Nations) or alone.
_UNITED = normalize("المتحدة")
_KINGDOM = normalize("المملكة")
_UNITED_AFTER = {normalize("الولايات"): "US", _KINGDOM: "UK", normalize("العربية"): "UAE"}


def word_places(words: list[str], k: int) -> frozenset[str]:
    """`place_ids` of words[k], reading the words of "United States", "United Kingdom", "الولايات المتحدة",
    "المملكة المتحدة" as the places they name together, and "المتحدة" of "الأمم المتحدة" as none."""
    if not words[k].isascii():
        word = normalize(words[k])
        if word != _UNITED:
            kingdom = _KINGDOM in _unprefixed(word) and k + 1 < len(words) and normalize(words[k + 1]) == _UNITED
            return place_ids("UK") if kingdom else place_ids(words[k])
        before = _unprefixed(normalize(words[k - 1])) if k > 0 else frozenset()
        key = next((v for w, v in _UNITED_AFTER.items() if w in before), None)
        return place_ids(key) if key else frozenset()
    ids = place_ids(words[k])
    if ids:
        return ids
    for (first, second), key in _COMPOUNDS.items():
        if (words[k] == first and words[k + 1:k + 2] == [second]) or (words[k] == second and k > 0
                                                                       and words[k - 1] == first):
            return place_ids(key)
    return ids


def _unprefixed(word: str) -> frozenset[str]:
    """A normalised Arabic word and its forms without a joined "و", "ف", "ب", "ل" ("للمملكة" is "المملكة")."""
    forms = {word} | {word[len(p):] for p in ("و", "ف", "ب", "ل", "وب", "ول", "فب") if word.startswith(p)}
    return frozenset(forms | {"ال" + f[2:] for f in forms if f.startswith("لل")})


def _kinds(name: str) -> frozenset[str]:
    """`any_place_kinds` of a place's name as written, of one word or more ("United States", "المملكة
    المتحدة": the countries of two words)."""
    words = name.split()
    if not words:
        return frozenset()
    kinds = any_place_kinds(words[0])
    return frozenset({"country"}) if not kinds and word_places(words, 0) else kinds


def roles(text: str) -> list[tuple[str, frozenset[str], str]]:
    """Each place the text names (the first word of a run: "Nagorno Karabakh" once), with its table
    entries and its role: (the word as written, entries, role)."""
    words = written_words(text)
    return [(words[k], ids, role) for k, ids, role, _ in _placed(words)]


def _placed(words: list[str]) -> list[tuple[int, frozenset[str], str, bool]]:
    """`roles` by position: (the index of the place's first word, entries, role, whether "و" / "and" joins it
    to the place before, whose role it then has: "Armenia and Azerbaijan", "باكو ويريفان")."""
    out: list[tuple[int, frozenset[str], str, bool]] = []
    for k, word in enumerate(words):
        ids = word_places(words, k)
        if not ids or (k > 0 and word_places(words, k - 1) and _bare(word)):
            continue  # the second word of a name ("Nagorno Karabakh", "ناغورنو كاراباخ")
        role = _arabic_role(words, k) if not word.isascii() else _english_role(words, k)
        joined = role == "and"
        out.append((k, ids, (out[-1][2] if out else CORE) if joined else role, joined))
    return out


def _bare(word: str) -> bool:
    """A place word with nothing joined to its front ("كاراباخ", not "لأذربيجان" or "ويريفان")."""
    return word.isascii() or normalize(word) in place_forms(word) or normalize(word).startswith("ال")


def _joined(word: str) -> bool:
    """A place joined by "و" to what comes before it ("وأذربيجان", "ويريفان")."""
    return word.startswith("و") and bool(place_forms(word[1:]))


def _english_role(words: list[str], k: int) -> str:
    if k + 1 < len(words) and words[k + 1] == "s":  # "Armenia's request": the possessor
        return "of"
    before = [w.lower() for w in words[max(k - 2, 0):k] if w.lower() not in _THE]
    return _EN.get(before[-1], CORE) if before else CORE


def _arabic_role(words: list[str], k: int) -> str:
    w = normalize(words[k])
    if _joined(w):  # "وأذربيجان": joined to the place before it
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


def swapped_place(claim: str, support: str, window: int = 2) -> tuple[str, str] | None:
    """A country, city or people an Arabic claim names and the support does not, where the support
    names another one in the same slot — a content word in common among the `window` words before or
    after each ("بجهود قطرية" / "بجهود مصرية", "رئيس ريال مدريد السابق" / "رئيس برشلونة السابق"), and of
    the same kind (two cities, or two countries or peoples): (the support's place, the claim's). A place
    said elsewhere in the sentence (a dateline's city) or a city for its country is no swap."""
    c_words = written_words(claim)
    s_words = written_words(support)
    c_places = [(i, place_keys(w)) for i, w in enumerate(c_words)]
    s_places = [(j, place_keys(w)) for j, w in enumerate(s_words)]
    named_c = frozenset().union(*(f for _, f in c_places))
    named_s = frozenset().union(*(f for _, f in s_places))

    def around(ws: list[str], k: int, side: int) -> set[str]:
        near = ws[max(k - window, 0):k] if side < 0 else ws[k + 1:k + 1 + window]
        return {t for w in near if not place_keys(w) for t in terms(w)}

    for i, cf in c_places:
        if not cf or cf & named_s:
            continue
        for j, sf in s_places:
            if sf and not sf & named_c and place_kinds(c_words[i]) & place_kinds(s_words[j]) \
                    and any(around(c_words, i, d) & around(s_words, j, d) for d in (-1, 1)):
                return s_words[j], c_words[i]
    # A place the support names, but never where the claim puts it: in the claim's slot the support
    # has a place the claim does not name ("متمركزة في أرمينيا" / "متمركزة في ناغورنو كاراباخ", where
    # the support names Armenia for the base), or, right after the verb the claim opens with, another
    # place the claim names elsewhere: the subject's role given to another ("تنازلت أذربيجان عن … لصالح
    # أرمينيا" / "تنازلت أرمينيا عن … لأذربيجان"). Two places both texts name in other places of a
    # sentence are no swap ("زار أردوغان روسيا بعد إيران" / "زار أردوغان إيران ثم روسيا").
    opening = set(terms(c_words[0])) if c_words else set()
    for i, cf in c_places:
        if not cf or not cf & named_s:
            continue
        sides = [(d, ctx) for d in (-1, 1) if (ctx := around(c_words, i, d))]
        if any(sf & cf and around(s_words, j, d) & ctx for j, sf in s_places for d, ctx in sides):
            continue  # the support has it in the claim's slot too
        for j, sf in s_places:
            if not sf or sf & cf or not place_kinds(c_words[i]) & place_kinds(s_words[j]):
                continue
            if (i == 1 and j > 0 and opening & set(terms(s_words[j - 1]))) if sf & named_c \
                    else any(around(s_words, j, d) & ctx for d, ctx in sides):
                return place_run(s_words, j), place_run(c_words, i)
    return None


def place_run(words: list[str], k: int) -> str:
    """The place name that starts at words[k], with the place words that follow it ("ناغورنو كاراباخ"),
    not one joined by "و" ("أرمينيا وأذربيجان" are two)."""
    end = k + 1
    while end < len(words) and place_forms(words[end]) and not _joined(words[end]):
        end += 1
    return " ".join(words[k:end])


_CONNECTORS = frozenset({"and", "or", "the", "و", normalize("أو")})


def _place_lists(text: str) -> list[list[tuple[str, frozenset[str]]]]:
    """The lists of places a text names ("روسيا والولايات المتحدة وفرنسا", "Russia, France and Germany"):
    runs of two or more places with nothing but commas, "و", "and", "or" or "the" between them, each
    place as written (all its words: "الولايات المتحدة", "Nagorno-Karabakh") with its first word's
    table entries."""
    spans = written_spans(text)
    words = [m.group() for m in spans]
    members: list[tuple[int, int, frozenset[str]]] = []  # (first word, last word, entries)
    for k, m in enumerate(spans):
        ids = word_places(words, k)
        if not ids:
            continue
        if members and members[-1][1] == k - 1 and text[spans[k - 1].end():m.start()] in (" ", "-") \
                and not _joined(m.group()) and _bare(m.group()):
            first, _, entries = members[-1]
            members[-1] = (first, k, entries)  # the second word of one place
        else:
            members.append((k, k, ids))
    lists: list[list[tuple[str, frozenset[str]]]] = []
    run: list[tuple[int, int, frozenset[str]]] = []
    for member in members + [(-1, -1, frozenset())]:
        gap = text[spans[run[-1][1]].end():spans[member[0]].start()] if run and member[0] >= 0 else ""
        if run and member[0] >= 0 and all(normalize(w).lower() in _CONNECTORS for w in written_words(gap)) \
                and not re.search(r"[^\w\s,،]", gap):
            run.append(member)
            continue
        if len(run) >= 2:
            lists.append([(_unjoined(text[spans[a].start():spans[b].end()]), ids) for a, b, ids in run])
        run = [member]
    return lists


def _unjoined(place: str) -> str:
    """A place without the "و" that joins it to the one before ("وفرنسا" -> "فرنسا", "والمملكة المتحدة")."""
    words = place.split()
    if words[0].startswith("و") and not words[0].isascii() and word_places([words[0][1:], *words[1:]], 0):
        return place[1:]
    return place


def swapped_member(claim: str, support: str) -> tuple[str, str] | None:
    """One place of a list swapped for another: the claim and the sentence each list as many places, all
    in common but one on each side, which the other text names nowhere and which are of one kind ("روسيا
    والولايات المتحدة وألمانيا" / "روسيا والولايات المتحدة وفرنسا"): (the sentence's place, the claim's)."""
    c_lists, s_lists = _place_lists(claim), _place_lists(support)
    if not c_lists or not s_lists:
        return None
    c_words, s_words = written_words(claim), written_words(support)
    named_c = frozenset().union(*(word_places(c_words, k) for k in range(len(c_words))))
    named_s = frozenset().union(*(word_places(s_words, k) for k in range(len(s_words))))
    for c in c_lists:
        for s in s_lists:
            if len(c) != len(s):
                continue
            extra_c = [(w, ids) for w, ids in c if not any(ids & other for _, other in s)]
            extra_s = [(w, ids) for w, ids in s if not any(ids & other for _, other in c)]
            if len(extra_c) == 1 and len(extra_s) == 1 and not extra_c[0][1] & named_s \
                    and not extra_s[0][1] & named_c \
                    and _kinds(extra_c[0][0]) & _kinds(extra_s[0][0]):
                return extra_s[0][0], extra_c[0][0]
    return None


_PIECE_START = re.compile(r"[,،:;؛]")


def role_pieces(claim: str, support: str) -> list[tuple[str, str, list[tuple[str, str, bool]]]]:
    """Where the support names a place of the claim in the role the claim gives it, and another place in that
    role too ("لروسيا قاعدة عسكرية في أرمينيا وأن قوات حفظ السلام … متمركزة في ناغورنو كاراباخ" for "Russian
    peacekeepers are stationed in Armenia."), which of them the claim's words go with is for a reading to
    tell. For each such place of the claim: (its name as written; the claim's words that lead up to it,
    places left out — the whole claim's where those are fewer than three; one piece of the support for each
    place it names in that role: what leads up to it since its clause began or since the place before it in
    that role, places left out, then the place's name, and whether it is the claim's place).

    >>> role_pieces("Russia has a military base in Nagorno-Karabakh.",
    ...             "لروسيا قاعدة عسكرية في أرمينيا وأن قوات حفظ السلام متمركزة في ناغورنو كاراباخ")[0][2]
    [('قاعدة عسكرية في', 'أرمينيا', False), ('وأن قوات حفظ السلام متمركزة في', 'ناغورنو كاراباخ', True)]
    >>> role_pieces("Russia has a military base in Nagorno-Karabakh.",
    ...             "لروسيا قاعدة عسكرية في أرمينيا وأن قوات حفظ السلام متمركزة في ناغورنو كاراباخ")[0][:2]
    ('Nagorno-Karabakh', 'has a military base in')
    """
    s_roles = roles(support)
    out = []
    for word, ids, role in roles(claim):
        if role not in COMPARED:
            continue
        in_role = [other for _, other, r in s_roles if r == role]
        if not any(other & ids for other in in_role) or all(other & ids for other in in_role):
            continue
        pieces = _lead_ups(support, role)
        if len(pieces) < 2 or not any(p_ids & ids for _, _, p_ids in pieces):
            continue
        said = next((lead for lead, _, c_ids in _lead_ups(claim, role) if c_ids & ids), "")
        out.append((_name_at(claim, word), said if len(said.split()) >= 3 else _unplaced(claim),
                    [(lead, place, bool(p_ids & ids)) for lead, place, p_ids in pieces]))
    return out


def _name_at(text: str, word: str) -> str:
    """The whole place name that starts with `word` in `text`, as written ("Nagorno-Karabakh")."""
    spans = written_spans(text)
    k = [m.group() for m in spans].index(word)
    return text[spans[k].start():spans[_name_end(text, spans, k)].end()]


def _name_end(text: str, spans: list[re.Match[str]], k: int) -> int:
    """The last word of the place name that starts at word k: the place words after it, joined by a space
    or a hyphen ("ناغورنو كاراباخ", "Nagorno-Karabakh"), not one joined by "و" ("أرمينيا وأذربيجان")."""
    end = k
    words = [m.group() for m in spans]
    while end + 1 < len(spans) and word_places(words, end + 1) and not _joined(spans[end + 1].group()) \
            and text[spans[end].end():spans[end + 1].start()] in (" ", "-"):
        end += 1
    return end


def _lead_ups(text: str, role: str) -> list[tuple[str, str, frozenset[str]]]:
    """For each place the text names in `role` (with those joined to it by "و" / "and"): the words that lead
    up to it from the start of its clause or from the place before it in that role, places left out; its
    name as written; its table entries."""
    spans = written_spans(text)
    out: list[tuple[str, str, frozenset[str]]] = []
    cursor = 0
    for k, ids, here, joined in _placed([m.group() for m in spans]):
        if here != role:
            continue
        if joined and out:  # "في أرمينيا وأذربيجان": one piece for both
            lead, place, entries = out[-1]
            out[-1] = (lead, place, entries | ids)
            cursor = spans[k].end()
            continue
        before = text[cursor:spans[k].start()]
        starts = list(_PIECE_START.finditer(before))
        end = _name_end(text, spans, k)
        out.append((_unplaced(before[starts[-1].end():] if starts else before),
                    text[spans[k].start():spans[end].end()], ids))
        cursor = spans[end].end()
    return [piece for piece in out if piece[0]]


def _unplaced(text: str) -> str:
    """The words of a text without the places it names: what is said of a place, not which place."""
    words = written_words(text)
    return " ".join(w for k, w in enumerate(words) if not word_places(words, k))
