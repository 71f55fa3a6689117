"""Duplicate triggers that bypass the starter's workflow-ID policy: raw starts with different workflow IDs,
50 at once, and a re-run after the first run's history is gone. Each ends with one upload and one launch."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import Worker

from client.launcher import idempotency_key_for, start_campaign
from contract import search_attributes as sa
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from contract.claim import ClaimInput
from devtools.sample_csv import DEFAULT_MAP, write_sample_csv
from domain.idempotency import campaign_slug, claim_workflow_id_for, legacy_claim_workflow_id_for, workflow_id_for
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import worker_for
from workflows.campaign import CampaignWorkflow
from workflows.claim import CampaignKeyClaimWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-duplicates-key-3e8a"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest.fixture
def admin(sim: RunningSimulator) -> Iterator[SimAdmin]:
    with SimAdmin(sim) as client:
        yield client


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="dup") as running:
        yield running


def make_request(tmp_path: Path, admin: SimAdmin, rows: int = 200) -> CampaignRequest:
    """A large-flow campaign whose window is open now on the simulator's clock."""
    csv_path = write_sample_csv(tmp_path / "contacts.csv", rows)
    return CampaignRequest(
        campaign_name=f"Duplicates {uuid.uuid4().hex[:8]}",
        agent_id="agent-dup",
        csv_uri=str(csv_path),
        variables_map=DEFAULT_MAP,
        from_numbers=[NUMBER_ID],
        flow="large",
        polling=PollingConfig(upload_initial_s=0.3, upload_max_s=1, monitor_initial_s=0.5, monitor_max_s=1),
        **admin.window(retry_minutes=0.5),
    )


def uploads_and_launches(admin: SimAdmin, req: CampaignRequest) -> tuple[list[str], int]:
    stats = admin.stats()
    lists = [
        str(u["list_id"]) for u in stats["uploads"] if str(u["campaign_name"]).startswith(req.campaign_name + " [")
    ]
    return lists, sum(int(stats["launches"].get(list_id, 0)) for list_id in lists)


async def raw_start(client: Client, worker: Worker, req: CampaignRequest) -> CampaignResult:
    """What any Temporal client can do: start by type with its own workflow ID, no idempotent policy."""
    handle = await client.start_workflow(
        CampaignWorkflow.run, req, id=f"raw-{uuid.uuid4()}", task_queue=worker.task_queue
    )
    return await handle.result()


