"""Follow-up questions without an LLM: build the retrieval query from the conversation.

"ومتى حدث ذلك؟" or "And when did that happen?" names no subject; the subject is in the earlier
question. A question that looks like a follow-up (it leans on a pronoun or demonstrative, or has
almost no content words of its own) is searched together with the previous question.

    >>> contextual_query("ومتى حدث ذلك؟", ["من توسط بين أرمينيا وأذربيجان؟"])
    'من توسط بين أرمينيا وأذربيجان؟ ومتى حدث ذلك؟'
    >>> contextual_query("ما هي عاصمة فرنسا؟", ["من توسط بين أرمينيا وأذربيجان؟"])
    'ما هي عاصمة فرنسا؟'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .arabic import normalize, terms, words

# Words that point back to something said before (normalised forms).
_ANAPHORA_AR = {normalize(w) for w in """
    ذلك تلك هذا هذه هؤلاء اولئك أولئك ذاك حينها عندها بعدها قبلها فيها منها عنه عنها
    له لها لهم معه معها بذلك لذلك عليه عليها ايضا أيضا كذلك
""".split()}
_ANAPHORA_EN = set("""
    that this it its they them their those these he she him her his then also such
""".split())
# Arabic clitic pronouns glued to a verb or preposition: "حدثت" no, but "قالها", "عنه".
_CLITIC = re.compile(r"(ها|هم|هما|هن)$")
_FOLLOW_UP_OPENERS = ("and ", "what about", "how about")
# "وكم…؟", "ومتى…؟", "ثم ماذا…؟": a question that opens with "and" + a question word continues the last one.
_AR_CONTINUATION = re.compile(r"^(و|ف|ثم )(كم|متي|من|ما|ماذا|اين|هل|لماذا|كيف|اي|بكم|لمن)(\s|$)")


def is_follow_up(question: str) -> bool:
    """True when the question leans on an earlier one for its subject."""
    plain = words(question)
    lowered = question.strip().lower()
    if any(w in _ANAPHORA_AR or w in _ANAPHORA_EN for w in plain):
        return True
    content = terms(question)
    if len(content) <= 1:
        return True  # "ومتى؟", "why?", "and then?"
    if lowered.startswith(_FOLLOW_UP_OPENERS) and len(content) <= 2:
        return True
    if _AR_CONTINUATION.match(" ".join(plain)) and len(content) <= 3:
        return True
    return any(_CLITIC.search(w) for w in plain if len(w) > 4) and len(content) <= 2


# Said with "not found" when a question that leans on an earlier one is asked first.
ALONE = {
    "ar": "يبدو هذا السؤال متابعةً لسؤال سابق، ولم يُطرح قبله سؤال في هذه المحادثة: اطرح أولاً السؤال الذي يتابعه، "
          "أو اذكر فيه ما تسأل عنه.",
    "en": "This question reads as a follow-up, and nothing was asked before it in this conversation: ask the "
          "question it follows first, or name what it is about.",
}


def contextual_query(question: str, history: Sequence[str]) -> str:
    """The text to search with: the question, preceded by the question it follows up on."""
    question = question.strip()
    if not history or not is_follow_up(question):
        return question
    # The subject is in the latest earlier question that stood on its own; a chain of
    # follow-ups ("and when?", "and where?") keeps pointing at that one.
    anchor = history[-1]
    for earlier in reversed(history):
        anchor = earlier
        if not is_follow_up(earlier):
            break
    return f"{anchor.strip()} {question}"
