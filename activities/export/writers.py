"""Streaming writers for the export files: rows are appended page by page, so memory does not grow with the
campaign. A writer can reopen a staging file at a checkpointed size (a retried attempt's resume point)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from activities.export.rows import COLUMNS, ExportRow
from contract.export import ExportFormat


class RowWriter:
    """Appends to `path`; the file is first cut back to `resume_at` bytes, dropping anything written after the
    checkpoint (a page that was being written when the previous attempt died)."""

    def __init__(self, path: Path, resume_at: int = 0) -> None:
        if resume_at:
            os.truncate(path, resume_at)
        else:
            path.write_bytes(b"")
        self._file: IO[str] = path.open("a", encoding="utf-8", newline="")
        if not resume_at:
            self._start()

    def _start(self) -> None:
        """Writes what a new file begins with (a header)."""

    def write_rows(self, rows: Iterable[ExportRow]) -> None:
        raise NotImplementedError

    def flush(self) -> int:
        """Hands the written rows to the OS and returns the file's size: the next checkpoint."""
        self._file.flush()
        return os.fstat(self._file.fileno()).st_size

    def close(self) -> None:
        self._file.close()


class CsvRowWriter(RowWriter):
    """RFC 4180 CSV with a header row; text cells neutralised against formula injection (ExportRow.as_csv)."""

    def _start(self) -> None:
        csv.writer(self._file).writerow(COLUMNS)

    def write_rows(self, rows: Iterable[ExportRow]) -> None:
        csv.writer(self._file).writerows(row.as_csv() for row in rows)


class JsonlRowWriter(RowWriter):
    """One JSON object per line with the values exactly as Ringg returned them (a data format, not for
    spreadsheets: nothing is neutralised)."""

    def write_rows(self, rows: Iterable[ExportRow]) -> None:
        for row in rows:
            self._file.write(json.dumps(row.as_json(), ensure_ascii=False, separators=(",", ":")) + "\n")


WRITERS: dict[ExportFormat, type[RowWriter]] = {"csv": CsvRowWriter, "jsonl": JsonlRowWriter}


def open_writer(fmt: ExportFormat, path: Path, resume_at: int = 0) -> RowWriter:
    return WRITERS[fmt](path, resume_at)
