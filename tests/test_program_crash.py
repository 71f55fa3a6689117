"""Crash recovery of campaign programs on real processes: `python worker.py` SIGKILLed once while three programs
are each at one step — between waves (a follow-up's delay), waiting for approval, pausing (the terminate of its
running wave in flight on Ringg) — then a new worker process. On the simulator's ground truth, no wave is launched
twice and no contact is called twice; approval and pause survive the restart (crash_helpers)."""

from __future__ import annotations

import asyncio
import csv
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from client.program_launcher import start_program
from contract.program import ApproveInput, PauseInput, ProgramProgress, ProgramRequest, ProgramResult
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, phone_for, write_sample_csv
from domain.contact_outcome import wants
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.crash_helpers import (
    Diagnostics,
    check_waves_once,
    completed,
    kill_worker,
    request_count,
    stage_of,
    start_worker_process,
    task_failures,
    wait_for_stage,
    wait_until,
)
from tests.program_helpers import calls_of, dialled, program
from workflows.campaign import CampaignWorkflow
from workflows.program import CampaignProgramWorkflow

pytestmark = pytest.mark.integration

SIM_KEY = "sim-program-crash-key-4e1d"
TIME_SCALE = 0.002
# The follow-up of the "between waves" program starts this long after its first waves: it spans the kill.
FOLLOW_UP_AFTER_S = 30.0
REDIAL = ["failed", "error", "no_answer", "busy", "voicemail"]
# About 5 calls a wall second at TIME_SCALE: the pausing program's wave is mid-way when it is paused.
SLOW_CALL_RATE = 0.01
# The pausing program's terminate is held this long by the simulator: the worker dies with it in flight, and Ringg
# commits it afterwards (the retry, after the activity's start-to-close timeout, terminates the list again).
TERMINATE_DELAY_S = 3.0
CONTACTS = {"between_waves": 30, "approval_wait": 25, "pausing": 120}

ProgramHandle = WorkflowHandle[CampaignProgramWorkflow, ProgramResult]


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=TIME_SCALE, extra_args=("--seed", "53")) as running:
        yield running


@dataclass
class Program:
    req: ProgramRequest
    handle: ProgramHandle
    stage_at_kill: str | None = None
    result: ProgramResult | None = None


@dataclass
class ProgramCrash:
    programs: dict[str, Program]
    diag: Diagnostics
    approved: ProgramProgress  # the approve sent while no worker ran
    paused: ProgramProgress  # the pause accepted by the killed worker and finished by the new one
    held_numbers: list[str]  # the contacts of the held resume wave, read from its file at the pause
    terminate_in_flight: bool  # the pausing program's terminate was sent and not yet answered at the kill
    replay_problems: list[str] = field(default_factory=list)

    def result(self, name: str) -> ProgramResult:
        result = self.programs[name].result
        assert result is not None, self.diag(f"{name}: no result")
        return result


async def start(client: Client, req: ProgramRequest, task_queue: str, diag: Diagnostics, name: str) -> Program:
    started = await start_program(client, req, task_queue=task_queue)
    diag.note(f"{name}: started {started.workflow_id}")
    return Program(req, started.handle)


async def mid_wave(client: Client, pausing: Program, diag: Diagnostics, calls: int) -> None:
    """Returns once the program's first wave has `calls` completed calls (its child's progress query)."""
    progress = await pausing.handle.query(CampaignProgramWorkflow.progress)
    child = client.get_workflow_handle_for(CampaignWorkflow.run, progress.waves[0].workflow_id)

    async def called() -> bool:
        try:
            done = (await child.query(CampaignWorkflow.progress)).calls.by_status.get("completed", 0)
        except RPCError:  # the child has not started yet
            return False
        return done >= calls

    await wait_until(called, f"the pausing program's wave has {calls} completed calls", diag, timeout_s=60)


