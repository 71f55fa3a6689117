"""A CSV's data rows in blocks of about a megabyte, read as fast as Python allows, each block with its rows'
spreadsheet numbers (the header is row 1)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import TextIO

BLOCK_CHARS = 1 << 20
CSV_BLOCK_ROWS = 512  # few rows alive at once: the garbage collector has little to walk


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


def read_blocks(text: TextIO, width: int, mobile: int) -> Iterator[Block]:
    """The rows after the header (already read from `text`).

    Text without any double quote or lone carriage return is split into lines and cells with str methods driven
    by C-level `map` (exactly what the csv module gives for such text, at a fraction of the cost). From the first
    block with a quote on, the rest of the file is read by `csv.reader`, which handles quoted commas and newlines.
    """
    first, pending = 2, ""
    while True:
        chunk = text.read(BLOCK_CHARS)
        block = pending + chunk
        if not block:
            return
        if chunk:
            cut = block.rfind("\n") + 1
            if cut == 0:  # one line longer than a block: read on
                pending = block
                continue
            block, pending = block[:cut], block[cut:]
        else:
            pending = ""
        lines = _split_lines(block) if '"' not in block else None
        if lines is None:
            # Quotes or lone carriage returns: finish the current line, then let the csv module read the rest
            # of the file as one stream.
            rest = pending + text.readline()
            yield from _csv_blocks(csv.reader(chain(io.StringIO(block + rest, newline=""), text)), first, width, mobile)
            return
        if lines[-1] == "":
            lines.pop()
        yield _lines_block(lines, first, width, mobile)
        first += len(lines)


def _split_lines(block: str) -> list[str] | None:
    """The lines of a block ending in LF or CRLF (or a mix); None when a carriage return stands alone."""
    carriage_returns = block.count("\r")
    if not carriage_returns:
        return block.split("\n")
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


def _csv_blocks(reader: Iterator[list[str]], first: int, width: int, mobile: int) -> Iterator[Block]:
    while rows := list(islice(reader, CSV_BLOCK_ROWS)):
        yield _rows_block(rows, first, width, mobile)
        first += len(rows)


def _rows_block(rows: list[list[str]], first: int, width: int, mobile: int) -> Block:
    lengths = list(map(len, rows))
    if lengths.count(width) == len(rows):
        return Block(first, len(rows), list(map(itemgetter(mobile), rows)), rows=rows)
    cells = [row[mobile] if len(row) > mobile else "" for row in rows]
    return Block(first, len(rows), cells, rows=rows, ragged=[i for i, n in enumerate(lengths) if n != width])
