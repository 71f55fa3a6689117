"""Markdown shown in the Temporal UI for a program: its stage, the pilot's figures, each wave and the counts."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.program import PilotOutcome, ProgramProgress, ProgramRequest
    from contract.statuses import CALL_STATUS_ORDER

MAX_WAVE_ROWS = 40


def program_summary(req: ProgramRequest) -> str:
    return f"Ringg campaign program {req.campaign_name!r}"[:190]


def program_static_details(req: ProgramRequest) -> str:
    parts = []
    if req.pilot is not None:
        size = f"{req.pilot.rows} contacts" if req.pilot.rows else f"{req.pilot.share:.0%} of the contacts"
        parts.append(f"- pilot: {size}, approval {req.pilot.approve}")
    if req.windows is not None:
        days = ", ".join(req.windows.days) if req.windows.days else "every day"
        parts.append(f"- one wave per contact timezone, {days}")
    for rule in req.follow_up or []:
        parts.append(
            f"- follow-up after {rule.after:g} s for {', '.join(rule.statuses)}, up to {rule.max_waves} wave(s)"
        )
    return "\n".join([f"**Campaign program** {req.campaign_name}", "", f"- agent `{req.agent_id}`", *parts])


def pilot_lines(f: PilotOutcome) -> list[str]:
    lines = [
        f"| pilot contacts | {f.contacts} (dialled {f.dialled}) |",
        f"| connect rate | {f.connect_rate:.1%} ({f.connected} connected) |",
        f"| failure rate | {f.failure_rate:.1%} ({f.failed} failed) |",
        f"| cost | {f.cost:g} ({f.cost_per_call:g} per dialled contact) |",
    ]
    for sub, n in sorted(f.failures_by_sub_status.items(), key=lambda kv: -kv[1])[:8]:
        lines.append(f"| · failed {sub} | {n} |")
    return lines


def program_markdown(p: ProgramProgress) -> str:
    lines = [
        f"**Stage:** `{p.stage}`" + (f" — {p.message}" if p.message else ""),
        "",
        "| field | value |",
        "|---|---|",
        f"| contacts | {p.contacts} (unusable {p.unusable_rows}, duplicates {p.duplicate_rows}) |",
    ]
    if p.approval_deadline and p.stage == "awaiting approval":
        lines.append(f"| approve or reject by | {p.approval_deadline} |")
    if p.approval:
        lines.append(f"| approval | {p.approval} |")
    if p.pilot is not None:
        lines.extend(pilot_lines(p.pilot))
    if p.zones:
        zones = ", ".join(f"{z} {n}" for z, n in sorted(p.zones.items(), key=lambda kv: -kv[1])[:12])
        lines.append(f"| timezones | {zones} |")
    if p.calls.total:
        lines.append(f"| calls | {p.calls.total} |")
        for status in CALL_STATUS_ORDER:
            if p.calls.by_status.get(status):
                lines.append(f"| · {status} | {p.calls.by_status[status]} |")
    lines += ["", "| wave | contacts | status | calls | opens |", "|---|---|---|---|---|"]
    for w in p.waves[-MAX_WAVE_ROWS:]:
        calls = sum(w.calls_by_status.values())
        lines.append(f"| {w.wave_id} | {w.contacts} | {w.status} | {calls} | {w.opens_at or '—'} |")
    if p.export_file:
        lines.append(f"\nExport: `{p.export_file}`")
    return "\n".join(lines)
