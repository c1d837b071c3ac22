"""The glossary of school vocabulary: the shipped file, its checks, and expanding questions with it."""

import re
from pathlib import Path

import pytest
import yaml

from commons.search.glossary import DEFAULT_PATH, FIELDS, Entry, Glossary, GlossaryError, load_glossary


def _words(text: str) -> str:
    return " ".join(re.split(r"[\s,\-/]+", text.lower()))


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


def test_the_shipped_glossary_loads_once(glossary: Glossary) -> None:
    assert len(glossary) >= 80
    assert load_glossary() is glossary
    assert load_glossary(DEFAULT_PATH) is not glossary  # an explicit path is read afresh
    assert len(load_glossary(DEFAULT_PATH)) == len(glossary)


def test_every_entry_is_valid_and_every_form_finds_its_entry(glossary: Glossary) -> None:
    for entry in glossary.entries:
        assert entry.term.strip() == entry.term and entry.term
        assert entry.means, entry.term
        for form in entry.forms:
            assert glossary.lookup(form) is entry
            found = glossary.expand(form)
            # every other form is added, unless the form itself already says it ("academy trust")
            said = {f for f in entry.forms if f" {_words(f)} " in f" {_words(form)} "}
            never = {entry.term} if entry.together else set()  # its words mean something else alone
            assert set(found.phrases) == set(entry.forms) - said - never, form
            assert found.terms == ((entry.term,) if found.phrases else ()), form


def test_no_term_is_in_the_file_twice() -> None:
    raw = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    terms = [item["term"].lower() for item in raw]
    assert len(terms) == len(set(terms))
    assert all(set(item) <= set(FIELDS) for item in raw)


def test_the_file_says_how_to_add_an_entry() -> None:
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    header = text[: text.index("\n- term:")]
    assert all(line.startswith("#") or not line.strip() for line in header.splitlines())
    assert "HOW TO ADD AN ENTRY" in header
    for field in ("term:", "means:", "also:", "ambiguous:", "note:"):
        assert f"#   {field}" in header or f"# - {field}" in header, field
    assert "capitals" in header and "only one entry" in header


@pytest.mark.parametrize(
    ("text", "notes", "added"),
    [
        ("PP attendance", ["PP → pupil premium", "attendance → absence"],
         ["pupil premium", "disadvantaged", "absence"]),
        ("pupil premium attendance", ["pupil premium → PP", "attendance → absence"],
         ["PP", "disadvantaged", "absence"]),
        ("persistent absence in Year 9", ["persistent absence → PA"],
         ["PA", "persistently absent", "chronic absence"]),
        ("mentoring our NQTs", ["NQTs → early career teacher"],
         ["ECT", "early career teacher", "newly qualified teacher", "RQT", "recently qualified teacher"]),
        ("EHCP reviews", ["EHCP → education health and care plan"],
         ["education health and care plan", "EHC plan", "statement of special educational needs"]),
        ("multi academy trust", ["multi academy trust → MAT"], ["MAT"]),  # it already says "academy trust"
        ("KS 2 reading", ["KS 2 → key stage 2"], ["key stage 2"]),  # "KS 2" is "KS2"
        ("RWI and SSP", ["RWI → Read Write Inc", "SSP → systematic synthetic phonics"],
         ["Read Write Inc", "Read Write Inc Phonics", "systematic synthetic phonics", "synthetic phonics"]),
        ("special educational needs and disabilities", ["special educational needs and disabilities → SEND"],
         ["SEND"]),  # the longest form wins: SEND, not SEN
        ("social, emotional and mental health", ["social, emotional and mental health → SEMH"], ["SEMH"]),
        ("getting reluctant boys to read for pleasure", [], []),
    ],
)
def test_expansion(glossary: Glossary, text: str, notes: list[str], added: list[str]) -> None:
    expansion = glossary.expand(text)
    assert list(expansion.notes()) == notes
    assert list(expansion.phrases) == added
    assert expansion.expanded_text() == " ".join([text, *added])


