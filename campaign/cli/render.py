"""Rich renderings of a campaign's progress and result for the terminal."""

from __future__ import annotations

from rich.table import Table

from campaign.models import CALL_STATUS_ORDER, CampaignProgress, CampaignResult


def _ordered(counts: dict[str, int]) -> list[tuple[str, int]]:
    known = [(s, counts[s]) for s in CALL_STATUS_ORDER if s in counts]
    return known + sorted((s, n) for s, n in counts.items() if s not in CALL_STATUS_ORDER)


def progress_table(workflow_id: str, p: CampaignProgress) -> Table:
    table = Table(title=f"{p.campaign_name} — {workflow_id}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("stage", p.stage + (f" — {p.message}" if p.message else ""))
    table.add_row("list id", p.list_id or "—")
    table.add_row("flow", p.flow or "—")
    table.add_row("Ringg status", p.ringg_status or "—")
    table.add_row("rows / contacts", f"{p.data_rows if p.data_rows is not None else '—'} / {p.contacts or '—'}")
    if p.invalid_rows:
        table.add_row("invalid rows", str(p.invalid_rows))
    for warning in p.warnings:
        table.add_row("warning", warning)
    if p.missing_credits is not None:
        table.add_row("credits missing", f"{p.missing_credits:g}")
    total = p.calls.total
    for status, n in _ordered(p.calls.by_status):
        bar = "█" * int(30 * n / total) if total else ""
        table.add_row(f"  {status}", f"{n:>8}  {bar}")
    table.add_row("calls", str(total))
    table.add_row("polls", str(p.polls))
    return table


def result_table(workflow_id: str, r: CampaignResult) -> Table:
    table = Table(title=f"Result — {r.campaign_name} ({workflow_id})", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("status", r.status)
    table.add_row("list id", r.list_id or "—")
    table.add_row("flow", r.flow or "—")
    table.add_row("data rows", str(r.data_rows))
    if r.invalid_rows:
        table.add_row(
            "invalid rows",
            str(r.invalid_rows) + (f" (report: {r.invalid_rows_report})" if r.invalid_rows_report else ""),
        )
    if r.duplicate_of:
        table.add_row("duplicate of", r.duplicate_of)
    for warning in r.warnings:
        table.add_row("warning", warning)
    for status, n in _ordered(r.calls_by_status):
        table.add_row(f"  {status}", str(n))
    table.add_row("calls", str(r.total_calls))
    return table
