"""CSV-injection ("formula injection") safety for exported cells.

A spreadsheet treats a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return as a formula; a
contact name such as `=HYPERLINK(...)` would run when an operator opens the export. Such text cells get a
leading single quote, which spreadsheets show as plain text.

The one exception is a phone number in strict E.164 form (`+` and 7-15 digits, no other character): it is
left exactly as Ringg returned it. Digits alone cannot form a formula that calls anything, and the export
stays correct for programs that read it (a quote would corrupt every number). Any other value in the
number column, such as `+91 98765-43210` or `+1=cmd`, is neutralised like every other text cell.
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def is_e164(value: str) -> bool:
    return E164.fullmatch(value) is not None


def safe_text(value: str) -> str:
    """A text cell a spreadsheet will not evaluate."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def safe_phone(value: str) -> str:
    """A phone cell: strict E.164 as is, anything else neutralised as text."""
    return value if is_e164(value) else safe_text(value)
