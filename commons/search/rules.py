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

# Each pattern is a way of asking what is required, allowed or owed. Keep them phrasings, not
# topics: "zones of regulation" or "exclusions" are topics the Commons holds.
_ASKED = (
    # "Can teachers be required to…", "Can an ECT's induction be extended…", "which pupils can be left out"
    r"\bcan\s+(?:[\w'’-]+\s+){0,6}?be\s+"
    r"(?:required|made|forced|obliged|extended|left\s+out|disapplied|refused|charged|sacked|dismissed)\b",
    # "can we refuse", "can the school withhold", "can we still get a place", "can we legally"
    r"\bcan\s+(?:we|i|the\s+school|the\s+la|the\s+local\s+authority|schools?|governors|the\s+parents?)\s+"
    r"(?:refuse|suspend|withhold|delay|insist|charge|require|legally|still\s+get|be\s+made)\b",
    r"\beligib\w*", r"\bentitle(?:d|ment)\b", r"\bstatutory\b", r"\blegally\b",
    r"\blegal\s+(?:powers?|duty|duties|requirements?|obligations?|position|right)\b", r"\bthe\s+law\b",
    r"\bthe\s+rules\b", r"\bregulations\b", r"\bdisappl\w+",
    # "do we have to", "do I need to", "have to report", "must we"
    r"\bdo(?:es)?\s+(?:we|i|they|you|teachers|schools?|the\s+school|staff|parents)\s+(?:have|need)\s+to\b",
    r"\bhave\s+to\s+(?:report|publish|disclose|sit|tell|declare|pay\s+back|record|submit|include|notify)\b",
    r"\bmust\s+(?:we|i|the\s+school|schools|it\s+be|they)\b", r"\bhow\s+often\s+must\b",
    r"\bwhat\s+(?:has|have|needs?)\s+to\s+go\s+in\b", r"\bwhat\s+must\b",
    # "are we allowed", "are job-share teachers paid for", "is the school obliged"
    r"\b(?:are|is)\s+(?:we|they|you|i|teachers?|staff|the\s+school|schools|pupils?|parents?|[\w-]+\s+teachers)\s+"
    r"(?:allowed|paid|entitled|required|obliged|liable)\b",
    r"\ballowed\s+to\b", r"\bpermitted\b",
    # "which register code", "what code do we use"
    r"\b(?:which|what)\s+(?:\w+\s+){0,2}codes?\b",
    r"\bmaximum\s+(?:number|hours?|class|directed|time)\b", r"\bminimum\s+(?:number|hours?|ratios?|staffing)\b",
    r"\bratios?\s+apply\b", r"\bwho\s+(?:is\s+eligible|decides|pays)\b", r"\bdoes\s+[\w-]+\s+apply\b",
    r"\bwhat\s+(?:happens\s+now|happens\s+if|are\s+the\s+rules)\b",
    r"\bhow\s+do(?:es)?\s+(?:we|i|you|schools?|the\s+school|nursery\s+schools)\s+"
    r"(?:record|submit|claim|declare|complain|remove|appeal)\b",
    r"\bappeals?\b", r"\btribunal\b", r"\bdeadline\b", r"\bcompliance\b|\bcomply\b",
)
_ASKED_RE = re.compile("|".join(f"(?:{p})" for p in _ASKED), re.IGNORECASE)


def asks_about_rules(question: str) -> str | None:
    """The words that ask what the rules are (e.g. "be required"), or None."""
    found = _ASKED_RE.search(question)
    return " ".join(found.group(0).split()) if found else None
