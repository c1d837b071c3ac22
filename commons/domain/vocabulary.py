"""The fixed vocabularies of a case study: its sections, topics and evidence strengths."""

SECTIONS: list[tuple[str, str]] = [
    ("context", "Context"),
    ("challenge", "The challenge"),
    ("what-we-did", "What we did"),
    ("active-ingredients", "Active ingredients"),
    ("expertise", "Expertise it depended on"),
    ("impact", "Impact and evidence"),
    ("cost-and-time", "Cost and time"),
    ("do-differently", "What we would do differently"),
]
SECTION_HEADINGS = {key: heading for key, heading in SECTIONS}

TOPICS: dict[str, str] = {
    "early-years": "Early years",
    "reading": "Reading and phonics",
    "maths": "Maths",
    "attendance": "Attendance",
    "behaviour": "Behaviour",
    "send": "SEND and inclusion",
    "disadvantage": "Disadvantaged pupils",
    "eal": "English as an additional language",
    "oracy": "Oracy",
    "curriculum": "Curriculum design",
    "feedback": "Feedback",
    "retrieval-practice": "Retrieval practice",
    "tutoring": "Tutoring",
    "transition": "Transition",
    "parental-engagement": "Parental engagement",
    "mental-health": "Mental health and wellbeing",
    "staff-development": "Staff development and coaching",
    "workload-retention": "Workload and retention",
    "peer-review": "Peer review",
    "governance": "Governance",
}

# The words that name each topic in a question: "phonics" names reading, "wellbeing" mental
# health. Search counts a case study of a topic the question names as more likely to answer it
# (commons/search/answerability.py). Acronyms reach these through the glossary.
TOPIC_NAMES: dict[str, tuple[str, ...]] = {
    "early-years": ("early years", "eyfs", "nursery", "reception class"),
    "reading": ("reading", "phonics"),
    "maths": ("maths", "mathematics", "numeracy"),
    "attendance": ("attendance", "absence", "absent"),
    "behaviour": ("behaviour",),
    "send": ("send", "special educational needs", "inclusion"),
    "disadvantage": ("disadvantaged", "disadvantage", "pupil premium"),
    "eal": ("english as an additional language",),
    "oracy": ("oracy", "spoken language"),
    "curriculum": ("curriculum",),
    "feedback": ("feedback", "marking"),
    "retrieval-practice": ("retrieval practice", "retrieval"),
    "tutoring": ("tutoring", "tuition"),
    "transition": ("transition",),
    "parental-engagement": ("parental engagement", "parent engagement", "engaging parents", "family engagement"),
    "mental-health": ("mental health", "wellbeing", "anxiety"),
    "staff-development": ("staff development", "coaching", "cpd", "professional development"),
    "workload-retention": ("workload", "retention"),
    "peer-review": ("peer review",),
    "governance": ("governance", "governors", "governing board"),
}

EVIDENCE_STRENGTHS: dict[str, str] = {
    "self-reported": "Self-reported: the school's own account, without data shown",
    "internal data": "Internal data: the school's own measurements, before and after",
    "external evaluation": "External evaluation: assessed by someone outside the school",
}

SELF_REPORTED_WITH_FIGURES = ("Self-reported: the school's own account, with figures it has not had checked "
                              "by anyone outside the school")


def evidence_description(strength: str, shows_figures: bool) -> str:
    """What a strength of evidence means for this case study: "without data shown" is not said over a table of data."""
    if strength == "self-reported" and shows_figures:
        return SELF_REPORTED_WITH_FIGURES
    return EVIDENCE_STRENGTHS.get(strength, strength)


# What a school can say it is open to, about the topics of a case study (peer matching).
OFFERS: dict[str, str] = {
    "visits": "Visits",
    "peer-review": "Peer review",
    "support": "School-to-school support",
}

QUESTIONS_SECTION = "questions"  # a question a reader asked and the school answered, published on the case study
