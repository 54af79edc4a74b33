"""Booking codes as callers read them out or type them on a keypad.

A code is eight characters of ``BOOKING_CODE_ALPHABET`` written "ABCD-EFGH".
Agents type what they hear, in any case, with or without spaces, dashes,
dots or slashes. The alphabet leaves out 0/O, 1/I, 2/Z, 5/S and 8/B, so what
is read out is not misheard; a character outside it is a typing error, and
the code is refused rather than guessed.
"""

from booking.services import BOOKING_CODE_ALPHABET

CODE_LENGTH = 8

# The phone keypad (ITU E.161): the key a letter or digit of a code is typed with.
KEYPAD = {
    **dict.fromkeys("ABC2", "2"),
    **dict.fromkeys("DEF3", "3"),
    **dict.fromkeys("GHI4", "4"),
    **dict.fromkeys("JKL5", "5"),
    **dict.fromkeys("MNO6", "6"),
    **dict.fromkeys("PQRS7", "7"),
    **dict.fromkeys("TUV8", "8"),
    **dict.fromkeys("WXYZ9", "9"),
}


def normalise_booking_code(raw: str) -> str | None:
    """The code in its stored form ("ACDE-FGHJ"), or None if it cannot be one."""
    characters = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    if len(characters) != CODE_LENGTH or any(ch not in BOOKING_CODE_ALPHABET for ch in characters):
        return None
    return f"{characters[:4]}-{characters[4:]}"


def keypad_digits(code: str) -> str:
    """The eight keys that type ``code`` on a phone ("ACDE-FGHJ" → "22333445")."""
    return "".join(KEYPAD[ch] for ch in code if ch != "-")


def keypad_translation() -> tuple[str, str]:
    """``translate()``'s two arguments that turn a stored code into its keys (SQL)."""
    letters = "".join(ch for ch in BOOKING_CODE_ALPHABET if not ch.isdigit()) + "-"
    return letters, "".join(KEYPAD[ch] for ch in letters[:-1])


def sql_translate(text: str | None, source: str, target: str) -> str | None:
    """PostgreSQL's ``translate()`` for SQLite (the quick start's database): each
    character of ``source`` becomes the one at its place in ``target``, and is
    dropped when ``target`` is shorter."""
    if text is None:
        return None
    table = {ord(ch): (target[i] if i < len(target) else None) for i, ch in enumerate(source)}
    return text.translate(table)


def add_translate_to_sqlite(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: give SQLite the ``translate()`` that the
    voice line's booking-code lookup uses (``hotline.voice.calls.keypad_series``)."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("translate", 3, sql_translate, deterministic=True)
