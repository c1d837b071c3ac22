from indexer import Section, chunk_document
from indexer.chunking import DEFAULT_MAX_WORDS
from indexer.text import markdown_to_text


def test_passages_stay_inside_their_section_and_carry_title_and_heading() -> None:
    sections = [
        Section("context", "Context", "We are a small rural primary.\n\nWe have 84 pupils."),
        Section("challenge", "The challenge", "Attendance was **poor**: 89%."),
    ]
    chunks = chunk_document("Attendance in a moorland school", sections)
    assert [c.section for c in chunks] == ["context", "challenge"]
    assert [c.position for c in chunks] == [0, 1]
    assert chunks[0].text == "We are a small rural primary.\nWe have 84 pupils."
    assert chunks[1].embed_text == "Attendance in a moorland school. The challenge: Attendance was poor: 89%."
    assert "**poor**" in chunks[1].markdown


def test_long_sections_split_between_sentences_under_the_word_budget() -> None:
    sentence = "Our attendance lead phoned every family on the first morning of absence. "
    body = (sentence * 30).strip() + "\n\n" + "- first item\n- second item\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    chunks = chunk_document("T", [Section("what-we-did", "What we did", body)])
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk.text.split()) <= DEFAULT_MAX_WORDS
        assert chunk.text.endswith((".", "item", "2"))
    joined = " ".join(c.text for c in chunks)
    assert joined.count("first morning") == 30
    assert "| a | b |" in chunks[-1].markdown


def test_markdown_to_text_keeps_words_and_drops_syntax() -> None:
    text = markdown_to_text("### Heading\n\n* **Bold** and [a link](http://x.y)\n\n> quote `code`")
    assert text == "Heading\nBold and a link\nquote code"