async def update_outcome(
    handle: ProgramHandle, task: asyncio.Task[ProgramProgress], update: Any, update_id: str, diag: Diagnostics
) -> ProgramProgress:
    """The outcome of an update sent across the crash. Once accepted, an update is in the workflow's history and
    its handler runs again on the new worker; if the client's long poll gave up meanwhile, poll its outcome by id."""
    try:
        return await asyncio.wait_for(task, 150)
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        diag.note(f"update {update_id}: the client's poll gave up; polling its outcome by id")
        return await asyncio.wait_for(handle.get_update_handle_for(update, update_id).result(), 60)
    except TimeoutError as err:
        raise AssertionError(diag(f"update {update_id} had no outcome within 150 s")) from err


def numbers_in(path: str) -> list[str]:
    with Path(path).open(newline="", encoding="utf-8") as f:
        return [row[DEFAULT_MAP["mobile_number"]] for row in csv.DictReader(f)]


@pytest_asyncio.fixture(scope="module")
async def program_crash(
    stack_client: Client, dev_server: devstack.Proc, sim: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ProgramCrash]:
    """Three programs on one `python worker.py`, then one SIGKILL and a new worker process on the same task queue
    and data folder; yields once every program has finished. At the kill:
      between_waves  pilot (auto-approved) and main done, its follow-up's delay running (stage "waiting");
      approval_wait  pilot done, stage "awaiting approval"; approved while no worker runs;
      pausing        `pause` accepted mid-wave, the wave's child cancelled and its terminate on Ringg in flight
                     (stage "pausing"); the pause completes on the new worker, then `resume`.
    """
    tmp_path = tmp_path_factory.mktemp("program-crash")
    diag = Diagnostics(sim)
    task_queue = f"program-crash-{uuid.uuid4()}"
    address = dev_server.extra["address"]
    with SimAdmin(sim) as admin:
        defaults = admin.config()
        diag.procs.append(start_worker_process(tmp_path, sim, address, task_queue, "worker-1"))
        try:
            between = program(
                write_sample_csv(tmp_path / "between.csv", CONTACTS["between_waves"], seed=21),
                sim,
                pilot={"rows": 5, "approve": "auto", "min_connect_rate": 0.0},
                follow_up=[{"after": FOLLOW_UP_AFTER_S, "statuses": REDIAL}],
            )
            approval = program(
                write_sample_csv(tmp_path / "approval.csv", CONTACTS["approval_wait"], seed=23),
                sim,
                pilot={"rows": 5, "approve": "manual", "approval_timeout": "1h"},
            )
            programs = {
                "between_waves": await start(stack_client, between, task_queue, diag, "between_waves"),
                "approval_wait": await start(stack_client, approval, task_queue, diag, "approval_wait"),
            }
            await wait_for_stage(programs["between_waves"].handle, "waiting", diag, timeout_s=60)
            await wait_for_stage(programs["approval_wait"].handle, "awaiting approval", diag, timeout_s=60)
            diag.note("between_waves waits for its follow-up; approval_wait awaits approval")

            admin.configure(call_rate=SLOW_CALL_RATE)
            pausing_req = program(
                write_sample_csv(tmp_path / "pausing.csv", CONTACTS["pausing"], seed=29),
                sim,
                follow_up=[{"after": 1, "statuses": ["not_called"]}],
            )
            pausing = programs["pausing"] = await start(stack_client, pausing_req, task_queue, diag, "pausing")
            await wait_for_stage(pausing.handle, "running", diag, timeout_s=60)
            await mid_wave(stack_client, pausing, diag, 10)

            terminates = request_count(admin, "terminate")
            admin.add_fault("terminate", "delay", times=1, delay_s=TERMINATE_DELAY_S)
            pause_id = f"pause-{uuid.uuid4().hex[:8]}"
            pause = asyncio.create_task(
                pausing.handle.execute_update(CampaignProgramWorkflow.pause, PauseInput(by="ops"), id=pause_id)
            )

            async def terminate_sent() -> bool:
                return request_count(admin, "terminate") > terminates

            await wait_until(terminate_sent, "the pausing program's terminate is in flight", diag)
            terminate_sent_at = time.monotonic()
            await wait_for_stage(pausing.handle, "pausing", diag, timeout_s=5)
            terminate_in_flight = time.monotonic() < terminate_sent_at + TERMINATE_DELAY_S
            kill_worker(diag.procs[0], diag, "the pausing program's terminate in flight")
            # No worker runs: the stages read now are those at the kill.
            for program_run in programs.values():
                program_run.stage_at_kill = await stage_of(program_run.handle)
            diag.note(f"stages at the kill: {[p.stage_at_kill for p in programs.values()]}")

            approve_id = f"approve-{uuid.uuid4().hex[:8]}"
            approve = asyncio.create_task(
                programs["approval_wait"].handle.execute_update(
                    CampaignProgramWorkflow.approve, ApproveInput(by="ops", note="after the crash"), id=approve_id
                )
            )
            diag.note("approve sent while no worker runs")
            # Ringg keeps calling at the slow rate until it commits the dead worker's terminate.
            await asyncio.sleep(max(0.0, terminate_sent_at + TERMINATE_DELAY_S + 0.5 - time.monotonic()))
            admin.configure(call_rate=defaults["call_rate"])
            diag.procs.append(start_worker_process(tmp_path, sim, address, task_queue, "worker-2"))
            diag.note("worker-2 started")

            approved = await update_outcome(
                programs["approval_wait"].handle, approve, CampaignProgramWorkflow.approve, approve_id, diag
            )
            diag.note(f"approve answered: {approved.stage}")
            paused = await update_outcome(pausing.handle, pause, CampaignProgramWorkflow.pause, pause_id, diag)
            diag.note(f"pause answered: {paused.stage}: {paused.message}")
            held = [w for w in paused.waves if w.status == "held"]
            held_numbers = [n for w in held for n in numbers_in(w.csv_path)]
            await pausing.handle.execute_update(CampaignProgramWorkflow.resume, PauseInput(by="ops"))
            diag.note("resumed")

            results = await asyncio.gather(*(completed(p.handle, diag, 120) for p in programs.values()))
            for program_run, result in zip(programs.values(), results, strict=True):
                program_run.result = result
            assert diag.procs[1].popen.poll() is None, diag("worker-2 died")
            replay_problems: list[str] = []
            for result in results:
                for workflow_id in [w.workflow_id for w in result.waves if w.list_ids]:
                    replay_problems += await task_failures(stack_client, workflow_id)
            for program_run in programs.values():
                replay_problems += await task_failures(stack_client, program_run.handle.id)
            diag.note("scenario done")
            print("\n".join(diag.events))
        finally:
            admin.clear_faults()
            admin.configure(call_rate=defaults["call_rate"])
            for proc in diag.procs:
                devstack.stop(proc)
    yield ProgramCrash(programs, diag, approved, paused, held_numbers, terminate_in_flight, replay_problems)


