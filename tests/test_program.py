"""Campaign programs against the simulator over real HTTP: a pilot with manual approval (and rejection), auto
approval on thresholds, follow-up re-dials of exactly the unreached, and pause / resume calling every contact at
most once."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.worker import Worker

from client.program_launcher import start_program
from contract import program as program_contract
from contract.program import ApproveInput, PauseInput, ProgramProgress
from devtools.sample_csv import phone_for, write_sample_csv
from domain.contact_outcome import last_outcome
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.program_helpers import calls_of, dialled, program
from tests.stack_helpers import worker_for
from workflows.campaign import CampaignWorkflow
from workflows.program import CampaignProgramWorkflow

SIM_KEY = "sim-program-key-71c2"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.002, extra_args=("--seed", "97")) as running:
        yield running


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="program") as running:
        yield running


async def stage_of(handle: WorkflowHandle[Any, Any], wanted: str, timeout_s: float = 90) -> ProgramProgress:
    for _ in range(int(timeout_s / 0.2)):
        progress = await handle.query(CampaignProgramWorkflow.progress)
        if progress.stage == wanted:
            return progress
        if progress.stage in ("failed", "completed", "rejected") and wanted != progress.stage:
            raise AssertionError(f"program ended {progress.stage}: {progress.message}")
        await asyncio.sleep(0.2)
    raise AssertionError(f"program never reached {wanted!r} (last: {progress.stage}: {progress.message})")


async def test_pilot_waits_for_approval_then_the_rest_runs_and_unreached_contacts_are_redialled_once(
    stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    csv = write_sample_csv(tmp_path / "contacts.csv", 60)
    req = program(
        csv,
        sim,
        pilot={"rows": 10, "approve": "manual", "approval_timeout": "1h"},
        follow_up=[{"after": "1s", "statuses": ["failed", "error"], "max_waves": 1}],
    )
    started = await start_program(stack_client, req, task_queue=worker.task_queue)
    with pytest.raises(WorkflowUpdateFailedError):  # nothing to approve before the pilot has run
        await started.handle.execute_update(CampaignProgramWorkflow.approve, ApproveInput(by="ops"))
    waiting = await stage_of(started.handle, "awaiting approval")
    assert waiting.pilot is not None and waiting.pilot.contacts == 10 and waiting.pilot.dialled == 10
    assert waiting.pilot.connected + waiting.pilot.failed <= 10 and waiting.approval_deadline
    assert [w.wave_id for w in waiting.waves if w.status == "completed"] == ["pilot"]
    await started.handle.execute_update(CampaignProgramWorkflow.approve, ApproveInput(by="ops", note="looks fine"))
    result = await started.handle.result()

    assert result.status == "completed" and result.approval == "approved by ops: looks fine"
    with SimAdmin(sim) as admin:
        by_wave = calls_of(admin, result)
    first = [c for w in ("pilot", "main") for c in by_wave[w]]
    assert Counter(c["to_number"] for c in first) == Counter({phone_for(i): 1 for i in range(1, 61)})
    unreached = {
        c["to_number"]
        for c in first
        if last_outcome(c["status"], c["sub_status"] or "", attempted=dialled(c)) in ("failed", "error", "no_answer")
        or c["status"] in ("failed", "error")
    }
    assert unreached, "the simulator's seed gives some failed calls"
    follow = by_wave.get("f1", [])
    assert sorted(c["to_number"] for c in follow) == sorted(unreached)  # exactly the unreached, each once
    assert result.total_calls == sum(len(v) for v in by_wave.values())
    assert set(result.calls_by_wave) == {"pilot", "main", "f1"}
    assert result.export_file and Path(result.export_file).read_text().count("\n") == 1 + result.total_calls


async def test_a_rejected_pilot_launches_nothing_else(
    stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    csv = write_sample_csv(tmp_path / "contacts.csv", 30, seed=11)
    req = program(csv, sim, pilot={"share": 0.2, "approve": "manual"})
    started = await start_program(stack_client, req, task_queue=worker.task_queue)
    await stage_of(started.handle, "awaiting approval")
    await started.handle.execute_update(CampaignProgramWorkflow.reject, ApproveInput(by="ops"))
    result = await started.handle.result()
    assert result.status == "rejected" and result.approval == "rejected by ops"
    assert [w.status for w in result.waves if w.phase == "main"] == ["planned"]
    with SimAdmin(sim) as admin:
        launched = [u for u in admin.stats()["uploads"] if str(u["campaign_name"]).startswith(req.campaign_name)]
    assert len(launched) == 1 and result.calls_by_wave == {"pilot": 6}


@pytest.mark.parametrize(
    ("thresholds", "approved"), [({"min_connect_rate": 0.0}, True), ({"max_cost_per_call": 0}, False)]
)
async def test_auto_approval_follows_the_thresholds(
    stack_client: Client,
    worker: Worker,
    sim: RunningSimulator,
    tmp_path: Path,
    thresholds: dict[str, float],
    approved: bool,
) -> None:
    csv = write_sample_csv(tmp_path / "contacts.csv", 20, seed=13)
    req = program(csv, sim, pilot={"rows": 5, "approve": "auto", **thresholds})
    result = await (await start_program(stack_client, req, task_queue=worker.task_queue)).handle.result()
    assert result.status == ("completed" if approved else "rejected")
    assert (result.approval or "").startswith("auto-approved" if approved else "auto-rejected")
    assert sum(result.calls_by_wave.values()) == (20 if approved else 5)


async def test_pause_mid_wave_then_resume_calls_every_contact_at_most_once(
    stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path
) -> None:
    csv = write_sample_csv(tmp_path / "contacts.csv", 120, seed=17)
    req = program(csv, sim, follow_up=[{"after": 1, "statuses": ["not_called"], "max_waves": 1}])
    with SimAdmin(sim) as admin:
        admin.configure(call_rate=0.01)  # about 5 calls a wall second: the wave is mid-way when it is paused
        try:
            started = await start_program(stack_client, req, task_queue=worker.task_queue)
            await stage_of(started.handle, "running")
            wave_id = (await started.handle.query(CampaignProgramWorkflow.progress)).waves[0].workflow_id
            for _ in range(300):
                with contextlib.suppress(RPCError):
                    child = await stack_client.get_workflow_handle(wave_id).query(CampaignWorkflow.progress)
                    if child.calls.by_status.get("completed", 0) >= 10:
                        break
                await asyncio.sleep(0.1)
            paused = await started.handle.execute_update(CampaignProgramWorkflow.pause, PauseInput(by="ops"))
        finally:
            admin.configure(call_rate=2.0)
        assert paused.stage == "paused" and paused.paused
        held = [w for w in paused.waves if w.status == "held"]
        assert len(held) == 1 and held[0].phase == "resume" and 0 < held[0].contacts < 120
        with pytest.raises(WorkflowUpdateFailedError):
            await started.handle.execute_update(CampaignProgramWorkflow.pause, PauseInput())
        await started.handle.execute_update(CampaignProgramWorkflow.resume, PauseInput(by="ops"))
        result = await started.handle.result()
        by_wave = calls_of(admin, result)
    attempts = Counter(c["to_number"] for calls in by_wave.values() for c in calls if dialled(c))
    assert max(attempts.values()) == 1  # nobody called twice, across the paused wave and its resume
    assert set(attempts) == {phone_for(i) for i in range(1, 121)}  # everyone not called before was called after
    resumed = next(w for w in result.waves if w.phase == "resume")
    assert resumed.contacts == held[0].contacts and result.status == "completed"


async def test_a_long_program_continues_as_new_between_steps_and_keeps_its_counts(
    stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(program_contract, "HISTORY_EVENTS_MAX", 10)  # every step boundary starts a new run
    csv = write_sample_csv(tmp_path / "contacts.csv", 40, seed=23)
    req = program(
        csv,
        sim,
        pilot={"rows": 5, "approve": "auto", "min_connect_rate": 0},
        follow_up=[{"after": 1, "statuses": ["failed", "error"], "max_waves": 1}],
    )
    started = await start_program(stack_client, req, task_queue=worker.task_queue)
    result = await started.handle.result()
    assert result.status == "completed" and result.continued_runs >= 3
    first_run = stack_client.get_workflow_handle(started.workflow_id, run_id=started.handle.first_execution_run_id)
    events = [e async for e in first_run.fetch_history_events()]
    assert events[-1].HasField("workflow_execution_continued_as_new_event_attributes")
    with SimAdmin(sim) as admin:
        by_wave = calls_of(admin, result)
    assert result.calls_by_wave == {w: len(calls) for w, calls in by_wave.items() if calls}
    assert Counter(c["to_number"] for w in ("pilot", "main") for c in by_wave[w]) == Counter(
        {phone_for(i): 1 for i in range(1, 41)}
    )
    assert {w.wave_id for w in result.waves} >= {"pilot", "main"} and result.total_calls == sum(
        result.calls_by_wave.values()
    )
