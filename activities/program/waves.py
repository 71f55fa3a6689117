"""The program's contact files: the CSV split into its first waves (pilot, main; one per timezone), and the
contacts a later wave calls again (follow-ups, the rest of a paused wave), chosen from the exported history of
the earlier waves' calls. Files hold the CSV's own header and valid, unique rows (numbers in E.164)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contacts.rows import open_text, read_header, read_layout, unique_blocks
from activities.contacts.source import CHUNK, CsvUnreadable, contacts_failure, env_sources, open_csv
from activities.heartbeat import heartbeating
from activities.log_context import activity_log_context
from activities.reports import DEFAULT_REPORT_DIR, open_private, private_folder
from contract.errors import INVALID_CSV
from contract.number_types import NUMBER_TYPES
from contract.program import Phase
from contract.program_steps import PlanInput, PlanResult, SelectInput, SelectResult, WaveFile
from domain.contact_outcome import last_outcome, normalised_statuses, wants
from domain.contact_zones import zone_of
from domain.csv_limits import CsvLimitExceeded
from domain.csv_sources import CsvSources, SourceRefused
from domain.phones import PhoneNormalizer
from domain.program_rules import in_pilot, zone_slug

log = structlog.get_logger()

PROGRAMS = "programs"
MAX_ZONES = 200  # open files while splitting; more zones than this go to the default zone


def allow_program_files(sources: CsvSources, report_dir: Path) -> CsvSources:
    """`sources` plus the folder the program writes its wave files to (the worker's own files)."""
    own = (report_dir / PROGRAMS).resolve()
    return sources if own in sources.dirs else replace(sources, dirs=(*sources.dirs, own))


def program_folder(report_dir: Path, key: str) -> Path:
    """Where a program's wave files and outcome exports live: under the report folder, 0750."""
    return report_dir / PROGRAMS / key


class _Writers:
    """One CSV writer per wave id, created on first use, all closed on exit."""

    def __init__(self, folder: Path, header: list[str]) -> None:
        self._folder, self._header = folder, header
        self._files: dict[str, TextIO] = {}
        self._writers: dict[str, Any] = {}  # csv writers
        self.rows: dict[str, int] = {}
        self.meta: dict[str, tuple[Phase, str | None]] = {}

    def write(self, wave_id: str, phase: Phase, zone: str | None, cells: list[str]) -> None:
        writer = self._writers.get(wave_id)
        if writer is None:
            out = open_private(self._folder / f"{wave_id}.csv")
            self._files[wave_id] = out
            writer = self._writers[wave_id] = csv.writer(out)
            writer.writerow(self._header)
            self.rows[wave_id] = 0
            self.meta[wave_id] = (phase, zone)
        writer.writerow(cells)
        self.rows[wave_id] += 1

    def close(self) -> None:
        for out in self._files.values():
            out.close()

    def waves(self) -> list[WaveFile]:
        return [
            WaveFile(
                wave_id=w, phase=self.meta[w][0], zone=self.meta[w][1], path=str(self._folder / f"{w}.csv"), rows=n
            )
            for w, n in sorted(self.rows.items())
        ]


def _zoner(split: bool, default_zone: str) -> Callable[[str], str | None]:
    seen: set[str] = set()

    def zone(e164: str) -> str | None:
        if not split:
            return None
        found = zone_of(e164, default_zone)
        if found not in seen:
            if len(seen) >= MAX_ZONES:
                return default_zone
            seen.add(found)
        return found

    return zone


def _wave_id(phase_prefix: str, zone: str | None) -> str:
    return f"{phase_prefix}.{zone_slug(zone)}" if zone else phase_prefix


def _valid_rows(path: Path, inp_map: dict[str, str], phones: PhoneNormalizer) -> Iterator[tuple[list[str], list[str]]]:
    """(header, None) first, then (cells, [e164]) for every valid unique row, the number written in E.164."""
    with path.open("rb") as raw, open_text(io.BufferedReader(raw, CHUNK)) as text:
        layout = read_layout(read_header(text), inp_map)
        yield layout.header, []
        for checked in unique_blocks(text, layout, phones):
            for i, number in enumerate(checked.numbers):
                if number:
                    cells = checked.block.cells(i)
                    cells = (cells + [""] * layout.width)[: layout.width] if len(cells) < layout.width else cells
                    cells[layout.mobile_index] = number
                    yield cells, [number]


def split_contacts(src: Path, folder: Path, inp: PlanInput) -> PlanResult:
    """The first waves: pilot rows spread evenly over the file (pilot_rows of valid_rows), the rest main; each
    split by the number's timezone when asked."""
    phones = PhoneNormalizer(inp.country_code, inp.number_types)
    zone = _zoner(inp.split_zones, inp.default_zone)
    rows = _valid_rows(src, inp.variables_map, phones)
    header, _ = next(rows)
    writers = _Writers(folder, header)
    zones: dict[str, int] = {}
    index = 0
    try:
        for cells, (number,) in rows:
            z = zone(number)
            if z:
                zones[z] = zones.get(z, 0) + 1
            pilot = inp.pilot_rows > 0 and in_pilot(index, inp.valid_rows, inp.pilot_rows)
            phase: Phase = "pilot" if pilot else "main"
            writers.write(_wave_id(phase, z), phase, z, cells)
            index += 1
    finally:
        writers.close()
    report = _zones_report(folder, zones) if zones else None
    return PlanResult(folder=str(folder), waves=writers.waves(), zones=zones, contacts=index, report=report)


def _zones_report(folder: Path, zones: dict[str, int]) -> str:
    path = folder / "zones.csv"
    with open_private(path) as out:
        writer = csv.writer(out)
        writer.writerow(["timezone", "contacts"])
        for zone, count in sorted(zones.items(), key=lambda kv: (-kv[1], kv[0])):
            writer.writerow([zone, count])
    return str(path)


def _outcomes(files: list[str], phones: PhoneNormalizer) -> dict[str, tuple[str, str, bool]]:
    """E.164 number -> (status, sub_status, attempted) of its call, from the exported history (export CSV columns:
    number, status, sub_status, attempts, outcome). A number with several calls keeps the latest row."""
    found: dict[str, tuple[str, str, bool]] = {}
    for name in files:
        with open(name, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                number, problem = phones.normalize(row.get("number") or "")
                if problem is None:
                    attempted = (row.get("outcome") or "") != "not_called" and (row.get("attempts") or "0") != "0"
                    found[number] = (row.get("status") or "", row.get("sub_status") or "", attempted)
    return found


def select_contacts(inp: SelectInput) -> SelectResult:
    """Reads each source wave's file against its calls' outcomes and writes the contacts to call next. A number
    in several sources (a paused wave and its resume) is judged by its latest call and written once."""
    phones = PhoneNormalizer(inp.country_code, NUMBER_TYPES)  # the waves' files hold only callable numbers
    zone = _zoner(inp.split_zones, inp.default_zone)
    statuses = normalised_statuses(inp.statuses)
    outcomes: dict[str, tuple[str, str, bool]] = {}
    for source in inp.sources:
        outcomes.update(_outcomes(source.outcome_files, phones))
    result = SelectResult()
    writers: _Writers | None = None
    done: set[str] = set()
    try:
        for source in inp.sources:
            rows = _valid_rows(Path(source.csv_path), inp.variables_map, phones)
            header, _ = next(rows)
            writers = writers or _Writers(Path(inp.folder), header)
            for cells, (number,) in rows:
                if number in done:
                    continue
                done.add(number)
                result.considered += 1
                call = outcomes.get(number)
                outcome = last_outcome(call[0], call[1], attempted=call[2]) if call is not None else None
                if outcome in ("answered", "opted_out"):
                    result.final += 1
                if inp.mode == "not_called":
                    # No call row (Ringg never registered it) or a call cancelled before any attempt.
                    take = outcome is None or outcome == "not_called"
                else:
                    take = call is not None and wants(statuses, call[0], call[1], attempted=call[2])
                if take:
                    z = zone(number)
                    writers.write(_wave_id(inp.prefix, z), inp.phase, z, cells)
                    result.selected += 1
    finally:
        if writers is not None:
            writers.close()
    result.waves = writers.waves() if writers is not None else []
    return result


class ProgramActivities:
    """plan_waves and select_contacts; files go under `report_dir/programs/<key>/`."""

    def __init__(self, report_dir: Path = DEFAULT_REPORT_DIR, sources: CsvSources | None = None) -> None:
        self._report_dir = report_dir
        self._sources = sources or env_sources()

    @activity.defn
    async def plan_waves(self, inp: PlanInput) -> PlanResult:
        """Splits the campaign's CSV (already through pre-flight) into the program's first waves."""
        with activity_log_context():
            folder = program_folder(self._report_dir, inp.key).resolve()
            await asyncio.to_thread(private_folder, folder)
            not_started = "The program's waves were not planned"
            try:
                async with heartbeating(), open_csv(inp.csv_uri, self._sources) as path:
                    plan = await asyncio.to_thread(split_contacts, path, folder, inp)
            except (SourceRefused, CsvUnreadable, CsvLimitExceeded) as err:
                raise contacts_failure(err, not_started, inp.csv_uri) from None
            except (ValueError, csv.Error) as err:
                raise ApplicationError(
                    f"{not_started}: the CSV changed since pre-flight ({type(err).__name__})",
                    type=INVALID_CSV,
                    non_retryable=True,
                ) from None
            log.info("program_planned", waves=len(plan.waves), zones=len(plan.zones), contacts=plan.contacts)
            return plan

    @activity.defn
    async def select_contacts(self, inp: SelectInput) -> SelectResult:
        with activity_log_context():
            with contextlib.suppress(FileExistsError):
                await asyncio.to_thread(private_folder, Path(inp.folder))
            async with heartbeating():
                result = await asyncio.to_thread(select_contacts, inp)
            log.info("program_contacts_selected", mode=inp.mode, selected=result.selected, waves=len(result.waves))
            return result
