"""Pre-flight, before anything is sent to Ringg: the window in the campaign's timezone, then one streaming pass
over the CSV (scan_csv) that reports invalid and duplicate rows in a file for the CSV's owner."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
import functools
import hashlib
import io
import socket
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts.blocks import DEFAULT_LIMITS
from activities.contacts.rows import (
    CsvProblem,
    ProblemReport,
    RowCounts,
    checked_blocks,
    open_text,
    read_header,
    read_layout,
    sniff,
    sort_report,
)
from activities.contacts.source import CHUNK, CsvUnreadable, contacts_failure, env_sources, open_csv
from activities.heartbeat import heartbeating
from activities.log_context import activity_log_context
from activities.reports import DEFAULT_REPORT_DIR, contacts_report_path, open_private, private_folder
from contract.errors import INVALID_CSV, INVALID_REQUEST
from contract.number_types import DEFAULT_NUMBER_TYPES, NumberType
from contract.preflight import PreflightInput, PreflightResult
from domain.csv_limits import CsvLimitExceeded, CsvLimits
from domain.csv_sources import CsvSources, SourceRefused, shown
from domain.idempotency import derive_key
from domain.phones import PhoneNormalizer, dial_code, number_types_problem
from domain.window import window_problems

log = structlog.get_logger()


NUL_MESSAGE = "it contains NUL bytes, so it is binary data or UTF-16 text, not a CSV. Save it as 'CSV UTF-8'"


class _HashingReader(io.RawIOBase):
    """Feeds every byte read through sha256, so hashing costs no second pass, and refuses NUL bytes (which
    the csv module would take as text) and bytes beyond the size limit (a file that grew since it was checked)."""

    def __init__(self, raw: io.BufferedReader, limits: CsvLimits) -> None:
        self._raw = raw
        self._limits = limits
        self._left = limits.max_bytes
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)
        if n:
            self._left -= n
            if self._left < 0:
                raise self._limits.too_big()
            data = memoryview(buffer)[:n]
            self.digest.update(data)
            if b"\0" in data.tobytes():
                raise CsvProblem(NUL_MESSAGE)
        return n or 0


@dataclass
class CsvScan:
    columns: int = 0
    counts: RowCounts = field(default_factory=RowCounts)
    content_hash: str = ""


def scan_csv(
    path: Path,
    variables_map: dict[str, str],
    country_code: str,
    report: Path,
    limits: CsvLimits = DEFAULT_LIMITS,
    number_types: Sequence[NumberType] = DEFAULT_NUMBER_TYPES,
) -> CsvScan:
    """One pass: hashes the bytes, matches the header to variables_map, checks every row's number and writes
    the rows that cannot be called to `report` (removed again when there are none). Files with duplicate
    numbers get a second pass for the duplicated rows' cells. Raises CsvProblem, CsvLimitExceeded,
    UnicodeDecodeError or csv.Error on a file that cannot be used at all."""
    sniff(path)
    phones = PhoneNormalizer(country_code, number_types)
    with path.open("rb", buffering=0) as raw_file, open_private(report) as out:
        hashing = _HashingReader(raw_file, limits)  # type: ignore[arg-type]
        text = open_text(io.BufferedReader(hashing, CHUNK))
        layout = read_layout(read_header(text, limits), variables_map, limits)
        problems = ProblemReport(out, layout)
        for checked in checked_blocks(text, layout, phones):
            problems.add(checked)
        content_hash = hashing.digest.hexdigest()
        problems.finish(functools.partial(_after_header, path, limits))
    counts = problems.counts
    if not counts.rejected:
        report.unlink()
    elif counts.duplicate_rows:
        sort_report(report)
    return CsvScan(layout.width, counts, content_hash)


@contextlib.contextmanager
def _after_header(path: Path, limits: CsvLimits) -> Iterator[TextIO]:
    with path.open("rb") as raw, open_text(io.BufferedReader(raw, CHUNK)) as text:
        read_header(text, limits)
        yield text


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


class CsvActivities:
    """CSV work that needs no Ringg API call. Reports for the CSV's owner go under `report_dir/<key>/`."""

    def __init__(self, report_dir: Path = DEFAULT_REPORT_DIR, sources: CsvSources | None = None) -> None:
        self._report_dir = report_dir
        self._sources = sources or env_sources()

    @activity.defn
    async def preflight_csv(self, inp: PreflightInput) -> PreflightResult:
        with activity_log_context():
            not_started = f"Campaign {inp.campaign_name!r} was not started"
            # Checked here, with the real clock and the tz database, not in the deterministic workflow.
            problems = window_problems(
                inp.campaign_start_time, inp.campaign_end_time, inp.call_config, datetime.now(UTC)
            )
            try:
                dial_code(inp.country_code)
            except ValueError as err:
                problems.append(str(err))
            if (types_problem := number_types_problem(inp.number_types)) is not None:
                problems.append(types_problem)
            if problems:
                raise ApplicationError(
                    f"{not_started}: " + "; ".join(problems), type=INVALID_REQUEST, non_retryable=True
                )
            scan, report = await self._scan(inp, not_started)
            if scan.counts.data_rows == 0:
                raise ApplicationError(
                    f"{not_started}: the CSV {shown(inp.csv_uri)!r} has a header but no data rows.",
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
            report_path = await asyncio.to_thread(self._file_report, report, key) if scan.counts.rejected else None
            counts = scan.counts
            log.info(
                "csv_preflight_done",
                data_rows=counts.data_rows,
                unusable_rows=counts.unusable_rows,
                duplicate_rows=counts.duplicate_rows,
                columns=scan.columns,
            )
            return PreflightResult(
                data_rows=counts.data_rows,
                content_hash=scan.content_hash,
                idempotency_key=key,
                columns=scan.columns,
                valid_rows=counts.valid,
                unusable_rows=counts.unusable_rows,
                duplicate_rows=counts.duplicate_rows,
                first_problem_rows=counts.first_problem_rows or [],
                report_path=report_path,
                report_host=socket.gethostname() if report_path else None,
            )

    async def _scan(self, inp: PreflightInput, not_started: str) -> tuple[CsvScan, Path]:
        await asyncio.to_thread(self._report_dir.mkdir, parents=True, exist_ok=True)
        report = self._report_dir / f".preflight-{uuid.uuid4().hex}.csv"
        try:
            return await self._scan_into(inp, report, not_started), report
        except BaseException:
            report.unlink(missing_ok=True)
            raise

    async def _scan_into(self, inp: PreflightInput, report: Path, not_started: str) -> CsvScan:
        shown_uri = shown(inp.csv_uri)
        try:
            async with heartbeating(), open_csv(inp.csv_uri, self._sources) as path:
                try:
                    return await asyncio.to_thread(
                        scan_csv,
                        path,
                        inp.variables_map,
                        inp.country_code,
                        report,
                        self._sources.limits,
                        inp.number_types,
                    )
                except UnicodeDecodeError:
                    offset = await asyncio.to_thread(first_invalid_utf8_offset, path)
                    raise ApplicationError(
                        f"{not_started}: the CSV {shown_uri!r} is not UTF-8 text (first bad byte at file offset "
                        f"{offset}; Excel's 'CSV' is often Latin-1/Windows-1252). Save it as 'CSV UTF-8' and start "
                        "again.",
                        type=INVALID_CSV,
                        non_retryable=True,
                    ) from None
        except (SourceRefused, CsvUnreadable, CsvLimitExceeded) as err:
            raise contacts_failure(err, not_started, inp.csv_uri) from None
        except (CsvProblem, csv.Error) as err:
            # Our own words or the csv module's (which never quote the file): safe to show.
            raise ApplicationError(
                f"{not_started}: the CSV {shown_uri!r} cannot be used: {err}.", type=INVALID_CSV, non_retryable=True
            ) from None
        except ValueError as err:
            # Anything else a file makes the reader raise: its words might quote the file, so only its kind is shown.
            raise ApplicationError(
                f"{not_started}: the CSV {shown_uri!r} cannot be used ({type(err).__name__}).",
                type=INVALID_CSV,
                non_retryable=True,
            ) from None

    def _file_report(self, report: Path, key: str) -> str:
        dest = contacts_report_path(self._report_dir, key)
        private_folder(dest.parent)
        report.replace(dest)
        return str(dest.resolve())
