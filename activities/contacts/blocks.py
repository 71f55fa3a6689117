"""A CSV's data rows in blocks of about a megabyte, read as fast as Python allows, each block with its rows'
spreadsheet numbers (the header is row 1)."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import TextIO

from domain.csv_limits import CsvLimits

BLOCK_CHARS = 1 << 20
CSV_BLOCK_ROWS = 512  # few rows alive at once: the garbage collector has little to walk
DEFAULT_LIMITS = CsvLimits()


@dataclass
class Block:
    """Consecutive data rows from spreadsheet row `first_row` on: either `lines` (quote-free text, one row per
    line, every line with the header's width) or `rows` (cells as the csv module parsed them)."""

    first_row: int
    size: int
    mobile: list[str]  # the mobile-number cell of each row ("" when the row has no such cell)
    lines: list[str] | None = None
    rows: list[list[str]] | None = None
    ragged: list[int] = field(default_factory=list)  # rows whose cell count is not the header's

    def cells(self, i: int) -> list[str]:
        if self.rows is not None:
            return self.rows[i]
        assert self.lines is not None
        return self.lines[i].split(",")


def read_blocks(
    text: TextIO, width: int, mobile: int, limits: CsvLimits = DEFAULT_LIMITS, *, cells_only: bool = False
) -> Iterator[Block]:
    """The rows after the header (already read from `text`), within the line and cell limits.

    The text is read in blocks of whole lines whose lengths are measured with a few C-level scans (a line longer
    than the limit can only be in a block longer than it). A block without any double quote or lone carriage
    return is split into lines and cells with str methods driven by C-level `map` (exactly what the csv module
    gives for such text, at a fraction of the cost). From the first block with a quote on, the rest of the file
    goes to one `csv.reader`, which handles quoted commas and newlines, fed the blocks' lines (split as a file
    opened with newline="" splits them, by str.splitlines or io.StringIO: no Python call per line).

    `cells_only`: for re-reading rows already checked, quote-free blocks come without their mobile cells and
    ragged rows (`mobile` empty), only the lines that `cells` splits.
    """
    blocks = _LineBlocks(text, limits)
    for block in blocks:
        first = blocks.row
        lines = _split_lines(block) if '"' not in block else None
        if lines is None:
            # Quotes or lone carriage returns: the csv module reads the rest of the file as one stream.
            blocks.rows_known = False  # a quoted cell may span lines: from here on a line is not a row
            reader = csv.reader(chain.from_iterable(map(_line_stream, chain([block], blocks))))
            yield from _csv_blocks(reader, first, width, mobile, limits)
            return
        if lines[-1] == "":
            lines.pop()
        _check_cells(block, first, limits)
        yield Block(first, len(lines), [], lines=lines) if cells_only else _lines_block(lines, first, width, mobile)
        blocks.row = first + len(lines)


class _LineBlocks:
    """About BLOCK_CHARS of whole lines at a time until the text ends; a line longer than the limit is refused
    before it is read whole. `row` is the spreadsheet row of the next block's first line (the reader keeps it),
    named in the error while `rows_known` (every line so far one row)."""

    def __init__(self, text: TextIO, limits: CsvLimits) -> None:
        self._text = text
        self._limits = limits
        self._pending = ""
        self.row = 2
        self.rows_known = True

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        max_line = self._limits.max_line_chars
        while True:
            chunk = self._text.read(BLOCK_CHARS)
            block, self._pending = _cut(self._pending + chunk, final=not chunk)
            if len(self._pending) > max_line + 1:  # the unfinished line is too long already (+1: a CR before its LF)
                raise self._limits.line_too_long(self._row_at(block, len(block)))
            if block:
                at = _long_line(block, 0, max_line)
                if at >= 0:
                    _check_lines(block, at, self._limits, self._row_at(block, at))
                return block
            if not chunk:
                raise StopIteration

    def _row_at(self, block: str, at: int) -> int | None:
        return self.row + block.count("\n", 0, at) if self.rows_known else None


# Characters str.splitlines also ends a line at, where a file opened with newline="" does not (ASCII ones; the
# others are not ASCII).
_SPLITLINES_ONLY = ("\v", "\f", "\x1c", "\x1d", "\x1e")


def _line_stream(block: str) -> Iterable[str]:
    """The block's lines as a file opened with newline="" reads them: split at LF, CRLF or a lone CR, ends kept."""
    if block.isascii() and not any(c in block for c in _SPLITLINES_ONLY):
        return block.splitlines(keepends=True)  # the same lines, made faster than io.StringIO makes them
    return io.StringIO(block, newline="")


def csv_lines(text: TextIO, limits: CsvLimits, row: int | None = None) -> Iterator[str]:
    """The file's next lines, for `csv.reader`: none is read whole when longer than the limit, which is refused
    (`row`: the spreadsheet row of the first line, for the error). Nothing after the lines taken is consumed."""
    return _bounded(_readlines(text, limits.max_line_chars), limits, row)


def _readlines(text: TextIO, max_line: int) -> Iterator[str]:
    return iter(functools.partial(text.readline, max_line + 2), "")  # +2: the line end


def _bounded(lines: Iterator[str], limits: CsvLimits, row: int | None) -> Iterator[str]:
    max_line = limits.max_line_chars
    for line in lines:
        if len(line) > max_line and len(line.rstrip("\r\n")) > max_line:
            raise limits.line_too_long(row)
        yield line


def _cut(text: str, *, final: bool) -> tuple[str, str]:
    """(the whole lines, the unfinished last line). Lines end at LF, CRLF or a lone CR (not a final CR, which may
    be the first half of a CRLF)."""
    if final:
        return text, ""
    cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
    return text[:cut], text[cut:]


def _check_lines(block: str, at: int, limits: CsvLimits, row: int | None) -> None:
    """No line of the block over the line limit, from `at` (where the first LF-ended stretch longer than the limit
    starts) on: a stretch that long is split at its carriage returns too (lines may end with a lone CR), and
    refused if a line in it still is. `row`: the spreadsheet row at `at`, when known."""
    max_line = limits.max_line_chars
    start = at
    while at >= 0:
        end = block.find("\n", at)
        end = len(block) if end < 0 else end
        stretch = block[at:end].replace("\r\n", "\n").replace("\r", "\n")
        if max(map(len, stretch.split("\n"))) > max_line:
            raise limits.line_too_long(None if row is None else row + block.count("\n", start, at))
        at = _long_line(block, end + 1, max_line)


def _check_cells(block: str, first: int, limits: CsvLimits) -> None:
    """Quote-free text, one row a line: no cell over the cell limit. A cell is never longer than its line, so
    only lines longer than the cell limit are split into cells."""
    at = _long_line(block, 0, limits.max_cell_chars)
    while at >= 0:
        end = block.find("\n", at)
        end = len(block) if end < 0 else end
        if max(map(len, block[at:end].rstrip("\r").split(","))) > limits.max_cell_chars:
            raise limits.cell_too_large(first + block.count("\n", 0, at))
        at = _long_line(block, end + 1, limits.max_cell_chars)


def _long_line(block: str, start: int, limit: int) -> int:
    """Where the first line from `start` on longer than `limit` (+1: a CR before its LF) starts, or -1. Each step
    looks for the last LF within reach, so a block of short lines takes a few C-level scans, not one per line."""
    pos, end = start, len(block)
    while end - pos > limit + 1:
        newline = block.rfind("\n", pos, pos + limit + 2)
        if newline < 0:
            return pos
        pos = newline + 1
    return -1


def _split_lines(block: str) -> list[str] | None:
    """The lines of a block ending in LF or CRLF (or a mix); None when a carriage return stands alone."""
    if "\r" not in block:  # a find stops at the first CR, a count reads the whole block
        return block.split("\n")
    carriage_returns = block.count("\r")
    lines = block.split("\r\n")
    if len(lines) - 1 == carriage_returns == block.count("\n"):
        return lines
    if len(lines) - 1 != carriage_returns:
        return None
    return "\n".join(lines).split("\n")


def _lines_block(lines: list[str], first: int, width: int, mobile: int) -> Block:
    commas = list(map(str.count, lines, repeat(",")))
    if commas.count(width - 1) != len(lines):  # blank or ragged lines: cells row by row
        rows = [line.split(",") if line else [] for line in lines]
        return _rows_block(rows, first, width, mobile)
    if mobile == 0:
        cells = list(map(itemgetter(0), map(str.partition, lines, repeat(","))))
    else:
        cells = list(map(itemgetter(mobile), map(str.split, lines, repeat(","), repeat(mobile + 1))))
    return Block(first, len(lines), cells, lines=lines)


def _csv_blocks(reader: Iterator[list[str]], first: int, width: int, mobile: int, limits: CsvLimits) -> Iterator[Block]:
    # The csv module refuses cells over csv.field_size_limit (the worker sets it to the cell limit); a smaller
    # limit than the module's (in tests, or a reader in another process) is checked here, block by block.
    check_cells = limits.max_cell_chars < csv.field_size_limit()
    while True:
        try:
            rows = list(islice(reader, CSV_BLOCK_ROWS))
        except csv.Error as err:
            if str(err).startswith("field larger than field limit"):
                raise limits.cell_too_large(None) from None
            raise
        if not rows:
            return
        if check_cells and max(map(len, chain.from_iterable(rows)), default=0) > limits.max_cell_chars:
            raise limits.cell_too_large(None)
        yield _rows_block(rows, first, width, mobile)
        first += len(rows)


def _rows_block(rows: list[list[str]], first: int, width: int, mobile: int) -> Block:
    lengths = list(map(len, rows))
    if lengths.count(width) == len(rows):
        return Block(first, len(rows), list(map(itemgetter(mobile), rows)), rows=rows)
    cells = [row[mobile] if len(row) > mobile else "" for row in rows]
    return Block(first, len(rows), cells, rows=rows, ragged=[i for i, n in enumerate(lengths) if n != width])
