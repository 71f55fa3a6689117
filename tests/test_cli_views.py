"""The terminal views: `watch`'s progress bars, `status`, the UI's details, `list`'s visibility query, and IDs and
paths printed whole below the tables at a narrow width (no server needed)."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from cli.copyable import print_below
from cli.export_render import export_lines, export_table
from cli.live_view import CampaignView
from cli.program_cmds import program_lines, program_table
from cli.render import copy_lines, progress_table, result_table
from cli.schedule_view import schedules_table, summary_lines, summary_table
from client.listing import ListProblem, visibility_query
from client.schedule_report import ScheduleReport, ScheduleRow
from contract.campaign import CallCounts, CampaignProgress, CampaignResult, RinggBudgetView
from contract.export import ExportResult
from contract.program import ProgramProgress
from workflows.details import progress_markdown


def rendered(view: CampaignView, progress: CampaignProgress) -> str:
    console = Console(record=True, width=140, color_system=None)
    console.print(view.render(progress))
    return console.export_text()


def progress(by_status: dict[str, int], **extra: object) -> CampaignProgress:
    calls = CallCounts(by_status=by_status, total=sum(by_status.values()))
    data: dict[str, object] = {"stage": "monitoring", "campaign_name": "Renewals", "contacts": 1000, "calls": calls}
    return CampaignProgress.model_validate({**data, **extra})


def test_watch_shows_a_bar_per_status_and_the_finished_share() -> None:
    view = CampaignView("campaign-ik-1")
    first = rendered(view, progress({"registered": 700, "ongoing": 100, "completed": 150, "failed": 50}))
    assert "finished" in first and "200/1000" in first
    assert "completed" in first and "150/1000" in first and "registered" in first and "700/1000" in first

    later = rendered(view, progress({"completed": 900, "failed": 100}, unusable_rows=3, contacts_report="/r.csv"))
    assert "1000/1000" in later and "900/1000" in later
    registered = next(line for line in later.splitlines() if "registered" in line)
    assert re.search(r"\s0/1000", registered), f"a status that emptied must show 0, not its last count: {registered}"
    assert "3 unusable" in later and "/r.csv" in later


def test_list_queries_campaigns_one_row_each_with_filters() -> None:
    query = visibility_query(stage="monitoring", name_prefix="Diwali", status="running", extra='AgentId = "a1"')
    assert query == (
        '(WorkflowType = "CampaignWorkflow" OR WorkflowType = "CampaignProgramWorkflow") AND '
        'ExecutionStatus != "ContinuedAsNew" AND CampaignStage = "monitoring" '
        'AND CampaignName STARTS_WITH "Diwali" AND ExecutionStatus = "Running" AND (AgentId = "a1")'
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"stage": 'x" OR 1=1'}, "double quote"), ({"status": "done"}, "--status must be one of")],
)
def test_list_refuses_filters_it_cannot_quote(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ListProblem, match=message):
        visibility_query(**kwargs)


def test_watch_status_and_the_ui_say_which_flow_ran_and_why() -> None:
    note = "large flow not enabled on this workspace: standard flow in 3 chunks"
    lists = ["list-a", "list-b", "list-c"]
    p = progress({"completed": 10}, flow="standard", flow_note=note, list_ids=lists, list_id="list-a", chunks=3)
    watched = rendered(CampaignView("campaign-ik-1"), p)
    assert note in watched and "3 of 3 saved and launched" in watched

    console = Console(record=True, width=200, color_system=None)
    console.print(progress_table(p))
    result = CampaignResult(
        campaign_name="Renewals",
        idempotency_key="ik-1",
        list_id="list-a",
        flow="standard",
        status="completed",
        list_ids=lists,
        chunks=3,
        flow_note=note,
    )
    console.print(result_table(result))
    shown = console.export_text()
    assert shown.count(f"standard ({note})") == 2 and shown.count("3 of 3: list-a, list-b, list-c") == 2

    details = progress_markdown(p)
    assert f"| flow | standard — {note} |" in details
    assert "| chunk lists | 3 of 3 saved: `list-a`, …, `list-c` |" in details


def test_watch_status_and_the_ui_say_what_the_ledger_left_out() -> None:
    p = progress({"completed": 10}, suppressed_rows=4, capped_rows=2, contacts_report="/r/contacts-report.csv")
    words = "4 on the suppression list, 2 at the frequency cap"
    assert words in rendered(CampaignView("campaign-ik-1"), p)
    console = Console(record=True, width=200, color_system=None)
    console.print(progress_table(p))
    result = CampaignResult(
        campaign_name="Renewals",
        idempotency_key="ik-1",
        list_id="l",
        flow="large",
        status="completed",
        suppressed_rows=4,
        capped_rows=2,
    )
    console.print(result_table(result))
    assert console.export_text().count(words) == 2
    done = p.model_copy(update={"ledger_calls": 10, "suppressed_added": 3})
    details = progress_markdown(done)
    assert f"| left out by the ledger | {words} |" in details
    assert "| ledger | 10 calls recorded, 3 numbers added to the suppression list |" in details
    assert "left out" not in progress_markdown(progress({"completed": 10}))


def test_watch_status_and_the_ui_show_the_ringg_budget_when_ringg_throttled() -> None:
    budget = RinggBudgetView(rate=2.5, ceiling=10, throttled=True, waited_s=3.25)
    p = progress({"completed": 10}, ringg_budget=budget)
    console = Console(record=True, width=250, color_system=None)
    console.print(progress_table(p))
    words = "2.5 of 10 requests/s, cut after a 429 from Ringg in the last minute; the last poll waited up to 3.2s"
    assert words in console.export_text() and words in rendered(CampaignView("campaign-ik-1"), p)
    assert f"| Ringg budget | {words} |" in progress_markdown(p)  # the UI's details
    calm = budget.model_copy(update={"rate": 10.0, "throttled": False, "waited_s": 0.0})
    assert calm.describe() == "10 of 10 requests/s"
    assert "Ringg budget" not in rendered(CampaignView("campaign-ik-1"), progress({"completed": 10}))
    assert "Ringg budget" not in progress_markdown(progress({"completed": 10}))


# What a user copies: long enough that a table cell at 60 columns would fold or ellipsize it.
LONG_ID = "campaign-renewals-october-east-region-ik-0123456789abcdef0123456789abcdef01234567"
LONG_PATH = "/srv/ringg/campaign-reports/renewals-october-east-region/ik-0123456789abcdef/contacts-report.csv"


def narrow(*renderables: object, lines: list[str] | None = None) -> list[str]:
    """The output at 60 columns as starter.py's consoles print it (soft wrap, copy lines below the tables)."""
    console = Console(record=True, width=60, color_system=None, soft_wrap=True)
    for renderable in renderables:
        console.print(renderable)
    print_below(console, lines or [])
    return console.export_text().splitlines()