def test_what_the_text_already_says_is_not_added(glossary: Glossary) -> None:
    expansion = glossary.expand("PP and pupil premium: disadvantaged pupils")
    assert expansion.phrases == ()
    assert not expansion
    assert expansion.expanded_text() == "PP and pupil premium: disadvantaged pupils"
    both = glossary.expand("FSM and free school meals and PP")
    assert both.phrases == ("ever 6", "FSM6", "pupil premium", "disadvantaged")
    assert both.terms == ("FSM", "PP")


def test_each_entry_adds_once_and_forms_are_not_repeated(glossary: Glossary) -> None:
    expansion = glossary.expand("PP, PP and more PP")
    assert expansion.terms == ("PP",)
    assert len(expansion.phrases) == len(set(expansion.phrases))


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("PE in KS2", ("PE", "KS2")),
        ("pe in ks2", ("KS2",)),  # "pe" is not PE
        ("physical education", ("PE",)),  # the long form counts however it is written
        ("deploying TAs well", ("TA",)),
        ("ta very much", ()),
        ("AP for Year 10", ("AP",)),
        ("ap", ()),
        ("joining a MAT", ("MAT",)),
        ("the carpet mat", ()),
        ("how do we send reports home", ()),
        ("SEND support plans", ("SEND",)),
        ("A level results", ("A level",)),
        ("a level playing field", ()),
        ("we ARE doing well", ("ARE",)),  # capitals are capitals: the reader sees it and can ignore it
        ("HOW DO WE IMPROVE PE AND RE IN KS2", ("KS2",)),  # all capitals is shouting: ambiguous ones ignored
    ],
)
def test_ambiguous_entries_count_only_in_capitals(glossary: Glossary, text: str, terms: tuple[str, ...]) -> None:
    assert glossary.expand(text).terms == terms


def test_plurals_and_separators(glossary: Glossary) -> None:
    assert glossary.expand("our ECTs").terms == ("ECT",)
    assert glossary.expand("two HLTA's").terms == ("HLTA",)
    assert glossary.expand("multi-academy trusts").terms == ("MAT",)
    assert glossary.expand("key-stage 3").terms == ("KS3",)
    assert glossary.expand("ECTS").terms == ()  # not a plural: a different word


