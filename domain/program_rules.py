"""A program's own rules: what makes its request valid, how its pilot is sized and judged, and the keys and
workflow IDs of the program and of each wave (derived, so a wave is launched at most once whatever fails)."""

from __future__ import annotations

import hashlib
import json

from contract.campaign import IDEMPOTENCY_KEY_PATTERN
from contract.export import ExportSummary
from contract.program import PilotOutcome, PilotSpec, ProgramRequest
from domain.contact_outcome import status_problems
from domain.contact_zones import day_problems, zone_problem

MAX_KEY = 128


def program_problems(req: ProgramRequest, *, window_required: bool = True) -> list[str]:
    """Every problem with the program fields at once (the campaign fields are checked by domain.validation).
    `window_required` false for a schedule's template, whose fires set the window."""
    problems: list[str] = []
    if req.pilot is None and req.windows is None and not req.follow_up:
        problems.append("a program needs at least one of pilot, windows, follow_up")
    if req.continued is not None:
        problems.append("continued is internal to CampaignWorkflow; a program request cannot set it")
    if req.pilot is not None:
        problems.extend(_pilot_problems(req.pilot))
    if req.windows is not None:
        if req.windows.default_zone is not None:
            problem = zone_problem(req.windows.default_zone, "windows.default_zone")
            if problem:
                problems.append(problem)
        if req.windows.days is not None:
            problems.extend(day_problems(req.windows.days))
        if window_required and not (req.campaign_start_time and req.campaign_end_time):
            problems.append("windows: per_contact_timezone needs campaign_start_time and campaign_end_time")
    for i, rule in enumerate(req.follow_up or []):
        problems.extend(status_problems(rule.statuses, f"follow_up[{i}].statuses"))
    return problems


def _pilot_problems(pilot: PilotSpec) -> list[str]:
    problems: list[str] = []
    if (pilot.rows is None) == (pilot.share is None):
        problems.append("pilot needs exactly one of rows (a number of contacts) or share (0 < share < 1)")
    thresholds = (pilot.min_connect_rate, pilot.max_failure_rate, pilot.max_cost_per_call)
    if pilot.approve == "auto" and all(t is None for t in thresholds):
        problems.append(
            "pilot.approve auto needs at least one threshold: min_connect_rate, max_failure_rate, max_cost_per_call"
        )
    return problems


def pilot_rows(pilot: PilotSpec, valid_rows: int) -> int:
    """How many contacts the pilot calls: at least one, and always fewer than all (some are left for the rest)."""
    wanted = pilot.rows if pilot.rows is not None else round(valid_rows * (pilot.share or 0.0))
    return max(1, min(wanted, valid_rows - 1)) if valid_rows > 1 else valid_rows


def in_pilot(index: int, valid_rows: int, pilot: int) -> bool:
    """Row `index` (0-based among the valid rows) is in a pilot of `pilot` rows spread evenly over the file."""
    return (index + 1) * pilot // valid_rows > index * pilot // valid_rows


def pilot_verdict(pilot: PilotSpec, outcome: PilotOutcome) -> tuple[bool, str]:
    """auto approval: (approved, why), naming each threshold and the figure it was held to."""
    failed: list[str] = []
    met: list[str] = []
    checks = (
        ("connect rate", outcome.connect_rate, pilot.min_connect_rate, "≥"),
        ("failure rate", outcome.failure_rate, pilot.max_failure_rate, "≤"),
        ("cost per call", outcome.cost_per_call, pilot.max_cost_per_call, "≤"),
    )
    for name, value, limit, sign in checks:
        if limit is None:
            continue
        ok = value >= limit if sign == "≥" else value <= limit
        (met if ok else failed).append(f"{name} {value:.3g} {sign if ok else ('<' if sign == '≥' else '>')} {limit:g}")
    if outcome.dialled == 0:
        return False, "no pilot contact was dialled, so the thresholds cannot be judged"
    if failed:
        return False, "thresholds not met: " + "; ".join(failed)
    return True, "thresholds met: " + "; ".join(met)


def program_key(content_hash: str, req: ProgramRequest) -> str:
    """The program's key: given, or derived from the CSV's bytes, the campaign's identity and the program fields."""
    if req.idempotency_key:
        return req.idempotency_key
    material = json.dumps(
        [
            content_hash,
            req.agent_id,
            req.campaign_name.strip(),
            req.campaign_start_time,
            req.campaign_end_time,
            req.model_dump(mode="json", include={"pilot", "windows", "follow_up"}),
        ],
        separators=(",", ":"),
        sort_keys=True,
    )
    return "pg-" + hashlib.sha256(material.encode()).hexdigest()[:40]


def wave_key(key: str, wave_id: str) -> str:
    """A wave's idempotency key: the program's key and the wave's identity, hashed when that is too long."""
    joined = f"{key}.{wave_id}"
    if len(joined) <= MAX_KEY and IDEMPOTENCY_KEY_PATTERN.fullmatch(joined):
        return joined
    return f"{key[:60]}.w-" + hashlib.sha256(joined.encode()).hexdigest()[:40]


def program_workflow_id(key: str) -> str:
    return f"program-{key}"


def zone_slug(zone: str) -> str:
    """A zone in a wave id: "America/New_York" -> "America-New_York"."""
    return "".join(c if c.isalnum() or c in "_-" else "-" for c in zone)[:60]


def wave_figures(summary: ExportSummary, contacts: int) -> PilotOutcome:
    """A wave's figures from the export summary of its calls: dialled = calls minus those never dialled."""
    dialled = max(0, summary.total_calls - summary.not_called)
    connected = summary.by_status.get("completed", 0) + summary.by_status.get("forwarded", 0)
    failed = summary.by_status.get("failed", 0) + summary.by_status.get("error", 0)
    subs: dict[str, int] = {}
    for status in ("failed", "error"):
        for sub, n in summary.by_sub_status.get(status, {}).items():
            subs[sub or "(none)"] = subs.get(sub or "(none)", 0) + n
    return _rates(
        PilotOutcome(
            contacts=contacts,
            dialled=dialled,
            connected=connected,
            failed=failed,
            failures_by_sub_status=subs,
            cost=round(summary.total_cost, 6),
        )
    )


def combined(figures: list[PilotOutcome]) -> PilotOutcome:
    total = PilotOutcome()
    for f in figures:
        total.contacts += f.contacts
        total.dialled += f.dialled
        total.connected += f.connected
        total.failed += f.failed
        total.cost = round(total.cost + f.cost, 6)
        for sub, n in f.failures_by_sub_status.items():
            total.failures_by_sub_status[sub] = total.failures_by_sub_status.get(sub, 0) + n
    return _rates(total)


def _rates(f: PilotOutcome) -> PilotOutcome:
    if f.dialled:
        f.connect_rate = round(f.connected / f.dialled, 4)
        f.failure_rate = round(f.failed / f.dialled, 4)
        f.cost_per_call = round(f.cost / f.dialled, 6)
    return f
