"""`watch`'s live view: a header with where the campaign is, then one progress bar per call status and an
overall "finished" bar with its rate and time left, all against the contacts Ringg accepted."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from contract.campaign import CampaignProgress
from contract.statuses import CALL_STATUS_ORDER
from workflows.details import screened_out

PENDING = ("registered", "ongoing", "retry")
STYLES = {
    "completed": "green",
    "failed": "red",
    "error": "red",
    "cancelled": "yellow",
    "registered": "grey50",
    "ongoing": "cyan",
    "retry": "magenta",
}


def header(workflow_id: str, p: CampaignProgress) -> Table:
    table = Table(title=f"{p.campaign_name} — {workflow_id}", show_header=False, title_justify="left", box=None)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("stage", p.stage + (f" — {p.message}" if p.message else ""))
    table.add_row("list id", f"{p.list_id or '—'} ({p.flow or '—'} flow, Ringg: {p.ringg_status or '—'})")
    if p.flow_note:
        table.add_row("flow", p.flow_note)
    if p.chunks:
        table.add_row("chunk lists", f"{len(p.list_ids)} of {p.chunks} saved and launched")
    rows = f"{p.data_rows if p.data_rows is not None else '—'} rows, {p.contacts if p.contacts is not None else '—'}"
    table.add_row("contacts", rows + " accepted by Ringg")
    if p.upload is not None:
        table.add_row("upload", p.upload.describe())
    if p.unusable_rows or p.duplicate_rows:
        table.add_row("not called", f"{p.unusable_rows} unusable, {p.duplicate_rows} duplicates: {p.contacts_report}")
    if p.suppressed_rows or p.capped_rows:
        table.add_row("left out (ledger)", screened_out(p.suppressed_rows, p.capped_rows))
    if p.not_called is not None:
        table.add_row("never called", f"{p.not_called} contacts (window closed or stopped first; not failed calls)")
    if p.missing_credits is not None:
        table.add_row("credits", f"missing {p.missing_credits:g} (required {p.required_credits:g})")
    for warning in p.warnings:
        table.add_row("warning", warning)
    table.add_row("polls", f"{p.polls} (last {p.updated_at or '—'})")
    if p.ringg_budget is not None:
        table.add_row("Ringg budget", p.ringg_budget.describe())
    return table


class _FinishedTimeLeft(TimeRemainingColumn):
    """Time left only on the "finished" bar: a status's count is not heading for the total."""

    def render(self, task: Task) -> Text:
        return super().render(task) if task.fields.get("eta") else Text("")


class CampaignView:
    """Keeps the bars between updates, so rich can show each one's rate and time left."""

    def __init__(self, workflow_id: str) -> None:
        self._workflow_id = workflow_id
        self._bars = Progress(
            TextColumn("{task.description:>10}"),
            BarColumn(bar_width=40),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            _FinishedTimeLeft(),
        )
        self._finished = self._bars.add_task("finished", total=None, eta=True)
        self._tasks: dict[str, TaskID] = {}

    def render(self, p: CampaignProgress) -> RenderableType:
        calls = p.calls.by_status
        total = p.contacts or p.calls.total or None
        finished = p.calls.total - sum(calls.get(s, 0) for s in PENDING)
        self._bars.update(self._finished, total=total, completed=finished)
        seen = set(calls) | set(self._tasks)
        known = [s for s in CALL_STATUS_ORDER if s in seen]
        for status in known + sorted(seen - set(known)):
            if status not in self._tasks:
                style = STYLES.get(status, "white")
                self._tasks[status] = self._bars.add_task(f"[{style}]{status}[/]", total=total)
            self._bars.update(self._tasks[status], total=total, completed=calls.get(status, 0))
        return Group(header(self._workflow_id, p), self._bars.get_renderable())