def test_expansion_reads_a_bounded_amount(glossary: Glossary) -> None:
    long = "coaching " * 400 + "PP"  # "PP" lies beyond what is read
    assert glossary.expand(long).terms == ()
    assert glossary.expand(", " * 5000).terms == ()
    assert glossary.expand("").phrases == ()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "glossary.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "- term: PP\n  means: [pupil premium]\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD + "- term: FSM\n  mean: [free school meals]\n",
         r"entry 2 \('FSM'\), line 3, field 'mean': unknown field"),
        (GOOD + "- term: FSM\n", r"entry 2 \('FSM'\), line 3, field 'means': missing"),
        (GOOD + "- means: [free school meals]\n", r"entry 2, line 3, field 'term': missing"),
        (GOOD + "- term: FSM\n  means: free school meals\n",
         r"entry 2 \('FSM'\), line 3, field 'means': must be a list"),
        (GOOD + "- term: FSM\n  means: []\n", r"field 'means': empty"),
        (GOOD + "- term: NO\n  means: [notice]\n",  # YAML reads NO as false
         r"entry 2, line 3, field 'term': False is not text; put it in quotes"),
        (GOOD + "- term: FSM\n  means: [free school meals]\n  ambiguous: maybe\n",
         r"entry 2 \('FSM'\), line 3, field 'ambiguous': must be true or false"),
        (GOOD + "- term: FSM\n  means: [free school meals]\n  also: [7]\n", r"field 'also': 7 is not text"),
        (GOOD + "- term: special measures\n  means: [inadequate]\n  together: sometimes\n",
         r"entry 2 \('special measures'\), line 3, field 'together': must be true or false"),
        (GOOD + "- term: Pupil Premium\n  means: [PP]\n",
         r"entry 2 \('Pupil Premium'\), line 3, field 'term': 'Pupil Premium' is already in the entry for 'PP'"),
        (GOOD + "- FSM\n", r"entry 2, line 3, field 'term': each entry must be a mapping"),
        ("term: PP\nmeans: [pupil premium]\n", r"must be a list of entries"),
        (GOOD + "- term: FSM\n  means: [free school meals\n", r"line \d+: not valid YAML"),
        ("# nothing yet\n", r"has no entries"),
    ],
)
def test_a_malformed_file_is_refused_with_where_and_what(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(GlossaryError) as raised:
        load_glossary(path)
    message = str(raised.value)
    assert message.startswith(str(path))
    assert re.search(expected, message), message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(GlossaryError, match=r"missing\.yaml: cannot be read"):
        load_glossary(tmp_path / "missing.yaml")


def test_a_hub_lead_can_add_an_entry(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_PATH.read_text(encoding="utf-8")
                  + "\n- term: OPAL\n  means: [Outdoor Play and Learning]\n  note: \"A play programme.\"\n")
    extended = load_glossary(path)
    assert extended.entries[-1] == Entry("OPAL", ("Outdoor Play and Learning",), note="A play programme.")
    assert extended.expand("OPAL at lunchtimes").notes() == ("OPAL → Outdoor Play and Learning",)


def test_entries_can_be_built_in_code_and_are_checked_the_same_way() -> None:
    built = Glossary([Entry("PP", ("pupil premium",)), Entry("FSM", ("free school meals",))], source="inline")
    assert built.expand("fsm").notes() == ("fsm → free school meals",)
    with pytest.raises(GlossaryError, match=r"inline: entry 2 \('pp'\).*already in the entry for 'PP'"):
        Glossary([Entry("PP", ("pupil premium",)), Entry("pp", ("pupils' premium",))], source="inline")


def test_a_phrase_whose_words_mean_something_else_alone_is_searched_as_what_it_means(glossary: Glossary) -> None:
    """'special measures' is an inspection category: its words alone would find special schools."""
    expansion = glossary.expand("coming out of Special Measures quickly")
    assert expansion.notes() == ("Special Measures → inadequate Ofsted judgement",)
    assert expansion.searched_text() == "coming out of inadequate Ofsted judgement quickly"
    assert "special" not in expansion.expanded_text().lower()
    assert "measures" not in expansion.expanded_text().lower()
    # other entries keep the words as typed and add their forms after them
    other = glossary.expand("PP attendance")
    assert other.searched_text() == "PP attendance"
    assert other.expanded_text().startswith("PP attendance pupil premium")


def test_a_together_entry_read_from_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + "- term: serious weaknesses\n  means: [inadequate judgement]\n  together: true\n")
    entry = load_glossary(path).entries[-1]
    assert entry.together
    assert load_glossary(path).expand("after serious weaknesses").searched_text() == "after inadequate judgement"


@pytest.mark.parametrize(
    ("text", "searched", "keywords"),
    [
        # its long form written: nothing is rewritten, and the misleading term is not added
        ("after an inadequate Ofsted judgement", "after an inadequate Ofsted judgement",
         "after an inadequate Ofsted judgement"),
        # written twice: both places are searched as what it means
        ("special measures: how long does special measures last?",
         "inadequate Ofsted judgement: how long does inadequate Ofsted judgement last?",
         "inadequate Ofsted judgement: how long does inadequate Ofsted judgement last?"),
        # written beside its long form: the term is still not searched word by word
        ("out of special measures (an inadequate Ofsted judgement)",
         "out of inadequate Ofsted judgement (an inadequate Ofsted judgement)",
         "out of inadequate Ofsted judgement (an inadequate Ofsted judgement)"),
    ],
)
def test_a_together_phrase_is_never_searched_word_by_word(glossary: Glossary, text: str, searched: str,
                                                         keywords: str) -> None:
    expansion = glossary.expand(text)
    assert expansion.searched_text() == searched
    assert expansion.expanded_text() == keywords
    assert "special" not in expansion.expanded_text().lower()
