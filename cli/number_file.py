"""Reads a file of phone numbers for `starter.py suppress add --file`: one a line, or a CSV column (by header name,
else the first); under the same rules as contacts files (CAMPAIGN_CSV_DIRS and the size limits)."""

from __future__ import annotations

import asyncio
import csv
from dataclasses import dataclass
from pathlib import Path

from activities.contacts.blocks import csv_lines
from activities.contacts.source import CsvUnreadable, open_csv
from domain.csv_limits import CsvLimitExceeded, CsvLimits
from domain.csv_sources import CsvSources, SourceRefused


class NumberFileError(ValueError):
    """The file cannot be used: the message names the file and the rule, never its content."""


@dataclass(frozen=True)
class NumberCells:
    """The cells holding numbers and the file line each came from (1 = the first line)."""

    values: list[str]
    lines: list[int]


async def read_number_file(path: Path, sources: CsvSources, column: str | None) -> NumberCells:
    uri = str(await asyncio.to_thread(lambda: path.expanduser().resolve()))
    try:
        async with open_csv(uri, sources, what="--file") as real:
            return await asyncio.to_thread(_cells, real, column, sources.limits, path.name)
    except (SourceRefused, CsvLimitExceeded, CsvUnreadable) as err:
        raise NumberFileError(f"{path.name}: {err}") from None


def _cells(path: Path, column: str | None, limits: CsvLimits, name: str) -> NumberCells:
    values: list[str] = []
    lines: list[int] = []
    index, first = (0 if column is None else -1), True
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(csv_lines(f, limits))
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue  # blank lines
                if first:
                    first = False
                    if column is not None:  # the first line is the header
                        index = _column(row, column, name)
                        continue
                    if not any(ch.isdigit() for ch in row[0]):
                        continue  # a header ("phone"): its first cell has no digit
                values.append(row[index].strip() if index < len(row) else "")
                lines.append(reader.line_num)
    except UnicodeDecodeError:
        raise NumberFileError(f"{name} is not UTF-8 text: save it as UTF-8 (CSV UTF-8 in a spreadsheet)") from None
    except csv.Error as err:
        raise NumberFileError(f"{name} is not a readable CSV (line {reader.line_num}: {err})") from None
    except OSError as err:
        raise NumberFileError(f"{name} cannot be read: {err.strerror}") from None
    if index < 0:
        raise NumberFileError(f"{name} is empty: no header naming the column {column!r}")
    return NumberCells(values, lines)


def _column(header: list[str], column: str, name: str) -> int:
    cleaned = [cell.strip() for cell in header]
    for wanted in (column.strip(), column.strip().lower()):
        for i, cell in enumerate(cleaned):
            if cell == wanted or cell.lower() == wanted:
                return i
    raise NumberFileError(
        f"{name} has no column named {column!r} in its first line ({len(header)} columns): name the column that "
        "holds the numbers with --column, as it is written in the header"
    )
