"""Whether a question asks what the rules are, rather than how a school improved something.

The Commons holds schools' accounts of improvement work. "Can teachers be required to do
lunchtime duty?", "Which pupils can be left out of the multiplication tables check?" or "Who is
eligible for service pupil premium?" share their topic words with case studies (lunchtimes,
the tables check, pupil premium) but ask what the law, statutory guidance or a scheme's rules
say, which no case study answers. Searched on their words alone, they look answered.

:func:`asks_about_rules` finds the phrasing of such a question. Its answer is one of the
answerability signals (``rules`` in ``answerability.OWN_FEATURES``), so how much it counts is fitted
on judged questions with the rest, and the page tells the asker where rules are answered.
"""

import re

# Each pattern is a way of *asking* what is required, allowed or owed: an inverted question ("are
# we allowed", "can teachers be required"), not a word that a question about improving something
# may also hold ("pupils eligible for free school meals", "the statutory phonics check", "exclusion
# appeals"). Keep them phrasings, not topics: "zones of regulation" or "exclusions" are topics the
# Commons holds.
_SUBJECT = (r"(?:we|i|you|they|our\s+[\w-]+|my\s+[\w-]+|the\s+school|schools?|teachers?|staff|pupils?|parents?"
            r"|children|students|governors|[\w-]+\s+teachers)")
_ASKED = (
    # "Can teachers be required to…", "Can an ECT's induction be extended…", "which pupils can be left out"
    r"\bcan\s+(?:[\w'’-]+\s+){0,6}?be\s+"
    r"(?:required|made|forced|obliged|extended|left\s+out|disapplied|refused|charged|sacked|dismissed|fined)\b",
    # "can we refuse", "can the school withhold", "can we still get a place", "can we legally"
    r"\bcan\s+(?:we|i|the\s+school|the\s+la|the\s+local\s+authority|schools?|governors|the\s+parents?)\s+"
    r"(?:refuse|suspend|withhold|insist|charge|legally|still\s+get)\b",
    # "can a head make teachers do…", "can I make staff supervise…"
    r"\bcan\s+(?:i|we|an?\s+head\w*|the\s+head\w*|heads|the\s+school|governors)\s+(?:make|force)\s+"
    r"(?:staff|teachers?|tas?|support\s+staff|parents?)\s+(?:do|take|work|supervise|cover|attend|run|pay)\b",
    # "who is eligible", "which pupils qualify", "are we eligible", "are job-share teachers paid for…"
    r"\bwho\s+(?:is|are)\s+eligible\b", r"\bwho\s+(?:qualifies|pays|decides)\b",
    r"\bwhich\s+[\w-]+\s+(?:qualify|are\s+eligible)\b",
    rf"\b(?:are|is|am)\s+{_SUBJECT}\s+(?:allowed|paid|entitled|required|obliged|liable|eligible)\b",
    r"\bis\s+it\s+(?:lawful|legal|legally\s+required|allowed|permitted|compulsory|mandatory|a\s+legal)\b",
    r"\blegally\s+(?:required|obliged|allowed|entitled)\b",
    r"\blegal\s+(?:powers?|duty|duties|requirements?|obligations?|position|right)\b",
    r"\bwhat\s+(?:are|is)\s+the\s+(?:rules?|law|legal\s+position|regulations?)\b",
    r"\bwhat\s+does\s+the\s+(?:law|guidance|dfe)\s+say\b", r"\bby\s+law\b",
    # "do we have to", "do I need to tell", "have to report", "must we", "what has to go in"
    rf"\bdo(?:es)?\s+{_SUBJECT}\s+have\s+to\b",
    rf"\bdo(?:es)?\s+{_SUBJECT}\s+need\s+to\s+"
    r"(?:see|tell|report|inform|publish|notify|declare|disclose|register|keep|get\s+consent|ask\s+permission|pay)\b",
    r"\bhave\s+to\s+(?:report|publish|disclose|sit|tell|declare|pay\s+back|submit|include|notify)\b",
    r"^\W*must\s+(?:we|i|the\s+school|schools|they)\b", r"\bhow\s+often\s+must\b",
    r"\bmust\s+(?:we|the\s+school)\s+(?:publish|report|notify|consult|provide|keep|tell)\b",
    r"\bwhat\s+(?:has|have|needs?)\s+to\s+go\s+in\b",
    # "which register code do we use", "what code should we use"
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,2}codes?\s+(?:do|does|should|to|for|is|are|we)\b",
    r"\bmaximum\s+(?:number|hours?|class\s+size|directed)\b", r"\bminimum\s+(?:number|hours?|ratios?|staffing)\b",
    r"\bhow\s+many\s+(?:days|hours|weeks)\s+can\b",
    r"\bratios?\s+apply\b", r"\bdoes\s+[\w-]+\s+apply\b", r"\bwhat\s+happens\s+now\b",
    r"\bhow\s+do(?:es)?\s+(?:we|i|you|schools?|the\s+school|nursery\s+schools)\s+(?:submit|claim|declare|complain|appeal)\b",
)
_ASKED_RE = re.compile("|".join(f"(?:{p})" for p in _ASKED), re.IGNORECASE)


def asks_about_rules(question: str) -> str | None:
    """The words that ask what the rules are (e.g. "be required"), or None."""
    found = _ASKED_RE.search(question)
    return " ".join(found.group(0).split()) if found else None
