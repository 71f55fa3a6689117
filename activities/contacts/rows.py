"""The rows of a contacts CSV, checked: header matched to variables_map, every number to E.164, invalid and
duplicate rows found with their spreadsheet row numbers (the header is row 1)."""

from __future__ import annotations

import csv
import io
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from itertools import compress, count, islice
from operator import eq, not_
from pathlib import Path
from typing import IO, TextIO

from activities.contacts.blocks import DEFAULT_LIMITS, Block, csv_lines, read_blocks
from activities.contacts.source import CHUNK
from activities.reports import open_private
from domain.cell_safety import safe_row
from domain.csv_limits import CsvLimits
from domain.phones import PhoneNormalizer

MOBILE_VAR = "mobile_number"
# A file's first bytes that say it is not CSV text at all.
_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or zip archive, not CSV text: save it as 'CSV UTF-8' and start again",
    b"\xd0\xcf\x11\xe0": "an old-style Excel (.xls) file, not CSV text: save it as 'CSV UTF-8' and start again",
    b"\xff\xfe": "UTF-16 text: save it as 'CSV UTF-8' and start again",
    b"\xfe\xff": "UTF-16 text: save it as 'CSV UTF-8' and start again",
}


class CsvProblem(ValueError):
    """The whole file cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Layout:
    """Where the mapped columns are in the file's header (names trimmed of spaces), and the limits rows are read
    within."""

    header: list[str]
    mobile_index: int
    width: int
    limits: CsvLimits = DEFAULT_LIMITS


@dataclass
class Checked:
    """A block's verdicts: the E.164 number of each row ("" for blank and rejected rows), the rows that cannot
    be called and why, and which are repeats of an earlier number."""

    block: Block
    numbers: list[str]
    problems: dict[int, str] = field(default_factory=dict)
    duplicates: dict[int, str] = field(default_factory=dict)  # index -> the number an earlier row has
    blank: int = 0
    no_number: list[int] = field(default_factory=list)  # blank and rejected rows, in order

    @property
    def data_rows(self) -> int:
        return self.block.size - self.blank


def sniff(path: Path) -> None:
    """Refuses files that are clearly not CSV text, with a message that names what they are."""
    with path.open("rb") as f:
        head = f.read(4)
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            raise CsvProblem(f"the file is {what}")


def open_text(binary: IO[bytes]) -> io.TextIOWrapper:
    """UTF-8 text with any byte-order mark dropped; rows as the csv module needs them."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


def read_header(text: TextIO, limits: CsvLimits = DEFAULT_LIMITS) -> list[str] | None:
    """The header row (None for an empty file), within the line, cell and column limits."""
    try:
        header = next(csv.reader(csv_lines(text, limits, row=1)), None)
    except csv.Error as err:
        if str(err).startswith("field larger than field limit"):
            raise limits.cell_too_large(1) from None
        raise
    if header is not None:
        if len(header) > limits.max_columns:
            raise limits.too_many_columns(len(header))
        if max(map(len, header), default=0) > limits.max_cell_chars:
            raise limits.cell_too_large(1)
    return header


def read_layout(header: list[str] | None, variables_map: dict[str, str], limits: CsvLimits = DEFAULT_LIMITS) -> Layout:
    """Matches the header to variables_map. Errors name the mapped columns (the caller's own words) and give counts,
    never the file's other header names: a file that is not a contacts list must not be quoted back."""
    if header is None or not any(h.strip() for h in header):
        raise CsvProblem("the file is empty (no header row)")
    names = [h.strip() for h in header]
    wanted = list(dict.fromkeys(c.strip() for c in variables_map.values()))
    missing = [c for c in wanted if c not in names]
    if missing:
        columns = f"{len(names):,} column{'s' if len(names) != 1 else ''}"
        raise CsvProblem(
            f"it has no column {', '.join(repr(c) for c in missing)} (mapped in variables_map; the header has "
            f"{columns}, none of them named so). Fix variables_map or the CSV header"
        )
    twice = [c for c in wanted if names.count(c) > 1]
    if twice:
        raise CsvProblem(
            f"the column {', '.join(repr(c) for c in twice)} appears more than once in the header, so it is "
            "not clear which one to use. Rename or remove the extra column"
        )
    return Layout(names, names.index(variables_map[MOBILE_VAR].strip()), len(names), limits)


