"""Section-aware chunking of case studies into searchable passages.

A passage never crosses a section boundary. Within a section, Markdown blocks (paragraphs,
lists, tables) are packed together up to a word budget that keeps a passage inside the
embedding model's 256-token window; a single block longer than the budget is split between
sentences. The embedded text carries the document title and the section heading, so a
passage about "what we did" still knows which case study and section it belongs to.
"""

import re
from dataclasses import dataclass

from indexer.text import markdown_to_text, split_sentences, word_count

DEFAULT_MAX_WORDS = 150
_BLANK_LINES = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Section:
    """One section of a document: a stable key, its heading and its Markdown body."""

    key: str
    heading: str
    markdown: str


@dataclass(frozen=True)
class Chunk:
    """A passage: where it sits, what the reader sees, and what the model embeds."""

    section: str
    heading: str
    position: int
    markdown: str
    text: str
    embed_text: str


def searchable_text(title: str, heading: str, text: str) -> str:
    """What is embedded and indexed for a passage: its text, introduced by title and heading."""
    return f"{title}. {heading}: {text}"


def _blocks(markdown: str) -> list[str]:
    """Split Markdown into blocks at blank lines, keeping list items and tables together."""
    blocks: list[str] = []
    for raw in _BLANK_LINES.split(markdown.strip()):
        block = raw.strip("\n")
        if not block.strip():
            continue
        continues_list = bool(blocks) and _is_list(blocks[-1]) and _is_list(block)
        if continues_list:
            blocks[-1] = blocks[-1] + "\n\n" + block
        else:
            blocks.append(block)
    return blocks


def _is_list(block: str) -> bool:
    return bool(re.match(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+", block))


def _split_long_block(block: str, max_words: int) -> list[str]:
    """Split one over-long block between sentences (list items count as sentences)."""
    if _is_list(block):
        units = [item for item in re.split(r"\n(?=\s{0,3}(?:[-*+]|\d+[.)])\s)", block) if item.strip()]
    else:
        units = split_sentences(block.replace("\n", " "))
    pieces: list[str] = []
    current: list[str] = []
    joiner = "\n" if _is_list(block) else " "
    for unit in units:
        if current and word_count(joiner.join([*current, unit])) > max_words:
            pieces.append(joiner.join(current))
            current = []
        current.append(unit)
    if current:
        pieces.append(joiner.join(current))
    return pieces


def chunk_section(section: Section, max_words: int = DEFAULT_MAX_WORDS) -> list[str]:
    """Return the Markdown of each passage of one section, in reading order."""
    units: list[str] = []
    for block in _blocks(section.markdown):
        if word_count(markdown_to_text(block)) > max_words:
            units.extend(_split_long_block(block, max_words))
        else:
            units.append(block)
    passages: list[str] = []
    current: list[str] = []
    for unit in units:
        candidate = "\n\n".join([*current, unit])
        if current and word_count(markdown_to_text(candidate)) > max_words:
            passages.append("\n\n".join(current))
            current = []
        current.append(unit)
    if current:
        passages.append("\n\n".join(current))
    return passages


def chunk_document(
    title: str, sections: list[Section], max_words: int = DEFAULT_MAX_WORDS
) -> list[Chunk]:
    """Chunk a whole document; positions run across the document from 0."""
    chunks: list[Chunk] = []
    for section in sections:
        for markdown in chunk_section(section, max_words):
            text = markdown_to_text(markdown)
            if not text:
                continue
            chunks.append(
                Chunk(
                    section=section.key,
                    heading=section.heading,
                    position=len(chunks),
                    markdown=markdown,
                    text=text,
                    embed_text=searchable_text(title, section.heading, text),
                )
            )
    return chunks
