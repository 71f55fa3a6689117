"""Adds the rows pre-flight's ledger check removed to the contacts report, in row order, and writes the numbers
the upload leaves out. Re-running replaces the earlier screening's rows, so a retry never lists a row twice."""

from __future__ import annotations

import csv
import heapq
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from activities.reports import open_private
from domain.cell_safety import safe_row

SUPPRESSED = "suppressed"
CAPPED = "frequency cap"
SCREENING_PROBLEMS = (f"{SUPPRESSED}:", f"{CAPPED}:")


class ScreenedRows:
    """Collects the screened-out rows (report lines, then numbers) in files next to the report while the CSV
    streams by; `finish` merges them into the contacts report."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lines_path = folder / ".screened-rows.csv"
        self.numbers_path = folder / "screened-out-numbers.txt"
        self._lines: IO[str] = open_private(self.lines_path)
        self._numbers: IO[str] = open_private(self.numbers_path)
        self._writer = csv.writer(self._lines)
        self.count = 0

    def add(self, row: int, problem: str, phone_as_written: str, cells: list[str], number: str) -> None:
        self._writer.writerow(safe_row([str(row), problem, phone_as_written, *cells]))
        self._numbers.write(number + "\n")
        self.count += 1

    def finish(self, report: Path, header: list[str]) -> tuple[Path | None, Path | None]:
        """(the contacts report, the exclusions file); each None when there is nothing in it."""
        self._lines.close()
        self._numbers.close()
        try:
            if not self.count:
                self.numbers_path.unlink(missing_ok=True)
                if report.exists():
                    _merge(report, self.lines_path, header)
                return (report if report.exists() else None), None
            _merge(report, self.lines_path, header)
            return report, self.numbers_path
        finally:
            self.lines_path.unlink(missing_ok=True)

    def discard(self) -> None:
        for f in (self._lines, self._numbers):
            f.close()
        self.lines_path.unlink(missing_ok=True)


def _merge(report: Path, screened: Path, header: list[str]) -> None:
    """report := its own rows (without an earlier screening's) merged by row number with `screened`'s."""
    head = safe_row(["row", "problem", "phone_as_written", *header])
    tmp = report.with_name(report.name + ".tmp")
    with screened.open(newline="", encoding="utf-8") as new, open_private(tmp) as out:
        writer = csv.writer(out)
        if report.exists():
            with report.open(newline="", encoding="utf-8") as old:
                rows = csv.reader(old)
                head = next(rows, head)
                writer.writerow(head)
                kept = (r for r in rows if r and not r[1].startswith(SCREENING_PROBLEMS))
                writer.writerows(heapq.merge(kept, csv.reader(new), key=_row_number))
        else:
            writer.writerow(head)
            writer.writerows(csv.reader(new))
    os.replace(tmp, report)


def _row_number(line: Iterable[Any]) -> int:
    first = next(iter(line), "")
    return int(first) if isinstance(first, str) and first.isdigit() else 0


def read_numbers(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if number := line.strip():
                yield number


class ExclusionsMissing(OSError):
    """The screening's file of left-out numbers is not on this worker's disk."""


def exclusions_of(path: str | None) -> frozenset[str]:
    """The numbers the upload leaves out (empty without a file). Raises ExclusionsMissing when the file the
    screening wrote cannot be read here (CAMPAIGN_REPORT_DIR not shared by the workers)."""
    if not path:
        return frozenset()
    try:
        return frozenset(read_numbers(Path(path)))
    except FileNotFoundError:
        raise ExclusionsMissing(
            "the ledger's list of screened-out numbers is not on this worker; every worker must share "
            "CAMPAIGN_REPORT_DIR (a shared volume)"
        ) from None