def checked_blocks(text: TextIO, layout: Layout, phones: PhoneNormalizer) -> Iterator[Checked]:
    """Every data row after the header (already read) with its E.164 number or why it cannot be called.
    Duplicates are the caller's: `unique_blocks` marks them as the rows stream by; pre-flight's ProblemReport
    finds them over the whole file at the end, which costs less.

    Pre-flight and the upload walk a file with this same function, so the cleaned file the upload rebuilds holds
    exactly the rows pre-flight counted as valid, on whichever worker it runs. Rows with clean numbers are checked
    with C-level operations (regexes over joined text, set updates); only the others get per-row code."""
    for block in read_blocks(text, layout.width, layout.mobile_index, layout.limits):
        numbers, unclean = phones.normalize_clean_batch(block.mobile)
        checked = Checked(block, numbers)
        for i in sorted({*unclean, *block.ragged}) if block.ragged else unclean:
            _check_row(checked, i, layout, phones)
        yield checked


def unique_blocks(text: TextIO, layout: Layout, phones: PhoneNormalizer) -> Iterator[Checked]:
    """checked_blocks with repeats marked: the first row with a number keeps it, later rows are duplicates. The
    numbers seen are kept as integer keys (number_keys): a set of a million of them is half the memory of the
    strings'."""
    seen: set[int] = set()
    for checked in checked_blocks(text, layout, phones):
        keys = number_keys(checked.numbers, checked.no_number)
        valid = [k for k in keys if k] if checked.no_number else keys
        if seen.isdisjoint(valid):
            before = len(seen)
            seen.update(valid)
            if len(seen) - before != len(valid):
                _mark_duplicates(checked, keys, set())  # repeats inside this block only
        else:
            _mark_duplicates(checked, keys, seen)
        yield checked


def _check_row(checked: Checked, i: int, layout: Layout, phones: PhoneNormalizer) -> None:
    cells, width = checked.block.cells(i), layout.width
    checked.numbers[i] = ""
    if not any(c.strip() for c in cells):
        checked.blank += 1
    elif len(cells) > width and any(c.strip() for c in cells[width:]):
        checked.problems[i] = f"the row has {len(cells)} cells but the header has {width} (an unquoted comma?)"
    else:
        phone = cells[layout.mobile_index] if len(cells) > layout.mobile_index else ""
        e164, problem = phones.normalize(phone)
        if problem is None:
            checked.numbers[i] = e164
            return
        checked.problems[i] = problem
    checked.no_number.append(i)


def _mark_duplicates(checked: Checked, keys: Iterable[int], seen: set[int]) -> None:
    """In row order: the first row with a number keeps it, later rows with it are duplicates."""
    numbers, add = checked.numbers, seen.add
    for i, key in enumerate(keys):
        if key:
            if key in seen:
                checked.duplicates[i] = numbers[i]
                numbers[i] = ""
            else:
                add(key)


def number_keys(numbers: list[str], empty: list[int] | None = None) -> array[int]:
    """Each E.164 number ("" for none) as an integer key: its digits read as hexadecimal, 0 for none. Exact (E.164
    digits never start with 0, and 15 of them fit in 60 bits), and `f"+{key:x}"` gives the number back. Numbers
    of one length (a campaign's usual case) are converted at once: the joined digits, each padded to 16, go
    through bytes.fromhex into the array's bytes, with no Python object per number. `empty`: the indexes of the
    "" numbers, when the caller knows them (None: looked for)."""
    keys = array("q")
    if empty is None:
        empty = list(compress(count(), map(not_, numbers)))
    size = next((len(n) for n in numbers if n), 0) if empty else len(numbers[0]) if numbers else 0
    if size:
        values = numbers
        if empty:
            values = list(numbers)
            stand_in = "+".ljust(size, "0")  # reads as key 0
            for i in empty:
                values[i] = stand_in
        joined, n = "".join(values), len(values)
        # One "+" per value, at its start: "+" every `size` characters means every value has that length.
        if len(joined) == size * n and joined[0::size] == "+" * n:
            keys.frombytes(bytes.fromhex(joined.replace("+", "0" * (17 - size))))
            if sys.byteorder == "little":
                keys.byteswap()
            return keys
    keys.extend([int(n[1:], 16) if n else 0 for n in numbers])
    return keys


@dataclass
class RowCounts:
    data_rows: int = 0
    unusable_rows: int = 0
    duplicate_rows: int = 0
    first_problem_rows: list[int] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return self.unusable_rows + self.duplicate_rows

    @property
    def valid(self) -> int:
        return self.data_rows - self.rejected


