"""What makes a password too easy to guess: blank, repetitive, a run of keys, or a common one.

The common passwords are a short list kept with the code (``common_passwords.txt``): the
guesses attackers try first. A password is refused when it is one of them, or one of them with
only digits and symbols added before or after ("Password1234!" is "password" with extras).
"""

import functools
import re
from pathlib import Path

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
MIN_DISTINCT = 5
SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn",
             "qazwsxedcrfvtgbyhnujmikolp")
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")

BLANK = "Enter a password that is not only spaces."
REPETITIVE = "That password repeats itself. Use a short sentence you will remember instead."
SEQUENCE = "That password is a run of keys or letters. Use a short sentence you will remember instead."
COMMON = "That is one of the passwords people use most, so it is guessed first. Choose another."
ONLY_NUMBERS = "Use words as well as numbers and symbols. A short sentence you will remember works well."


@functools.cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _repeats(text: str) -> bool:
    """True when the text is one short piece over and over ("abcabcabcabc"), or has few distinct characters."""
    if len(set(text)) < MIN_DISTINCT:
        return True
    return any(len(text) % size == 0 and text == text[:size] * (len(text) // size)
               for size in range(1, len(text) // 2 + 1))


def _is_sequence(text: str) -> bool:
    """True when the text is a run along the alphabet, the digits or the keyboard, forwards or backwards."""
    for sequence in SEQUENCES:
        doubled = sequence * (len(text) // len(sequence) + 2)
        if text in doubled or text[::-1] in doubled:
            return True
    return False


def weakness(password: str) -> str | None:
    """Why this password is too easy to guess, as a message for the person choosing it; None when it is not.

    Length is checked by the caller; this is about what the characters are.
    """
    if not password.strip():
        return BLANK
    lowered = password.lower()
    squeezed = "".join(lowered.split())
    if _repeats(squeezed):
        return REPETITIVE
    if _is_sequence(squeezed):
        return SEQUENCE
    core = _ENDS.sub("", squeezed)
    if not core:
        return ONLY_NUMBERS
    common = common_passwords()
    if squeezed in common or core in common or (_repeats(core) and len(core) > 1) or _is_sequence(core):
        return COMMON
    return None
