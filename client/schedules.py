"""Campaign schedules on Temporal, for the CLI and any other client: idempotent creation, listing, and the
operations whose outcome is not in the RPC's answer (what a trigger did, what each recent fire did)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionExecution,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleState,
)

from activities.contacts.source import admit, env_sources
from client.key_lookup import describe_or_none, existing_campaign_id
from contract import search_attributes as sa
from contract.names import FIRE_WORKFLOW
from contract.schedules import ScheduledCampaign
from domain.csv_sources import CsvSources
from domain.fire_render import fire_key, render_text
from domain.schedule_spec import ScheduleDefinition

MEMO_WHEN = "when"
SAMPLE_DAY = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CreateOutcome:
    state: Literal["created", "exists", "exists_different"]
    description: ScheduleDescription


@dataclass(frozen=True)
class TriggerOutcome:
    state: Literal["fired", "skipped", "pending"]
    fire_workflow_id: str | None = None
    running: tuple[str, ...] = ()


def fire_workflow_id_prefix(schedule_id: str) -> str:
    """The schedule's action ID: each fire runs as `schedule-<id>-<nominal time>`."""
    return f"schedule-{schedule_id}"


def key_of_fire(schedule_id: str, fire_workflow_id: str) -> str | None:
    """The idempotency key of the campaign a fire runs (`schedule-<id>-<RFC 3339 time>` -> `sched-<id>-<time>`):
    a ref `starter.py watch` and the API resolve. None when the ID is not a fire of this schedule."""
    stamp = fire_workflow_id.removeprefix(fire_workflow_id_prefix(schedule_id) + "-")
    try:
        return fire_key(schedule_id, datetime.fromisoformat(stamp))
    except ValueError:
        return None


async def campaign_of_fire(client: Client, schedule_id: str, fire_workflow_id: str, *, wait_s: float = 3.0) -> str:
    """The workflow ID of the campaign a fire runs (its name is in it, so it is read, not derived): the fire's child
    while it runs, else the campaign its key names; "?" when none has started within `wait_s`."""
    key = key_of_fire(schedule_id, fire_workflow_id)
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        fire = await describe_or_none(client, fire_workflow_id)
        children = fire.raw_description.pending_children if fire is not None else []
        if children:
            return str(children[0].workflow_id)
        found = await existing_campaign_id(client, key) if key else None
        if found is not None:
            return found
        if asyncio.get_running_loop().time() > deadline:
            return "?"
        await asyncio.sleep(0.2)


def build_schedule(defn: ScheduleDefinition, *, task_queue: str, paused: bool = False, note: str = "") -> Schedule:
    template = defn.scheduled.template
    return Schedule(
        action=ScheduleActionStartWorkflow(
            FIRE_WORKFLOW,
            defn.scheduled,
            id=fire_workflow_id_prefix(defn.schedule_id),
            task_queue=task_queue,
            # Registered Keywords only (an unregistered one would stall the fire); the campaign sets its own.
            typed_search_attributes=sa.start_attributes(template.campaign_name, template.agent_id),
            static_summary=f"Scheduled campaign {template.campaign_name!r} (schedule {defn.schedule_id})"[:190],
        ),
        spec=defn.fire.spec,
        policy=SchedulePolicy(overlap=defn.overlap, catchup_window=defn.catchup),
        state=ScheduleState(paused=paused, note=note or None),
    )


async def scheduled_campaign(client: Client, description: ScheduleDescription) -> ScheduledCampaign | None:
    """The template a schedule holds, or None when the schedule is not a campaign schedule."""
    action = description.schedule.action
    if not isinstance(action, ScheduleActionStartWorkflow) or action.workflow != FIRE_WORKFLOW:
        return None
    payloads = [arg for arg in action.args if isinstance(arg, Payload)]
    if len(payloads) != 1:
        return None
    [decoded] = await client.data_converter.decode(payloads, [ScheduledCampaign])
    return decoded if isinstance(decoded, ScheduledCampaign) else None


async def _same_definition(
    client: Client, description: ScheduleDescription, defn: ScheduleDefinition, task_queue: str
) -> bool:
    policy, action = description.schedule.policy, description.schedule.action
    return (
        isinstance(action, ScheduleActionStartWorkflow)
        and action.task_queue == task_queue
        and (policy.overlap, policy.catchup_window) == (defn.overlap, defn.catchup)
        and await description.memo_value(MEMO_WHEN, "") == defn.fire.when
        and await scheduled_campaign(client, description) == defn.scheduled
    )


async def admit_template(defn: ScheduleDefinition, sources: CsvSources) -> None:
    """The template's csv_uri (rendered for a sample day: placeholders fill in the file name, not the folder or host)
    against the CAMPAIGN_CSV_* rules; each fire's pre-flight checks its own file again. Raises SourceRefused."""
    what = f"csv_uri (the template's, for a fire on {SAMPLE_DAY:%Y-%m-%d})"
    await admit(render_text(defn.scheduled.template.csv_uri, SAMPLE_DAY), sources, what=what)


async def create_schedule(
    client: Client,
    defn: ScheduleDefinition,
    *,
    task_queue: str,
    paused: bool = False,
    note: str = "",
    sources: CsvSources | None = None,
) -> CreateOutcome:
    """Creates the schedule; an existing one with the same ID is left as it is (reported as the same
    template, timing, policies and task queue, or as different). Nothing is created when the template's csv_uri
    is not one `sources` allow (SourceRefused; by default this process's environment's rules)."""
    await admit_template(defn, sources or env_sources())
    try:
        handle = await client.create_schedule(
            defn.schedule_id,
            build_schedule(defn, task_queue=task_queue, paused=paused, note=note),
            memo={MEMO_WHEN: defn.fire.when},
        )
    except ScheduleAlreadyRunningError:
        description = await client.get_schedule_handle(defn.schedule_id).describe()
        same = await _same_definition(client, description, defn, task_queue)
        return CreateOutcome("exists" if same else "exists_different", description)
    return CreateOutcome("created", await handle.describe())


def fire_ids(executions: Iterable[ScheduleActionExecution]) -> list[str]:
    """The workflow IDs of these schedule actions (a campaign schedule's actions all start a workflow)."""
    return [e.workflow_id for e in executions if isinstance(e, ScheduleActionExecutionStartWorkflow)]


def _started(description: ScheduleDescription) -> set[str]:
    return set(fire_ids(a.action for a in description.info.recent_actions))


async def trigger_schedule(
    client: Client, schedule_id: str, overlap: ScheduleOverlapPolicy | None = None, *, wait_s: float = 5.0
) -> TriggerOutcome:
    """Fires now, then watches the schedule for a few seconds to tell what the trigger did."""
    handle = client.get_schedule_handle(schedule_id)
    before = await handle.describe()
    await handle.trigger(overlap=overlap)
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        now = await handle.describe()
        new = _started(now) - _started(before)
        if now.info.num_actions > before.info.num_actions and new:
            return TriggerOutcome("fired", fire_workflow_id=sorted(new)[-1])
        running = tuple(fire_ids(now.info.running_actions))
        if now.info.num_actions_skipped_overlap > before.info.num_actions_skipped_overlap:
            return TriggerOutcome("skipped", running=running)
        if now.raw_description.info.buffer_size > before.raw_description.info.buffer_size:
            return TriggerOutcome("pending", running=running)  # buffered behind a running fire (overlap policy)
        if asyncio.get_running_loop().time() > deadline:
            return TriggerOutcome("pending", running=running)
        await asyncio.sleep(0.25)
