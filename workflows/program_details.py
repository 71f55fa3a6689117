"""Markdown shown in the Temporal UI for a program: its stage, the pilot's figures, each wave and the counts."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contract.program import PilotOutcome, ProgramProgress, ProgramRequest, WaveState
    from contract.statuses import CALL_STATUS_ORDER

MAX_WAVE_ROWS = 40
MAX_SUB_STATUSES = 8


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
    """The pilot's figures as a list: the UI renders Markdown tables without cell padding."""
    failures = sorted(f.failures_by_sub_status.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_SUB_STATUSES]
    lines = [
        f"**Pilot:** {f.contacts} contacts, {f.dialled} dialled",
        "",
        f"- connect rate **{f.connect_rate:.1%}** ({f.connected} connected)",
        f"- failure rate **{f.failure_rate:.1%}** ({f.failed} failed)",
    ]
    if failures:
        lines.append("- failures by sub-status: " + ", ".join(f"{sub} {n}" for sub, n in failures))
    lines.append(f"- cost **{f.cost:g}** ({f.cost_per_call:.4g} per dialled contact)")
    return lines


def wave_line(w: WaveState) -> str:
    calls = sum(w.calls_by_status.values())
    opens = f", opens {w.opens_at}" if w.opens_at and w.status in ("waiting", "planned", "held") else ""
    return f"- `{w.wave_id}`: {w.contacts} contacts, {w.status}" + (f", {calls} calls" if calls else "") + opens


def program_markdown(p: ProgramProgress) -> str:
    """The program's current details: the stage, what an operator must decide, the pilot, the counts, the waves."""
    lines = [f"**Stage:** `{p.stage}`" + (f" — {p.message}" if p.message else ""), ""]
    facts = []
    if p.approval_deadline and p.stage == "awaiting approval":
        facts.append(f"- **approve or reject by** {p.approval_deadline}")
    if p.approval:
        facts.append(f"- approval: {p.approval}")
    facts.append(f"- contacts: {p.contacts} (unusable {p.unusable_rows}, duplicates {p.duplicate_rows})")
    if p.zones:
        zones = ", ".join(f"{z} {n}" for z, n in sorted(p.zones.items(), key=lambda kv: (-kv[1], kv[0]))[:12])
        facts.append(f"- timezones: {zones}")
    if p.calls.total:
        counts = ", ".join(f"{s} {p.calls.by_status[s]}" for s in CALL_STATUS_ORDER if p.calls.by_status.get(s))
        facts.append(f"- calls: {p.calls.total} ({counts})")
    lines += [*facts, ""]
    if p.pilot is not None:
        lines += [*pilot_lines(p.pilot), ""]
    shown = f" (the last {MAX_WAVE_ROWS} of {len(p.waves)})" if len(p.waves) > MAX_WAVE_ROWS else ""
    lines += [f"**Waves:**{shown}", "", *(wave_line(w) for w in p.waves[-MAX_WAVE_ROWS:])]
    if p.export_file:
        lines += ["", f"Export: `{p.export_file}`"]
    return "\n".join(lines)
