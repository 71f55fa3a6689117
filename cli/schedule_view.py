"""Rich renderings of campaign schedules for an operator in a hurry: what it does, what happened, what next."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rich.table import Table

from cli.copyable import BELOW, fits_inline
from client.schedule_report import ScheduleReport, ScheduleRow
from client.schedules import key_of_fire
from contract.schedules import WindowSpec

TIME_FORMAT = "%a %d/%m/%Y %H:%M:%S"


def local(moment: datetime, tz_name: str, fmt: str = TIME_FORMAT) -> str:
    try:
        return moment.astimezone(ZoneInfo(tz_name)).strftime(fmt)
    except (ValueError, KeyError):
        return moment.isoformat()


def window_text(window: WindowSpec) -> str:
    opens = "fire time" + (f" + {window.start_delay_minutes} min" if window.start_delay_minutes else "")
    if window.until is not None:
        return f"{opens} → {window.until} the same day"
    return f"{opens} → {window.hours:g} h later"


def span(delta: timedelta | None) -> str:
    if delta is None:
        return "server default (1 year)"
    minutes, seconds = divmod(int(delta.total_seconds()), 60)
    return f"{minutes} min" + (f" {seconds} s" if seconds else "") if minutes else f"{seconds} s"


def summary_table(report: ScheduleReport) -> Table:
    state = f"[yellow]PAUSED[/] — {report.note or 'no note'}" if report.paused else "[green]active[/]"
    table = Table(title=f"Schedule {report.schedule_id}", show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("state", state)
    table.add_row("fires", report.when)
    if report.invalid_spec:
        table.add_row("[red]invalid spec[/]", report.invalid_spec)
    table.add_row("policies", f"overlap {report.overlap}, catch-up window {span(report.catchup)}")
    if report.scheduled is not None:
        t = report.scheduled.template
        table.add_row("campaign", f"{t.campaign_name} (agent {t.agent_id}, flow {t.flow})")
        table.add_row("contacts", BELOW)
        table.add_row("window", window_text(report.scheduled.window))
    nexts = [local(n, report.timezone) for n in report.next_fires[:3]]
    table.add_row("next fires", ", ".join(nexts) if nexts else "none" + (" (paused)" if report.paused else ""))
    table.add_row(
        "so far",
        f"{report.fires_started} fired, {report.skipped_overlap} skipped (overlap), "
        f"{report.missed_catchup} missed (catch-up window), {report.buffer_dropped} dropped (buffer full)",
    )
    if report.running:
        table.add_row("running now", f"{len(report.running)} fire(s), below the table")
    return table


def summary_lines(report: ScheduleReport) -> list[str]:
    """The schedule's ID, its template's contacts file and the fires running now, whole, one a line."""
    lines = [f"schedule id: {report.schedule_id}"]
    if report.scheduled is not None:
        lines.append(f"contacts: {report.scheduled.template.csv_uri}")
    lines += [f"running now: {fire}" for fire in report.running]
    return lines


def fires_table(report: ScheduleReport) -> Table:
    """The recent fires, numbered: their workflow IDs follow the table whole (fire_lines), never folded in a cell."""
    table = Table(title=f"Recent fires ({report.timezone})", title_justify="left")
    table.add_column("#", no_wrap=True)
    table.add_column("fire time")
    table.add_column("status")
    table.add_column("outcome", overflow="fold")
    for number, row in enumerate(report.recent, start=1):
        status = f"[red]{row.status}[/]" if row.failed else row.status
        table.add_row(str(number), local(row.fire_time, report.timezone), status, row.outcome)
    return table


def fire_lines(report: ScheduleReport) -> list[str]:
    """Each recent fire's workflow ID, one whole line each (print with soft_wrap)."""
    return [f"fire {number}: {row.workflow_id}" for number, row in enumerate(report.recent, start=1)]


def next_steps(report: ScheduleReport) -> list[str]:
    sid = report.schedule_id
    steps: list[str] = []
    failed = [row for row in report.recent if row.failed]
    if failed:
        last = local(failed[-1].fire_time, report.timezone, "%Y-%m-%dT%H:%M:%S")
        steps.append(
            f"{len(failed)} recent fire(s) failed (reason above). Fix the cause, then re-fire a scheduled tick with "
            f"`starter.py schedule backfill {sid} --start {last}` (a tick whose campaign ran is never launched "
            f"again), or fire a new tick now with `starter.py schedule trigger {sid}`"
        )
    if report.skipped_overlap:
        steps.append(
            f"{report.skipped_overlap} fire(s) were skipped because the previous fire was still running "
            f"(overlap {report.overlap}); fire now anyway with "
            f"`starter.py schedule trigger {sid} --overlap allow_all`, or run a skipped scheduled tick with "
            f"`starter.py schedule backfill {sid} --start <its time>`"
        )
    if report.missed_catchup:
        steps.append(
            f"{report.missed_catchup} fire(s) were missed: Temporal was unavailable for longer than "
            f"the catch-up window ({span(report.catchup)}); backfill them if they are still wanted"
        )
    if report.paused:
        steps.append(f"paused: nothing fires until `starter.py schedule unpause {sid}`")
    for fire in report.running:
        steps.append(f"a fire is running; follow it with `starter.py watch {key_of_fire(sid, fire) or fire}`")
    return steps or ["nothing to do: the schedule is healthy"]


# Room the other columns need beside whole schedule IDs; narrower, the IDs go below the table.
OTHER_COLUMNS_WIDTH = 90


def schedules_table(rows: list[ScheduleRow], width: int) -> tuple[Table, list[str]]:
    """The table, and the lines to print below it: a schedule ID is never cut, so when the terminal is too narrow
    for whole IDs beside the rest, rows are numbered and the IDs follow, one a line."""
    widest = max((len(row.schedule_id) for row in rows), default=0)
    inline = fits_inline(width, widest, OTHER_COLUMNS_WIDTH)
    table = Table(title="Campaign schedules", title_justify="left")
    table.add_column("schedule" if inline else "#", no_wrap=True, min_width=widest if inline else None)
    for column in ("state", "fires", "next fire", "last fire"):
        table.add_column(column)
    below = []
    for number, row in enumerate(rows, start=1):
        state = "[yellow]paused[/]" if row.paused else "active"
        nxt = local(row.next_fire, row.timezone) if row.next_fire else "—"
        last = local(row.last_fire, row.timezone) if row.last_fire else "never"
        table.add_row(row.schedule_id if inline else str(number), state, row.when, nxt, last)
        if not inline:
            below.append(f"{number}  {row.schedule_id}")
    return table, below
