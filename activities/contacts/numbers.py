"""Reads a list of phone numbers (one per line, or the first column of a CSV) and normalises them to the
"+<country code><digits>" form Ringg stores, dropping duplicates and lines without a number."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from activities.contacts.blocks import DEFAULT_LIMITS, csv_lines
from domain.csv_limits import CsvLimits

_NOT_DIGITS = re.compile(r"[^\d+]")


def normalise(raw: str, country_code: str) -> str | None:
    cleaned = _NOT_DIGITS.sub("", raw.strip())
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not cleaned.startswith("+"):
        cleaned = country_code.strip() + cleaned.lstrip("0")
    digits = cleaned[1:]
    if not cleaned.startswith("+") or not digits.isdigit() or not 8 <= len(digits) <= 15:
        return None
    return cleaned


def read_numbers(path: Path, country_code: str, limits: CsvLimits = DEFAULT_LIMITS) -> list[str]:
    """Raises CsvLimitExceeded on a line over the limit, UnicodeDecodeError or csv.Error on a file that is not CSV."""
    numbers: dict[str, None] = {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        for row in csv.reader(csv_lines(f, limits)):
            if row and (number := normalise(row[0], country_code)):
                numbers[number] = None
    return list(numbers)


def batches(items: list[str], size: int = 100) -> list[list[str]]:
    """Ringg's terminate takes at most 100 numbers per request."""
    return [items[i : i + size] for i in range(0, len(items), size)]