def first_calls(by_wave: dict[str, list[dict[str, Any]]], waves: tuple[str, ...]) -> list[dict[str, Any]]:
    return [c for w in waves for c in by_wave.get(w, [])]


def every_contact_once(calls: list[dict[str, Any]], contacts: int) -> Counter[str]:
    """The contacts with a call other than exactly one (expected empty): dialled twice or never."""
    counted = Counter(c["to_number"] for c in calls if dialled(c))
    expected = Counter({phone_for(i): 1 for i in range(1, contacts + 1)})
    return (counted - expected) + (expected - counted)


def test_killed_between_waves_each_wave_launches_once_and_the_follow_up_redials_exactly_the_unreached(
    program_crash: ProgramCrash, sim: RunningSimulator
) -> None:
    """Killed while the follow-up's delay ran (pilot and main done): the pilot, main and follow-up waves are each
    uploaded and launched once, every contact is called once by the first waves, and the follow-up calls exactly
    those the first waves did not reach, each once."""
    crash = program_crash
    result = crash.result("between_waves")
    assert crash.programs["between_waves"].stage_at_kill == "waiting"
    assert result.status == "completed", crash.diag(f"ended {result.status}: {result.message}")
    assert [(w.wave_id, w.status) for w in result.waves] == [
        ("pilot", "completed"),
        ("main", "completed"),
        ("f1", "completed"),
    ], crash.diag(f"waves {[(w.wave_id, w.status) for w in result.waves]}")
    with SimAdmin(sim) as admin:
        problems = check_waves_once(admin, result)
        by_wave = calls_of(admin, result)
    assert not problems, crash.diag("\n".join(problems))
    first = first_calls(by_wave, ("pilot", "main"))
    assert not every_contact_once(first, CONTACTS["between_waves"])
    unreached = [
        c["to_number"]
        for c in first
        if wants(frozenset(REDIAL), c["status"], c["sub_status"] or "", attempted=dialled(c))
    ]
    assert unreached, "the simulator's seed gives some unreached contacts"
    assert sorted(c["to_number"] for c in by_wave["f1"]) == sorted(unreached)


