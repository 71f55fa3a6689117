"""What a campaign schedule has done and will do, for `schedule describe` and `schedule list`: its timing and
policies, the next fire times, the counts of skipped and missed fires, and each recent fire's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionResult,
    ScheduleDescription,
    ScheduleListActionStartWorkflow,
    WorkflowExecutionStatus,
    WorkflowFailureError,
)
from temporalio.service import RPCError, RPCStatusCode

from client.schedules import MEMO_WHEN, campaign_of_fire, fire_ids, scheduled_campaign
from contract.names import FIRE_WORKFLOW
from contract.schedules import FireResult, ScheduledCampaign


@dataclass(frozen=True)
class FireRow:
    fire_time: datetime  # nominal
    workflow_id: str
    status: str  # the fire workflow's: RUNNING, COMPLETED, FAILED, ...
    outcome: str  # what it did, for people
    failed: bool = False


@dataclass
class ScheduleReport:
    schedule_id: str
    paused: bool
    note: str
    when: str
    timezone: str
    overlap: str
    catchup: timedelta | None
    scheduled: ScheduledCampaign | None
    next_fires: list[datetime]
    fires_started: int
    skipped_overlap: int
    missed_catchup: int
    buffer_dropped: int
    running: list[str]
    recent: list[FireRow] = field(default_factory=list)
    invalid_spec: str = ""


def _outcome(result: FireResult) -> str:
    campaign = result.campaign
    if result.outcome == "already_fired" or campaign is None:
        return f"already fired, nothing launched: {result.message}"
    calls = f", {campaign.total_calls} calls" if campaign.total_calls else ""
    return f"ran {result.campaign_workflow_id}: {campaign.status}, list {campaign.list_id or '—'}{calls}"


async def fire_row(client: Client, schedule_id: str, action: ScheduleActionResult) -> FireRow:
    if not isinstance(action.action, ScheduleActionExecutionStartWorkflow):
        return FireRow(action.scheduled_at, "—", "UNKNOWN", "not a workflow start")
    workflow_id, run_id = action.action.workflow_id, action.action.first_execution_run_id
    # The run this fire started, not a later re-fire of the same tick (same workflow ID).
    handle = client.get_workflow_handle(workflow_id, run_id=run_id, result_type=FireResult)
    try:
        status = (await handle.describe()).status
    except RPCError as err:
        if err.status != RPCStatusCode.NOT_FOUND:
            raise
        return FireRow(action.scheduled_at, workflow_id, "GONE", "no longer in Temporal (past retention)")
    name = status.name if status else "UNKNOWN"
    if status == WorkflowExecutionStatus.RUNNING:
        campaign = await campaign_of_fire(client, schedule_id, workflow_id, wait_s=0)
        return FireRow(action.scheduled_at, workflow_id, name, f"running campaign {campaign}")
    try:
        result = await handle.result(follow_runs=False)
    except WorkflowFailureError as err:
        message = getattr(err.cause, "message", None) or str(err.cause or err)
        return FireRow(action.scheduled_at, workflow_id, name, message.removeprefix(f"schedule {schedule_id}: "), True)
    return FireRow(action.scheduled_at, workflow_id, name, _outcome(result))


async def schedule_report(client: Client, description: ScheduleDescription, recent: int = 5) -> ScheduleReport:
    schedule, info = description.schedule, description.info
    policy = schedule.policy
    report = ScheduleReport(
        schedule_id=description.id,
        paused=schedule.state.paused,
        note=schedule.state.note or "",
        when=await description.memo_value(MEMO_WHEN, "") or "(not created by starter.py)",
        timezone=schedule.spec.time_zone_name or "UTC",
        overlap=policy.overlap.name,
        catchup=policy.catchup_window,
        scheduled=await scheduled_campaign(client, description),
        next_fires=list(info.next_action_times),
        fires_started=info.num_actions,
        skipped_overlap=info.num_actions_skipped_overlap,
        missed_catchup=info.num_actions_missed_catchup_window,
        buffer_dropped=description.raw_description.info.buffer_dropped,
        running=fire_ids(info.running_actions),
        invalid_spec=description.raw_description.info.invalid_schedule_error,
    )
    actions = sorted(info.recent_actions, key=lambda a: a.started_at)[-recent:]
    report.recent = [await fire_row(client, description.id, a) for a in actions]
    return report


@dataclass(frozen=True)
class ScheduleRow:
    schedule_id: str
    paused: bool
    when: str
    timezone: str
    next_fire: datetime | None
    last_fire: datetime | None


async def campaign_schedules(client: Client) -> list[ScheduleRow]:
    """Every schedule whose action is a campaign fire (list results are eventually consistent: a schedule
    created a moment ago may be missing)."""
    rows: list[ScheduleRow] = []
    async for entry in await client.list_schedules():
        schedule, info = entry.schedule, entry.info
        action = schedule.action if schedule else None
        if schedule is None or not isinstance(action, ScheduleListActionStartWorkflow):
            continue
        if action.workflow != FIRE_WORKFLOW:
            continue
        recent = sorted(a.scheduled_at for a in info.recent_actions) if info else []
        rows.append(
            ScheduleRow(
                schedule_id=entry.id,
                paused=schedule.state.paused,
                when=await entry.memo_value(MEMO_WHEN, "") or "",
                timezone=schedule.spec.time_zone_name or "UTC",
                next_fire=info.next_action_times[0] if info and info.next_action_times else None,
                last_fire=recent[-1] if recent else None,
            )
        )
    return sorted(rows, key=lambda r: r.schedule_id)
