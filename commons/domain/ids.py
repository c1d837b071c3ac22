"""Ids typed by people or sent in URLs: ASCII digits only, and within a database integer's range."""

MAX_ID = 2**63 - 1  # the largest value a database integer column (BIGINT, SQLite INTEGER) holds
MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(text: object) -> int | None:
    """The id ``text`` spells in ASCII digits (``"²"`` and 25-digit ids are not ids), else None."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MAX_ID_DIGITS or not text.isascii() or not text.isdecimal():
        return None
    value = int(text)
    return value if value <= MAX_ID else None
