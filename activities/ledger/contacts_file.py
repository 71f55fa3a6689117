"""The contacts of a CSV as the ledger records them: each valid, unique row's E.164 number (the same row checks
as pre-flight and the upload), spreadsheet row, external id and passthrough cells, in batches."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from activities.contacts.blocks import Block
from activities.contacts.rows import CsvProblem, Layout, open_text, read_header, read_layout, unique_blocks
from activities.contacts.source import CHUNK
from domain.csv_limits import CsvLimits
from domain.phones import PhoneNormalizer

BATCH_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class FileContact:
    number: str
    row: int
    external_id: str | None
    fields: dict[str, str] | None
    block: Block  # where the row was read: its cells are split only when asked for (a screened-out row's report)
    index: int

    @property
    def cells(self) -> list[str]:
        """The row as written: for the contacts report only."""
        return self.block.cells(self.index)

    def __repr__(self) -> str:
        return f"FileContact(row={self.row})"


def column_index(header: list[str], name: str, setting: str) -> int:
    wanted = name.strip()
    for i, column in enumerate(header):
        if column == wanted:
            return i
    raise CsvProblem(
        f"it has no column {wanted!r} (named in {setting}; the header has {len(header)} columns, none of them named so)"
    )


def contact_batches(
    path: Path,
    variables_map: dict[str, str],
    phones: PhoneNormalizer,
    limits: CsvLimits,
    external_id_column: str | None,
    passthrough_columns: list[str],
) -> Iterator[tuple[Layout, list[FileContact]]]:
    """(the header's layout, a batch of contacts) until the file ends. Raises CsvProblem for a column it lacks."""
    with path.open("rb") as raw, open_text(io.BufferedReader(raw, CHUNK)) as text:
        layout = read_layout(read_header(text, limits), variables_map, limits)
        header = layout.header
        ext = column_index(header, external_id_column, "external_id_column") if external_id_column else None
        kept = [(name.strip(), column_index(header, name, "passthrough_columns")) for name in passthrough_columns]
        batch: list[FileContact] = []
        for checked in unique_blocks(text, layout, phones):
            first = checked.block.first_row
            for i, number in enumerate(checked.numbers):
                if not number:  # blank, refused or a repeat (unique_blocks blanks repeats)
                    continue
                # A row's cells are split here only when the request keeps some of them.
                cells = checked.block.cells(i) if ext is not None or kept else []
                batch.append(
                    FileContact(
                        number=number,
                        row=first + i,
                        external_id=_cell(cells, ext),
                        fields={name: _cell(cells, at) or "" for name, at in kept} if kept else None,
                        block=checked.block,
                        index=i,
                    )
                )
            if len(batch) >= BATCH_ROWS:
                yield layout, batch
                batch = []
        yield layout, batch


def _cell(cells: list[str], at: int | None) -> str | None:
    if at is None or at >= len(cells):
        return None
    return cells[at].strip()[:255] or None
