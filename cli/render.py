"""Rich renderings of a campaign's progress and result for the terminal."""

from __future__ import annotations

from rich.table import Table

from contract.campaign import CampaignProgress, CampaignResult
from contract.statuses import CALL_STATUS_ORDER
from workflows.details import screened_out


def _ordered(counts: dict[str, int]) -> list[tuple[str, int]]:
    known = [(s, counts[s]) for s in CALL_STATUS_ORDER if s in counts]
    return known + sorted((s, n) for s, n in counts.items() if s not in CALL_STATUS_ORDER)


def _flow(flow: str | None, note: str) -> str:
    return (flow or "—") + (f" ({note})" if note else "")


def _row_reports(
    table: Table, unusable: int, duplicates: int, report: str | None, ringg_invalid: int, ringg_report: str | None
) -> None:
    """The rows that were not called and where their reports are (pre-flight's, then Ringg's)."""
    if unusable or duplicates:
        table.add_row("rows not called", f"{unusable} unusable, {duplicates} duplicate numbers (pre-flight)")
    if report:
        table.add_row("contacts report", report)
    if ringg_invalid:
        table.add_row("rejected by Ringg", str(ringg_invalid) + (f" (report: {ringg_report})" if ringg_report else ""))


def progress_table(workflow_id: str, p: CampaignProgress) -> Table:
    table = Table(title=f"{p.campaign_name} — {workflow_id}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("stage", p.stage + (f" — {p.message}" if p.message else ""))
    table.add_row("list id", p.list_id or "—")
    table.add_row("flow", _flow(p.flow, p.flow_note))
    if p.chunks:
        table.add_row("chunk lists", f"{len(p.list_ids)} of {p.chunks}: {', '.join(p.list_ids) or '—'}")
    table.add_row("Ringg status", p.ringg_status or "—")
    table.add_row("rows / contacts", f"{p.data_rows if p.data_rows is not None else '—'} / {p.contacts or '—'}")
    if p.upload is not None:
        table.add_row("upload", p.upload.describe())
    _row_reports(table, p.unusable_rows, p.duplicate_rows, p.contacts_report, p.invalid_rows, p.invalid_rows_report)
    if p.suppressed_rows or p.capped_rows:
        table.add_row("left out (ledger)", screened_out(p.suppressed_rows, p.capped_rows))
    for warning in p.warnings:
        table.add_row("warning", warning)
    if p.missing_credits is not None:
        table.add_row("credits missing", f"{p.missing_credits:g}")
    total = p.calls.total
    for status, n in _ordered(p.calls.by_status):
        bar = "█" * int(30 * n / total) if total else ""
        table.add_row(f"  {status}", f"{n:>8}  {bar}")
    table.add_row("calls", str(total))
    if p.not_called is not None:
        table.add_row("never called", f"{p.not_called} (window closed or stopped first; not failed calls)")
    table.add_row("polls", str(p.polls))
    if p.ringg_budget is not None:
        table.add_row("Ringg budget", p.ringg_budget.describe())
    return table


def result_table(workflow_id: str, r: CampaignResult) -> Table:
    table = Table(title=f"Result — {r.campaign_name} ({workflow_id})", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("status", r.status)
    table.add_row("list id", r.list_id or "—")
    table.add_row("flow", _flow(r.flow, r.flow_note))
    if r.chunks:
        table.add_row("chunk lists", f"{len(r.list_ids)} of {r.chunks}: {', '.join(r.list_ids) or '—'}")
    table.add_row("data rows", str(r.data_rows))
    _row_reports(table, r.unusable_rows, r.duplicate_rows, r.contacts_report, r.invalid_rows, r.invalid_rows_report)
    if r.suppressed_rows or r.capped_rows:
        table.add_row("left out (ledger)", screened_out(r.suppressed_rows, r.capped_rows))
    if r.duplicate_of:
        table.add_row("duplicate of", r.duplicate_of)
    for warning in r.warnings:
        table.add_row("warning", warning)
    for status, n in _ordered(r.calls_by_status):
        table.add_row(f"  {status}", str(n))
    table.add_row("calls", str(r.total_calls))
    if r.not_called:
        table.add_row("never called", f"{r.not_called} (window closed or stopped first; not failed calls)")
    return table
