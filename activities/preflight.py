"""Pre-flight: one streaming pass over the CSV that counts data rows, checks the mapped columns exist and
hashes the bytes, before anything is sent to Ringg."""

from __future__ import annotations

import asyncio
import codecs
import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.csv_source import CHUNK, CsvUnreadable, open_csv
from activities.errors import INVALID_CSV, INVALID_REQUEST
from activities.heartbeat import heartbeating
from campaign.idempotency import derive_key
from campaign.steps import PreflightInput, PreflightResult
from campaign.window import window_problems

log = structlog.get_logger()


class _HashingReader(io.RawIOBase):
    """Feeds every byte read through sha256, so hashing costs no second pass."""

    def __init__(self, raw: io.BufferedReader) -> None:
        self._raw = raw
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)
        if n:
            self.digest.update(memoryview(buffer)[:n])
        return n or 0


@dataclass
class CsvScan:
    headers: list[str] = field(default_factory=list)
    data_rows: int = 0
    content_hash: str = ""


def scan_csv(path: Path) -> CsvScan:
    """Counts non-blank data rows and hashes the file; raises ValueError/UnicodeDecodeError on bad input."""
    scan = CsvScan()
    with path.open("rb", buffering=0) as raw_file:
        hashing = _HashingReader(raw_file)  # type: ignore[arg-type]
        text = io.TextIOWrapper(io.BufferedReader(hashing, CHUNK), encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            raise ValueError("the file is empty")
        scan.headers = [h.strip() for h in header]
        # Blank rows (empty or whitespace-only cells) are not contacts; the cheap C-level test first.
        scan.data_rows = sum(1 for row in reader if any(row) and (row[0].strip() or any(c.strip() for c in row)))
        scan.content_hash = hashing.digest.hexdigest()
    return scan


def first_invalid_utf8_offset(path: Path) -> int | None:
    """Where decoding first fails, in bytes from the start of the file (only computed on failure)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    consumed = 0  # bytes fed to the decoder before this chunk
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            pending = len(decoder.getstate()[0])  # undecoded tail of earlier chunks, re-read with this one
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as err:
                return consumed - pending + err.start
            if not chunk:
                return None
            consumed += len(chunk)


def missing_columns(headers: list[str], variables_map: dict[str, str]) -> list[str]:
    present = set(headers)
    return [column for column in dict.fromkeys(variables_map.values()) if column.strip() not in present]


class CsvActivities:
    """CSV work that needs no Ringg API call."""

    @activity.defn
    async def preflight_csv(self, inp: PreflightInput) -> PreflightResult:
        with structlog.contextvars.bound_contextvars(workflow_id=activity.info().workflow_id, activity="preflight_csv"):
            # Checked here, with the real clock and the tz database, not in the deterministic workflow.
            window = window_problems(inp.campaign_start_time, inp.campaign_end_time, inp.call_config, datetime.now(UTC))
            if window:
                raise ApplicationError(
                    f"Campaign {inp.campaign_name!r} was not started: " + "; ".join(window),
                    type=INVALID_REQUEST,
                    non_retryable=True,
                )
            try:
                async with heartbeating(), open_csv(inp.csv_uri) as path:
                    try:
                        scan = await asyncio.to_thread(scan_csv, path)
                    except UnicodeDecodeError:
                        offset = await asyncio.to_thread(first_invalid_utf8_offset, path)
                        raise ApplicationError(
                            f"The CSV {inp.csv_uri!r} is not UTF-8 text (first bad byte at file offset {offset}). "
                            "Re-export it as CSV UTF-8 and start again.",
                            type=INVALID_CSV,
                            non_retryable=True,
                        ) from None
            except CsvUnreadable as err:
                raise ApplicationError(str(err), type=INVALID_CSV, non_retryable=True) from None
            except (ValueError, csv.Error) as err:
                raise ApplicationError(
                    f"The CSV {inp.csv_uri!r} cannot be used: {err}.", type=INVALID_CSV, non_retryable=True
                ) from None
            missing = missing_columns(scan.headers, inp.variables_map)
            if missing:
                raise ApplicationError(
                    f"The CSV {inp.csv_uri!r} has no column {', '.join(repr(c) for c in missing)} "
                    f"(mapped in variables_map). Its columns are: {', '.join(repr(h) for h in scan.headers)}. "
                    "Fix variables_map or the CSV header and start again.",
                    type=INVALID_CSV,
                    non_retryable=True,
                )
            if scan.data_rows == 0:
                raise ApplicationError(
                    f"The CSV {inp.csv_uri!r} has a header but no data rows.",
                    type=INVALID_CSV,
                    non_retryable=True,
                )
            key = inp.idempotency_key or derive_key(
                scan.content_hash,
                inp.agent_id,
                inp.campaign_name,
                inp.campaign_start_time,
                inp.campaign_end_time,
            )
            log.info("csv_preflight_passed", data_rows=scan.data_rows, columns=len(scan.headers))
            return PreflightResult(
                data_rows=scan.data_rows,
                content_hash=scan.content_hash,
                idempotency_key=key,
                headers=scan.headers,
            )