async def test_two_raw_starts_with_different_ids_upload_and_launch_once(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    req = make_request(tmp_path, admin)
    first, second = await asyncio.gather(raw_start(stack_client, worker, req), raw_start(stack_client, worker, req))
    lists, launches = uploads_and_launches(admin, req)
    assert len(lists) == 1 and launches == 1, f"uploads {lists}, launches {launches}"
    statuses = sorted([first.status, second.status])
    assert statuses == ["completed", "duplicate"], statuses
    owner = first if first.status == "completed" else second
    duplicate = second if owner is first else first
    assert owner.list_id == lists[0] and duplicate.duplicate_of is not None


async def test_fifty_concurrent_raw_starts_upload_and_launch_once(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    req = make_request(tmp_path, admin)
    results = await asyncio.gather(*(raw_start(stack_client, worker, req) for _ in range(50)))
    lists, launches = uploads_and_launches(admin, req)
    assert len(lists) == 1 and launches == 1, f"uploads {lists}, launches {launches}"
    statuses = Counter(r.status for r in results)
    assert statuses["completed"] >= 1 and statuses["completed"] + statuses["duplicate"] == 50, statuses
    assert {r.list_id for r in results if r.status == "completed"} == {lists[0]}


async def test_rerun_after_history_is_gone_reconciles_with_ringg(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    """After retention Temporal holds nothing about the first run: no open run, no claim, no ID to collide
    with. A new trigger (here a raw start under a new workflow ID) must find the campaign on Ringg and adopt it.
    (Deleting the first run's history instead is asynchronous on the dev server and can take minutes.)"""
    req = make_request(tmp_path, admin)
    first = await start_campaign(stack_client, req, task_queue=worker.task_queue)
    done = await first.handle.result()
    claim = await stack_client.get_workflow_handle(claim_workflow_id_for(first.idempotency_key)).describe()
    assert claim.status != WorkflowExecutionStatus.RUNNING, "the key claim outlived its campaign"
    again = await raw_start(stack_client, worker, req)
    lists, launches = uploads_and_launches(admin, req)
    assert len(lists) == 1 and launches == 1, f"uploads {lists}, launches {launches}"
    assert again.list_id == done.list_id and again.reused_existing_list and again.status == "completed"


async def test_repeat_of_a_campaign_started_under_the_old_id_finds_it(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    """A campaign started before IDs held names (`campaign-<key>`): the same request again is that campaign,
    not a second one under `campaign-<name>-<key>`."""
    req = make_request(tmp_path, admin)
    key = await idempotency_key_for(req)
    old_id = f"campaign-{key}"
    old = await stack_client.start_workflow(CampaignWorkflow.run, req, id=old_id, task_queue=worker.task_queue)
    running = await start_campaign(stack_client, req, task_queue=worker.task_queue)
    assert (running.workflow_id, running.state) == (old_id, "running")
    done = await old.result()
    again = await start_campaign(stack_client, req, task_queue=worker.task_queue)
    assert (again.workflow_id, again.state) == (old_id, "completed")
    lists, launches = uploads_and_launches(admin, req)
    assert len(lists) == 1 and launches == 1 and done.list_id == lists[0], f"uploads {lists}, launches {launches}"
    named = workflow_id_for(key, req.campaign_name)
    assert named != old_id
    campaigns = [e.id async for e in stack_client.list_workflows(f'IdempotencyKey = "{key}"')]
    assert named not in campaigns


async def visible(client: Client, key: str, timeout_s: float = 30) -> None:
    """Waits until visibility lists the key's campaign (it lags a moment behind the start)."""
    query = f'WorkflowType = "CampaignWorkflow" AND {sa.IDEMPOTENCY_KEY.name} = "{key}"'
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        if [w async for w in client.list_workflows(query, limit=1)]:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"no campaign of key {key} became visible in {timeout_s}s")


async def test_new_campaigns_are_named_and_one_caller_key_keeps_one_id(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    """A new campaign's ID leads with its name; the same caller-given key under another name is the same campaign
    (found in visibility before it takes its claim, and through the claim after)."""
    req = make_request(tmp_path, admin, rows=20).model_copy(update={"idempotency_key": f"crm-{uuid.uuid4().hex}"})
    first = await start_campaign(stack_client, req, task_queue=worker.task_queue)
    assert first.workflow_id == f"campaign-{campaign_slug(req.campaign_name)}-{req.idempotency_key}"
    assert first.workflow_id.startswith("campaign-duplicates-")
    await visible(stack_client, first.idempotency_key)
    renamed = req.model_copy(update={"campaign_name": "Another name entirely"})
    second = await start_campaign(stack_client, renamed, task_queue=worker.task_queue)
    assert second.workflow_id == first.workflow_id and second.state in ("running", "completed")
    done = await first.handle.result()
    assert done.status == "completed"
    claim = await stack_client.get_workflow_handle(claim_workflow_id_for(first.idempotency_key)).describe()
    assert claim.id.startswith("zz-claim-") and claim.parent_id == first.workflow_id
    third = await start_campaign(stack_client, renamed.model_copy(update={"campaign_name": "A third"}))
    assert third.workflow_id == first.workflow_id and third.state == "completed"


async def test_one_caller_key_under_two_names_at_once_launches_once(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    """Within visibility's lag two names of one caller key may start two workflows: the key's claim lets one of
    them upload and launch; the other ends "duplicate" of it."""
    req = make_request(tmp_path, admin, rows=20).model_copy(update={"idempotency_key": f"crm-{uuid.uuid4().hex}"})
    renamed = req.model_copy(update={"campaign_name": req.campaign_name + " renamed"})
    outcomes = await asyncio.gather(
        *(start_campaign(stack_client, r, task_queue=worker.task_queue) for r in (req, renamed))
    )
    handles = {o.workflow_id: o.handle for o in outcomes}
    results = {wid: await handle.result() for wid, handle in handles.items()}
    (lists, launches), (more_lists, more_launches) = (uploads_and_launches(admin, r) for r in (req, renamed))
    lists, launches = lists + more_lists, launches + more_launches
    assert len(lists) == 1 and launches == 1, f"uploads {lists}, launches {launches}; {results}"
    statuses = sorted(r.status for r in results.values())
    assert statuses in (["completed"], ["completed", "duplicate"]), results
    winner = next(wid for wid, r in results.items() if r.status == "completed")
    assert all(r.duplicate_of == winner for r in results.values() if r.status == "duplicate"), results


async def test_a_key_held_under_the_old_claim_id_is_not_taken_again(
    stack_client: Client, worker: Worker, admin: SimAdmin, tmp_path: Path
) -> None:
    """A run from before claims moved to `zz-claim-` holds `campaign-claim-<key>`: a new run of the key is a
    duplicate of it and uploads nothing."""
    req = make_request(tmp_path, admin, rows=20)
    key = await idempotency_key_for(req)
    held = await stack_client.start_workflow(
        CampaignKeyClaimWorkflow.run,
        ClaimInput(idempotency_key=key, owner_workflow_id="campaign-before-upgrade"),
        id=legacy_claim_workflow_id_for(key),
        task_queue=worker.task_queue,
    )
    try:
        result = await raw_start(stack_client, worker, req)
    finally:
        await held.signal(CampaignKeyClaimWorkflow.release)
    assert result.status == "duplicate" and result.duplicate_of == legacy_claim_workflow_id_for(key), result
    assert uploads_and_launches(admin, req) == ([], 0)
    new_claim = await stack_client.get_workflow_handle(claim_workflow_id_for(key)).describe()
    assert new_claim.status != WorkflowExecutionStatus.RUNNING, "the new claim was not released"
