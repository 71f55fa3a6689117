"""The program's one export: every wave's exported calls in one CSV, with a `wave` column first."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import structlog
from temporalio import activity

from activities.export.rows import COLUMNS
from activities.log_context import activity_log_context
from activities.reports import open_private
from contract.program_steps import MergeInput, MergeResult

log = structlog.get_logger()

EXPORT_NAME = "program-calls.csv"


def merge_exports(inp: MergeInput) -> MergeResult:
    """Copies each wave's rows (already formula-safe: written by the export) under the one header; written to a
    staging name and renamed, so a reader never sees half a file."""
    folder = Path(inp.folder)
    staged, final = folder / f".{EXPORT_NAME}.part", folder / EXPORT_NAME
    rows = 0
    with open_private(staged) as out:
        writer = csv.writer(out)
        writer.writerow(["wave", *COLUMNS])
        for wave in inp.waves:
            for name in wave.outcome_files:
                with open(name, encoding="utf-8", newline="") as f:
                    reader = csv.reader(f)
                    next(reader, None)
                    for row in reader:
                        writer.writerow([wave.wave_id, *row])
                        rows += 1
    staged.replace(final)
    return MergeResult(path=str(final), rows=rows)


@activity.defn
async def merge_program_export(inp: MergeInput) -> MergeResult:
    with activity_log_context():
        result = await asyncio.to_thread(merge_exports, inp)
        log.info("program_export_written", rows=result.rows, waves=len(inp.waves))
        return result