class ProblemReport:
    """The rows that cannot be called, for the person who owns the CSV, sorted by row: spreadsheet row number,
    the problem in words, the number as written, then the row's own cells.

    Invalid rows are written as the file streams by; duplicates are found at the end from every row's number
    (one sort instead of a lookup per block), and their cells fetched by a second pass over the file, which only
    files with duplicates pay for."""

    MAX_LISTED = 5

    def __init__(self, out: IO[str], layout: Layout) -> None:
        self._out = out
        self._writer = csv.writer(out)
        self._writer.writerow(safe_row(["row", "problem", "phone_as_written", *layout.header]))
        self._layout = layout
        # Per row from row 2 on: its number's key (number_keys; 0: none). 8 bytes a row, where keeping the
        # strings would cost 70.
        self._numbers = array("q")
        self.counts = RowCounts()

    def add(self, checked: Checked) -> None:
        counts = self.counts
        counts.data_rows += checked.data_rows
        self._numbers += number_keys(checked.numbers, checked.no_number)
        first = checked.block.first_row
        for i in sorted(checked.problems):
            if len(counts.first_problem_rows) < self.MAX_LISTED:
                counts.first_problem_rows.append(first + i)
            self._write(first + i, checked.problems[i], checked.block.cells(i))
        counts.unusable_rows += len(checked.problems)

    def _write(self, row: int, problem: str, cells: list[str]) -> None:
        mobile = self._layout.mobile_index
        self._writer.writerow(safe_row([str(row), problem, cells[mobile] if mobile < len(cells) else "", *cells]))

    def finish(self, reread: Callable[[], AbstractContextManager[TextIO]]) -> None:
        """Adds the duplicates; `reread` opens the file again, positioned after its header."""
        duplicates = self._duplicates()
        self._numbers = array("q")
        if not duplicates:
            return
        self.counts.duplicate_rows = len(duplicates)
        self.counts.first_problem_rows = sorted([*self.counts.first_problem_rows, *sorted(duplicates)[:5]])[:5]
        wanted = sorted(duplicates)
        at = 0
        with reread() as text:
            layout = self._layout
            for block in read_blocks(text, layout.width, layout.mobile_index, layout.limits, cells_only=True):
                end = block.first_row + block.size
                while at < len(wanted) and wanted[at] < end:
                    row = wanted[at]
                    number, first = duplicates[row]
                    problem = f"same number as row {first} ({number}): the contact would be called twice"
                    self._write(row, problem, block.cells(row - block.first_row))
                    at += 1
                if at == len(wanted):
                    break

    def _duplicates(self) -> dict[int, tuple[str, int]]:
        """row -> (its number, the first row with that number), for every repeat. The keys are sorted (a list of
        ints: half the memory of a set of them) and neighbours compared by C-level `map`; only the rows of a
        repeated number are then walked one by one."""
        numbers = self._numbers
        ordered = sorted(numbers)
        del ordered[: bisect_right(ordered, 0)]  # rows without a number
        repeated = set(compress(ordered, map(eq, ordered, islice(ordered, 1, None))))
        del ordered
        if not repeated:
            return {}
        first_row: dict[int, int] = {}
        duplicates: dict[int, tuple[str, int]] = {}
        for row in compress(count(2), map(repeated.__contains__, numbers)):
            number = numbers[row - 2]
            first = first_row.setdefault(number, row)
            if first != row:
                duplicates[row] = (f"+{number:x}", first)
        return duplicates


def sort_report(report: Path) -> None:
    """Orders the report's rows by row number (duplicates were appended after the invalid rows)."""
    with report.open(newline="", encoding="utf-8") as src:
        lines = list(csv.reader(src))
    head, body = lines[0], sorted(lines[1:], key=lambda line: int(line[0]))
    with open_private(report) as out:
        csv.writer(out).writerows([head, *body])


def write_clean_csv(
    src: Path,
    dest: Path,
    variables_map: dict[str, str],
    phones: PhoneNormalizer,
    limits: CsvLimits = DEFAULT_LIMITS,
    *,
    start: int = 0,
    stop: int | None = None,
    skip: frozenset[str] = frozenset(),
) -> int:
    """The file Ringg receives: the trimmed header, then every valid row with its number in E.164 (invalid and
    duplicate rows dropped, no byte-order mark). With `start`/`stop`, only the valid rows numbered start..stop-1
    (from 0, in file order): one chunk of the campaign; reading ends after them. Numbers in `skip` (removed by the
    ledger's screening) are left out and not counted. Returns the rows written."""
    written = valid = 0
    with (
        src.open("rb") as raw,
        open_text(io.BufferedReader(raw, CHUNK)) as text,
        dest.open("w", encoding="utf-8", newline="") as out,
    ):
        layout = read_layout(read_header(text, limits), variables_map, limits)
        writer = csv.writer(out)
        writer.writerow(layout.header)
        mobile = layout.mobile_index
        for checked in unique_blocks(text, layout, phones):
            keep = []
            for i, number in enumerate(checked.numbers):
                if number and number not in skip:  # "" for blank and rejected rows
                    if start <= valid and (stop is None or valid < stop):
                        cells = checked.block.cells(i)
                        cells = (cells + [""] * layout.width)[: layout.width] if len(cells) < layout.width else cells
                        cells[mobile] = number
                        keep.append(cells)
                    valid += 1
            writer.writerows(keep)
            written += len(keep)
            if stop is not None and valid >= stop:
                break
    return written
