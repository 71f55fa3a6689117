"""Rich rendering of an export's result: the summary report, then where the files are (whole, below the table)."""

from __future__ import annotations

from rich.table import Table

from cli.copyable import BELOW
from contract.export import ExportResult
from contract.statuses import CALL_STATUS_ORDER


def export_table(r: ExportResult) -> Table:
    s = r.summary
    table = Table(title=f"Export — list {r.list_id}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for fmt in r.files:
        table.add_row(fmt, BELOW)
    table.add_row("summary", BELOW)
    table.add_row("calls", f"{r.rows} ({r.pages} page(s) of call history)")
    rank = {status: i for i, status in enumerate(CALL_STATUS_ORDER)}
    for status in sorted(s.by_status, key=lambda st: (rank.get(st, len(rank)), st)):
        table.add_row(f"  {status}", str(s.by_status[status]))
        for sub, n in sorted(s.by_sub_status.get(status, {}).items(), key=lambda item: (-item[1], item[0])):
            table.add_row(f"    {sub}", str(n))
    table.add_row("total cost", f"{s.total_cost:g} credits")
    table.add_row("total duration", f"{s.total_duration_s:g} s")
    table.add_row("average duration", f"{s.avg_duration_s:g} s over {s.calls_with_duration} call(s) with a duration")
    return table


def export_lines(workflow_id: str, r: ExportResult) -> list[str]:
    """The export's workflow ID and its files' paths, whole, one a line."""
    files = [f"{fmt}: {where}" for fmt, where in r.files.items()]
    return [f"export workflow id: {workflow_id}", *files, f"summary: {r.summary_file}"]