def test_status_prints_the_workflow_id_and_the_report_path_whole_below_the_table() -> None:
    p = progress({"completed": 10}, unusable_rows=2, contacts_report=LONG_PATH)
    shown = narrow(progress_table(p), lines=copy_lines(LONG_ID, p))
    assert f"workflow id: {LONG_ID}" in shown and f"contacts report: {LONG_PATH}" in shown, shown


def test_a_program_view_prints_its_id_report_and_export_whole() -> None:
    export = LONG_PATH.replace("contacts-report", "program-export")
    p = ProgramProgress(campaign_name="Renewals", stage="calling", contacts_report=LONG_PATH, export_file=export)
    shown = narrow(program_table(p), lines=program_lines(LONG_ID, p))
    assert f"workflow id: {LONG_ID}" in shown and f"export: {export}" in shown, shown
    assert f"contacts report: {LONG_PATH}" in shown, shown


def test_an_export_prints_its_files_whole() -> None:
    files = {"csv": LONG_PATH.replace("contacts-report", "calls"), "jsonl": LONG_PATH.replace(".csv", ".jsonl")}
    result = ExportResult(list_id="list-1", files=files, summary_file=LONG_PATH.replace(".csv", ".json"), rows=3)
    shown = narrow(export_table(result), lines=export_lines("export-list-1-abcd1234", result))
    for line in (f"csv: {files['csv']}", f"jsonl: {files['jsonl']}", f"summary: {result.summary_file}"):
        assert line in shown, shown


def test_schedules_list_and_describe_never_cut_a_schedule_id_or_the_contacts_file() -> None:
    schedule_id = "renewals-october-east-region-every-weekday-morning"
    rows = [ScheduleRow(schedule_id, False, 'cron "0 9 * * 1-5"', "Asia/Kolkata", None, None)]
    table, below = schedules_table(rows, 60)
    assert below == [f"1  {schedule_id}"] and below[0] in narrow(table, lines=below)
    table, below = schedules_table(rows, 250)
    assert below == [] and any(schedule_id in line for line in narrow(table))  # wide enough: inline, whole

    report = ScheduleReport(
        schedule_id=schedule_id,
        paused=False,
        note="",
        when='cron "0 9 * * 1-5"',
        timezone="Asia/Kolkata",
        overlap="SKIP",
        catchup=None,
        scheduled=None,
        next_fires=[],
        fires_started=1,
        skipped_overlap=0,
        missed_catchup=0,
        buffer_dropped=0,
        running=[LONG_ID],
    )
    shown = narrow(summary_table(report), lines=summary_lines(report))
    assert f"schedule id: {schedule_id}" in shown and f"running now: {LONG_ID}" in shown, shown
