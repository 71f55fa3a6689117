"""Rich renderings of a campaign's progress and result for the terminal. What a user copies (the workflow ID, the
reports' paths, the ID of the campaign a duplicate defers to) is printed below a table, one whole line each, never
folded into a cell (see copy_lines)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cli.copyable import BELOW, print_below
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
    """The rows that were not called; where their reports are is said below the table (copy_lines)."""
    if unusable or duplicates:
        table.add_row("rows not called", f"{unusable} unusable, {duplicates} duplicate numbers (pre-flight)")
    if report:
        table.add_row("contacts report", BELOW)
    if ringg_invalid:
        table.add_row(
            "rejected by Ringg", str(ringg_invalid) + (" (report: the path is below)" if ringg_report else "")
        )


def copy_lines(workflow_id: str, shown: CampaignProgress | CampaignResult) -> list[str]:
    """The values a user copies, whole, one a line: print them with soft_wrap so no terminal width cuts them."""
    lines = [f"workflow id: {workflow_id}"]
    if shown.contacts_report:
        lines.append(f"contacts report: {shown.contacts_report}")
    if shown.invalid_rows_report:
        lines.append(f"Ringg's invalid rows report: {shown.invalid_rows_report}")
    if isinstance(shown, CampaignResult) and shown.duplicate_of:
        lines.append(f"duplicate of: {shown.duplicate_of}")
    return lines


def progress_table(p: CampaignProgress) -> Table:
    table = Table(title=p.campaign_name, show_header=False, title_justify="left")
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


def result_table(r: CampaignResult) -> Table:
    table = Table(title=f"Result — {r.campaign_name}", show_header=False, title_justify="left")
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
        table.add_row("duplicate of", "the campaign below")
    for warning in r.warnings:
        table.add_row("warning", warning)
    for status, n in _ordered(r.calls_by_status):
        table.add_row(f"  {status}", str(n))
    table.add_row("calls", str(r.total_calls))
    if r.not_called:
        table.add_row("never called", f"{r.not_called} (window closed or stopped first; not failed calls)")
    return table


def print_shown(console: Console, workflow_id: str, shown: CampaignProgress | CampaignResult) -> None:
    """The table, then the values to copy below it, each whole on its own line whatever the terminal's width."""
    console.print(result_table(shown) if isinstance(shown, CampaignResult) else progress_table(shown))
    print_below(console, copy_lines(workflow_id, shown))
