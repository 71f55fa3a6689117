"""CSV-injection ("formula injection") safety for exported cells: text cells are neutralised, strict E.164
numbers are kept as they are."""

from __future__ import annotations

import re

# A spreadsheet treats a cell starting with one of these as a formula: a contact name such as `=HYPERLINK(...)`
# would run when an operator opens the export.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def is_e164(value: str) -> bool:
    return E164.fullmatch(value) is not None


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not evaluate: a leading single quote, which spreadsheets show as plain text."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def safe_phone(value: str) -> str:
    """A phone cell: strict E.164 (`+` and 7-15 digits, no other character) as is, anything else neutralised as text.

    Digits alone cannot form a formula that calls anything, and the export stays correct for programs that read it
    (a quote would corrupt every number). Any other value, such as `+91 98765-43210` or `+1=cmd`, is neutralised
    like every other text cell.
    """
    return value if is_e164(value) else safe_text(value)
