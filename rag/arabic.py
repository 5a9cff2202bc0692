"""Arabic-aware normalisation, tokenising and light stemming for the lexical index.

    >>> normalize("أَحْمَدُ ذهبَ إلى المدرسةِ")
    'احمد ذهب الي المدرسه'
    >>> terms("الاشتباكات على الحدود")
    ['اشتباك', 'حدود']

Normalisation is only ever applied to copies used for matching: stored article text is never
changed, because citations index into it.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

# Harakat, tanween, shadda, sukun, superscript alef, Quranic annotation marks, tatweel.
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_CHAR_MAP = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
        "ى": "ي", "ئ": "ي", "ؤ": "و", "ة": "ه",
        "ک": "ك", "ی": "ي", "ھ": "ه",
        # Arabic-Indic and Eastern Arabic-Indic digits to ASCII.
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Arabic short vowels, tanween, shadda, sukun, dagger alef and Quranic marks: not letters to `\w`, so a
# word written with them ("وقَّع", "أمراً") would split at each one.
_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
_WRITTEN = re.compile(rf"[^\W\d_](?:[^\W\d_]|[{_MARKS}])*")
_WRITTEN_ALNUM = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*")
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")
_LATIN_LETTER = re.compile("[A-Za-z]")

AR_STOPWORDS = frozenset(
    """
    في من على الى إلى عن مع هذا هذه ذلك تلك التي الذي الذين اللذين اللتين ان أن إن كان كانت
    يكون تكون قد لقد لم لن ما لا هل او أو ثم بل حتى اذا إذا كل بعد قبل بين عند عندما منذ
    خلال حول ضد دون غير فقط ايضا أيضا وقال قال قالت وقالت وكان هو هي هم هن انه أنه انها أنها
    وفي ومن وعلى والى وإلى وعن ومع وهذا وهذه كما لكن ولكن الا إلا به بها له لها لهم فيه فيها
    منه منها عليه عليها اليه إليه الى نحو وقد وأن وان التى يتم تم حيث اي أي اين أين متى كيف لماذا
    ماذا من ممن كم هناك هنا جدا اول أول احد أحد ضمن عبر وذلك وهو وهي
    """.split()
)
EN_STOPWORDS = frozenset(
    """a an the of to in on at for by with from and or but is are was were be been being this that
    these those it its as into about who whom whose what which when where why how did do does done
    has have had not no than then there their they them he she his her we our you your i me my
    s also can could would should will may might between after before during""".split()
)

_stem_lock = threading.Lock()


def strip_diacritics(text: str) -> str:
    return _DIACRITICS.sub("", text)


def normalize(text: str) -> str:
    """Fold the spelling variants that Arabic writers use interchangeably; lower-case Latin.

    Idempotent: normalize(normalize(x)) == normalize(x).
    """
    return strip_diacritics(text).translate(_CHAR_MAP).lower()


def written_words(text: str, digits: bool = False) -> list[str]:
    """The words of `text` as written (not normalised; short vowels and shadda kept inside a word:
    "وقَّع"), letters only, or letters and digits with `digits`: for finding a word again in its text."""
    return (_WRITTEN_ALNUM if digits else _WRITTEN).findall(text)


def written_spans(text: str) -> list[re.Match[str]]:
    """`written_words` with where each stands in `text`."""
    return list(_WRITTEN.finditer(text))


def words(text: str) -> list[str]:
    """Normalised word tokens (letters and digits), stopwords kept."""
    return _WORD.findall(normalize(text))


def terms(text: str, query: bool = False) -> list[str]:
    """Index/query terms: normalised words, stopwords dropped, light-stemmed.

    A word with a leading و is indexed under both readings (conjunction or not); a query uses
    only the reading without it, so that the rarer literal form cannot dominate BM25.

    Arabic words get Light10 stemming, Latin words the Snowball English stemmer.
    """
    out: list[str] = []
    for word in words(text):
        if _is_stopword(word):
            continue
        stems = _stems(word)
        out.extend(stems[-1:] if query else stems)
    return out


def _is_stopword(word: str) -> bool:
    if word in _NORMALISED_AR_STOP or word in EN_STOPWORDS:
        return True
    return word.startswith("و") and word[1:] in _NORMALISED_AR_STOP  # "ولماذا", "وهذا"


def language(text: str) -> str:
    """'ar' or 'en': the script of most words; a tie goes to the first word's script.

    >>> language("Who mediated between Armenia and Azerbaijan?")
    'en'
    >>> language("ما موقف Charles Michel؟")
    'ar'
    """
    scripts = ["ar" if _ARABIC_LETTER.search(w) else "en" for w in _WORD.findall(text)
               if _ARABIC_LETTER.search(w) or _LATIN_LETTER.search(w)]
    if not scripts:
        return "ar"
    arabic = scripts.count("ar")
    if arabic * 2 == len(scripts):
        return scripts[0]
    return "ar" if arabic * 2 > len(scripts) else "en"


def is_arabic_char(ch: str) -> bool:
    return bool(_ARABIC_LETTER.match(ch))


# Light10 (Larkey, Ballesteros & Connell 2002) on normalised words: article/conjunction
# prefixes, then common suffixes, each only while at least two letters remain.
_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")


def light_stem(word: str) -> str:
    """Strip one article prefix, then suffixes.

    >>> light_stem("والمنظمات")
    'منظم'
    """
    for prefix in _ARTICLES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix):]
            break
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            word = word[: -len(suffix)]
    return word


@lru_cache(maxsize=200_000)
def _stems(word: str) -> tuple[str, ...]:
    if _ARABIC_LETTER.match(word):
        stem = light_stem(word)
        # A leading و is either the conjunction "and" or part of the word (وزارة): keep both
        # readings rather than guess, so neither spelling is lost to the index.
        if word.startswith("و") and not word.startswith("وال") and len(word) > 3:
            alt = light_stem(word[1:])
            return (stem, alt) if alt != stem else (stem,)
        return (stem,)
    if word.isascii() and word.isalpha():
        return (_english_stemmer().stemWord(word),)
    return (word,)


_STEMMER = None


def _english_stemmer():  # type: ignore[no-untyped-def]
    global _STEMMER
    with _stem_lock:
        if _STEMMER is None:
            import Stemmer  # PyStemmer (C Snowball), imported lazily to keep import cheap

            _STEMMER = Stemmer.Stemmer("english")
        return _STEMMER


_NORMALISED_AR_STOP = frozenset(normalize(w) for w in AR_STOPWORDS)
