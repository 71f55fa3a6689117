"""Where the files for a CSV's owner go (one folder per idempotency key, on the worker's disk), and how they are
written: 0640 files in 0750 folders, every cell formula-safe."""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import TextIO

from domain.cell_safety import safe_row

DEFAULT_REPORT_DIR = Path("data/reports")
# Reports hold phone numbers: readable by the worker's user and group (shared storage), no one else.
FILE_MODE = 0o640
FOLDER_MODE = 0o750


def contacts_report_path(report_dir: Path, key: str) -> Path:
    """Pre-flight's report: each row that cannot be called, with its problem."""
    return report_dir / key / "contacts-report.csv"


def invalid_rows_path(report_dir: Path, key: str, list_id: str) -> Path:
    """The rows Ringg itself invalidated, from Ringg's CSV."""
    return report_dir / key / f"ringg-invalid-rows-{list_id}.csv"


def private_folder(path: Path) -> Path:
    """Creates `path` (and missing parents) as 0750, whatever the umask; an existing folder is tightened too."""
    path.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    os.chmod(path, FOLDER_MODE)
    return path


def open_private(path: Path) -> TextIO:
    """A text file for CSV writing, created (or truncated) as 0640 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.fchmod(fd, FILE_MODE)
    return io.TextIOWrapper(io.FileIO(fd, "w"), encoding="utf-8", newline="")


def write_safe_copy(src: Path, dest: Path) -> int:
    """Rewrites a CSV from elsewhere (Ringg's invalid rows) for a person: each cell formula-safe, 0640.
    Undecodable bytes are replaced, not fatal: the file is for reading. Returns the rows written."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    rows = 0
    with src.open(encoding="utf-8", errors="replace", newline="") as raw, open_private(dest) as out:
        writer = csv.writer(out)
        for row in csv.reader(raw):
            writer.writerow(safe_row(row))
            rows += 1
    return rows
