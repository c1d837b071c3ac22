"""Characters that must not get into the Commons, and how to keep them out of what it writes.

Text arrives from the API, the web editor, Markdown files and GIAS CSV files. Control
characters (C0 except tab and line ends, DEL, C1), lone surrogates and Unicode non-characters
(U+FDD0-U+FDEF and every U+xFFFE/U+xFFFF) have no place in a title, a summary or a school
name: several of them cannot be written in XML 1.0 at all, so one of them makes an Atom feed
that no reader will parse. :func:`forbidden_character` finds the first such character so an
input path can refuse the text with a clear message; :func:`strip_forbidden` removes them;
:func:`xml_safe` removes what XML 1.0 forbids from text about to be written as XML.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula; :func:`csv_safe` neutralises such a cell (OWASP: prefix a single quote).
"""

import re
from typing import Any

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
_SURROGATES = "\ud800-\udfff"
# One-line fields (titles, names): every control character, line ends and tabs included.
_FORBIDDEN_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_SURROGATES}{_NONCHARACTERS}]")
# Multi-line text (summaries, sections): tab, LF and CR are allowed.
_FORBIDDEN_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_SURROGATES}{_NONCHARACTERS}]")
# What XML 1.0 cannot carry at all (its Char production), and the non-characters it discourages.
_NOT_XML = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_SURROGATES}{_NONCHARACTERS}]")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def forbidden_character(text: str, multiline: bool = True) -> str | None:
    """The first forbidden character in ``text``, described as "U+000B", or None if there is none.

    ``multiline`` allows tab, line feed and carriage return (summaries, sections); without it
    they are refused too (titles, school names, postcodes).
    """
    pattern = _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN_ONE_LINE
    found = pattern.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def forbidden_message(text: str, multiline: bool = True) -> str | None:
    """A problem message for text holding a forbidden character, or None if it is clean."""
    found = forbidden_character(text, multiline)
    if found is None:
        return None
    kind = "a control character or a non-character"
    if not multiline:
        kind = "a line break, tab, control character or non-character"
    return f"contains {kind} ({found}); remove it"


def strip_forbidden(text: str, multiline: bool = True) -> str:
    """``text`` without forbidden characters (one-line text loses its line ends and tabs too)."""
    return (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN_ONE_LINE).sub("", text)


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (for whole rendered documents too)."""
    return _NOT_XML.sub("", text)


def csv_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula: text starting = + - @ TAB CR gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