def test_killed_while_awaiting_approval_the_approval_sent_meanwhile_works_and_the_main_wave_runs_once(
    program_crash: ProgramCrash, sim: RunningSimulator
) -> None:
    """Killed while awaiting approval, approved while no worker ran: the new worker takes the update, the main wave
    is launched once, and every contact is called exactly once over the pilot and the main wave."""
    crash = program_crash
    result = crash.result("approval_wait")
    assert crash.programs["approval_wait"].stage_at_kill == "awaiting approval"
    assert crash.approved.approval_deadline and crash.approved.pilot is not None
    assert result.status == "completed" and result.approval == "approved by ops: after the crash"
    assert [(w.wave_id, w.status) for w in result.waves] == [("pilot", "completed"), ("main", "completed")]
    with SimAdmin(sim) as admin:
        problems = check_waves_once(admin, result)
        by_wave = calls_of(admin, result)
    assert not problems, crash.diag("\n".join(problems))
    assert len(by_wave["pilot"]) == 5
    assert not every_contact_once(first_calls(by_wave, ("pilot", "main")), CONTACTS["approval_wait"])


def test_killed_while_pausing_the_pause_completes_holds_exactly_the_undialled_and_resume_calls_each_once(
    program_crash: ProgramCrash, sim: RunningSimulator
) -> None:
    """Killed while pausing, with the wave's terminate on Ringg in flight: the pause completes on the new worker,
    the held contacts are exactly those the paused wave never dialled, the resume wave calls each of them once,
    and every contact of the program is called exactly once overall."""
    crash = program_crash
    result = crash.result("pausing")
    assert crash.programs["pausing"].stage_at_kill == "pausing" and crash.terminate_in_flight
    assert crash.paused.stage == "paused" and crash.paused.paused
    held = [w for w in crash.paused.waves if w.status == "held"]
    assert [(w.wave_id, w.phase) for w in held] == [("main.r1", "resume")], crash.diag(f"held {held}")
    assert held[0].contacts == len(crash.held_numbers) == len(set(crash.held_numbers))
    assert result.status == "completed", crash.diag(f"ended {result.status}: {result.message}")
    assert [(w.wave_id, w.status) for w in result.waves] == [("main", "paused"), ("main.r1", "completed")]
    with SimAdmin(sim) as admin:
        problems = check_waves_once(admin, result)
        by_wave = calls_of(admin, result)
        terminated = [t for t in admin.stats()["terminations"] if t["campaign_id"] in result.waves[0].list_ids]
    assert not problems, crash.diag("\n".join(problems))
    assert terminated, "the paused wave was terminated on Ringg"
    dialled_before = {c["to_number"] for c in by_wave["main"] if dialled(c)}
    everyone = {phone_for(i) for i in range(1, CONTACTS["pausing"] + 1)}
    assert 0 < len(crash.held_numbers) < CONTACTS["pausing"]
    assert set(crash.held_numbers) == everyone - dialled_before
    assert sorted(c["to_number"] for c in by_wave["main.r1"] if dialled(c)) == sorted(crash.held_numbers)
    assert not every_contact_once(first_calls(by_wave, ("main", "main.r1")), CONTACTS["pausing"])


def test_no_workflow_task_failed_on_the_new_worker(program_crash: ProgramCrash) -> None:
    """The programs and their waves replayed on the new worker exactly as the killed one ran them: no workflow task
    failed (a non-deterministic replay fails its task and stalls the workflow)."""
    assert not program_crash.replay_problems, program_crash.diag("\n".join(program_crash.replay_problems))
