"""CSV-injection ("formula injection") safety for every CSV the product writes for a person (contacts report,
Ringg's invalid rows, exports): one rule, `safe_cell`."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A spreadsheet treats a cell starting with one of these as a formula: a contact name such as `=HYPERLINK(...)`
# would run when an operator opens the file.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def is_e164(value: str) -> bool:
    return E164.fullmatch(value) is not None


def safe_cell(value: str) -> str:
    """A cell a spreadsheet will not evaluate. Strict E.164 (`+` and 7-15 digits, nothing else) stays as it is:
    digits alone cannot form a formula that calls anything, and a quote would corrupt every phone number for the
    programs that read the file. Any other value starting like a formula (`=HYPERLINK(...)`, `@SUM(...)`, `-2+3`,
    `+91 98765 43210`, `+1=cmd`) gets a leading single quote, which spreadsheets show as plain text."""
    if value.startswith(FORMULA_TRIGGERS) and not is_e164(value):
        return "'" + value
    return value


def safe_row(cells: Iterable[str]) -> list[str]:
    return [safe_cell(cell) for cell in cells]
