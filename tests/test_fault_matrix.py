"""Fault injection on real parts (the Temporal dev server binary, simulator subprocesses over HTTP, in-process
workers): faults on every non-idempotent POST, Retry-After, rejected requests, faults on polls and monitoring."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError

from contract.campaign import CampaignRequest, CampaignResult
from devtools.sample_csv import write_sample_csv
from ringg_sim.testing import SimAdmin
from tests.fault_helpers import (
    CASE_TIMEOUT_S,
    FAST_CALL_RATE,
    SLOW_S,
    Fault,
    Lane,
    RequestFlow,
    elapsed_since,
    invariant_problems,
    make_request,
    open_lane,
    stage_of,
    wait_until,
    worker_for,
)
from tests.stack_helpers import uploads_named
from workflows.campaign import CampaignWorkflow

pytestmark = pytest.mark.integration

# The non-idempotent POSTs and the flow that sends each: (flow, launch with a number pool -> v2/start).
POST_ENDPOINTS: dict[str, tuple[RequestFlow, bool]] = {
    "upload_csv": ("large", False),
    "make_call_async": ("large", False),
    "save": ("standard", False),
    "start": ("standard", False),
    "v2_start": ("standard", True),
}
MATRIX_FAULTS = [
    Fault("commit_then_drop", "commit_then_drop"),  # committed on the server, response lost
    Fault("429_retry_after_2", "rate_limit", retry_after=2),
    Fault("429_no_retry_after", "rate_limit"),
    Fault("500_x3", "http_error", times=3, status=500),
    Fault("502", "http_error", status=502),
    Fault("503", "http_error", status=503),
    Fault("slow_past_timeout", "delay", delay_s=SLOW_S),  # the server commits after the client gave up
]
MATRIX_TEST = "test_post_survives_fault"
# The faults whose retries take longest (backoff 2+4+8 s; a confirm window then a retry) get a second lane
# per endpoint, so that all lanes finish at about the same time.
SECOND_LANE = frozenset({"500_x3", "502"})
ROWS = 5


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_csv(tmp_path_factory.mktemp("fault-matrix") / "contacts.csv", ROWS)


# -- the matrix ---------------------------------------------------------------------------------------------
# Every non-idempotent POST under every fault still ends in a completed campaign with exactly one upload and exactly
# one launch (DESIGN.md principle 2).


@dataclass
class CaseOutcome:
    req: CampaignRequest
    result: CampaignResult | None
    error: BaseException | None
    seconds: float
    endpoint_log: list[dict[str, Any]]  # the simulator's log of requests to the faulted endpoint in this case
    faults_left: list[dict[str, Any]]  # fault rules not consumed by the case


Case = tuple[str, Fault]  # (endpoint, fault)


def lane_of(endpoint: str, fault: Fault) -> str:
    return f"{endpoint}/{'b' if fault.name in SECOND_LANE else 'a'}"


@dataclass
class Matrix:
    """The matrix runs simulator "lanes" (a simulator subprocess + a worker), two per endpoint since faults are per
    endpoint, not per campaign: the lanes run concurrently, each lane's cases one after another, and each
    parametrized test awaits its own case's outcome."""

    lanes: dict[str, Lane]
    csv_path: Path
    cases: dict[tuple[str, str], asyncio.Future[CaseOutcome]] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self, selected: dict[str, list[Case]]) -> None:
        loop = asyncio.get_running_loop()
        for lane, cases in selected.items():
            for endpoint, fault in cases:
                self.cases[(endpoint, fault.name)] = loop.create_future()
            self.tasks.append(asyncio.create_task(self._run_lane(self.lanes[lane], cases), name=f"lane-{lane}"))

    def lane_for(self, endpoint: str, fault: Fault) -> Lane:
        return self.lanes[lane_of(endpoint, fault)]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def outcome(self, endpoint: str, fault: Fault) -> CaseOutcome:
        # shield: a test timing out must not cancel the lane's future for the others
        return await asyncio.shield(self.cases[(endpoint, fault.name)])

    async def _run_lane(self, lane: Lane, cases: list[Case]) -> None:
        for endpoint, fault in cases:
            future = self.cases[(endpoint, fault.name)]
            try:
                future.set_result(await self._run_case(lane, endpoint, fault))
            except asyncio.CancelledError:
                future.cancel()
                raise
            except Exception as err:  # the harness itself failed: report it in that case's test
                future.set_exception(err)

    async def _run_case(self, lane: Lane, endpoint: str, fault: Fault) -> CaseOutcome:
        flow, pool = POST_ENDPOINTS[endpoint]
        req = make_request(self.csv_path, lane.admin, flow=flow, pool=pool, name=f"Matrix {endpoint} {fault.name}")
        before = len(lane.admin.requests(endpoint))
        fault.add_to(lane.admin, endpoint)  # just before starting the campaign
        t0 = time.monotonic()
        result: CampaignResult | None = None
        error: BaseException | None = None
        try:
            result = await lane.run(req)
        except (WorkflowFailureError, AssertionError) as err:
            error = err
        finally:
            faults_left = lane.admin.faults()
            lane.admin.clear_faults()
        return CaseOutcome(
            req=req,
            result=result,
            error=error,
            seconds=elapsed_since(t0),
            endpoint_log=lane.admin.requests(endpoint)[before:],
            faults_left=faults_left,
        )


def _selected_matrix_cases(items: list[pytest.Item]) -> dict[str, list[Case]]:
    """The (endpoint, fault) cases this session will run (honours -k and node IDs) by lane, in fault order."""
    chosen: dict[str, list[Case]] = {}
    for item in items:
        if not isinstance(item, pytest.Function) or item.originalname != MATRIX_TEST:
            continue
        if item.module is None or item.module.__name__ != __name__:
            continue
        endpoint, fault = item.callspec.params["endpoint"], item.callspec.params["fault"]
        assert isinstance(endpoint, str) and isinstance(fault, Fault)
        chosen.setdefault(lane_of(endpoint, fault), []).append((endpoint, fault))
    order = {f.name: i for i, f in enumerate(MATRIX_FAULTS)}
    return {lane: sorted(set(cases), key=lambda c: order[c[1].name]) for lane, cases in chosen.items()}


@pytest_asyncio.fixture(scope="module")
async def matrix(request: pytest.FixtureRequest, stack_client: Client, csv_path: Path) -> AsyncIterator[Matrix]:
    selected = _selected_matrix_cases(request.session.items)
    contexts = [open_lane(stack_client) for _ in selected]
    opened = await asyncio.gather(*(cm.__aenter__() for cm in contexts), return_exceptions=True)
    try:
        lanes = [lane for lane in opened if isinstance(lane, Lane)]
        if len(lanes) != len(contexts):
            raise next(err for err in opened if isinstance(err, BaseException))
        running = Matrix(lanes=dict(zip(selected, lanes, strict=True)), csv_path=csv_path)
        running.start(selected)
        try:
            yield running
        finally:
            await running.stop()
    finally:  # stop the lanes' workers and simulators in parallel
        entered = [cm for cm, lane in zip(contexts, opened, strict=True) if isinstance(lane, Lane)]
        await asyncio.gather(*(cm.__aexit__(None, None, None) for cm in entered))


@pytest.mark.parametrize("fault", MATRIX_FAULTS, ids=str)
@pytest.mark.parametrize("endpoint", list(POST_ENDPOINTS))
async def test_post_survives_fault(matrix: Matrix, endpoint: str, fault: Fault) -> None:
    out = await matrix.outcome(endpoint, fault)
    lane = matrix.lane_for(endpoint, fault)
    where = f"[{endpoint} x {fault.name}, {out.seconds:.1f}s]"
    if out.error is not None:
        cause = out.error.cause if isinstance(out.error, WorkflowFailureError) else out.error
        pytest.fail(f"{where} the campaign did not complete: {cause!r}\nsimulator log:\n{lane.sim.log_tail()}")
    assert out.faults_left == [], f"{where} the fault was not fully applied: {out.faults_left}"
    faulted = [r for r in out.endpoint_log if r["fault"] == fault.kind]
    assert len(faulted) == fault.times, f"{where} expected {fault.times} faulted {endpoint} request(s): {faulted}"
    problems = invariant_problems(lane.admin, out.req, out.result)
    assert not problems, f"{where} " + "; ".join(problems)
    if fault.kind == "commit_then_drop":
        assert faulted[0]["status"] is None, f"{where} the connection should have been dropped: {faulted}"
    if fault.kind == "delay":
        assert faulted[0]["status"] == 200, f"{where} the slow request should have committed: {faulted}"
    if fault.kind in ("commit_then_drop", "delay"):
        # Committed on the first try: reconciling with Ringg must stop the POST from being sent again.
        assert len(out.endpoint_log) == 1, f"{where} {endpoint} was re-sent after it committed: {out.endpoint_log}"
    else:
        statuses = [r["status"] for r in out.endpoint_log]
        assert statuses[-1] == 200 and len(statuses) == fault.times + 1, f"{where} unexpected retries: {statuses}"


# -- one simulator for the other tests (each test resets it) -------------------------------------------------


@pytest_asyncio.fixture(scope="module")
async def lane(stack_client: Client) -> AsyncIterator[Lane]:
    async with open_lane(stack_client) as opened:
        yield opened


@pytest.fixture
def admin(lane: Lane) -> Iterator[SimAdmin]:
    lane.admin.reset()  # clears uploads, launches, faults and the request log
    lane.admin.configure(call_rate=FAST_CALL_RATE)
    yield lane.admin
    lane.admin.clear_faults()
    lane.admin.configure(call_rate=FAST_CALL_RATE)


def _next_attempt_gap(log: list[dict[str, Any]], endpoint: str) -> tuple[float, dict[str, Any]]:
    """Seconds from the end of the 429'd `endpoint` request to the next attempt's first request (the
    reconcile GET campaign/all, or the POST itself)."""
    limited = next(r for r in log if r["endpoint"] == endpoint and r["status"] == 429)
    retry = next(
        r
        for r in log
        if r["t_received"] > limited["t_done"] and r["endpoint"] in ("campaign_all", endpoint) and r is not limited
    )
    return retry["t_received"] - limited["t_done"], retry


# -- b. Retry-After -----------------------------------------------------------------------------------------
# Retries wait what Retry-After says (DESIGN.md principle 3).


async def test_retry_after_is_honoured_on_the_launch(lane: Lane, admin: SimAdmin, csv_path: Path) -> None:
    admin.add_fault("make_call_async", "rate_limit", retry_after=3)
    req = make_request(csv_path, admin, flow="large", name="Retry-After")
    result = await lane.run(req)
    problems = invariant_problems(admin, req, result)
    assert not problems, "; ".join(problems)
    log = admin.requests()
    gap, retry = _next_attempt_gap(log, "make_call_async")
    assert gap >= 3.0, f"the launch was retried {gap:.2f}s after a 429 with Retry-After: 3 (earlier): {retry}"
    assert gap < 3.0 + 4.0, f"the launch was retried only {gap:.2f}s after Retry-After: 3 (ignored?)"
    launches = [r["status"] for r in log if r["endpoint"] == "make_call_async"]
    assert launches == [429, 200], f"make-call-async requests: {launches}"


async def test_rate_limit_without_retry_after_still_retries_with_backoff(
    lane: Lane, admin: SimAdmin, csv_path: Path
) -> None:
    admin.add_fault("make_call_async", "rate_limit")
    req = make_request(csv_path, admin, flow="large", name="No Retry-After")
    result = await lane.run(req)
    problems = invariant_problems(admin, req, result)
    assert not problems, "; ".join(problems)
    log = admin.requests()
    gap, _ = _next_attempt_gap(log, "make_call_async")
    # RINGG_RETRY's first backoff interval is 2 s.
    assert gap >= 2.0, f"the launch was retried {gap:.2f}s after a bare 429: no backoff"
    launches = [r["status"] for r in log if r["endpoint"] == "make_call_async"]
    assert launches == [429, 200], f"make-call-async requests: {launches}"


# -- c. rejected requests fail at once ----------------------------------------------------------------------
# 401/403/400/422 are not retried (DESIGN.md principle 3).


async def _failure_of(lane: Lane, req: CampaignRequest, timeout_s: float = 30) -> tuple[ApplicationError, float]:
    t0 = time.monotonic()
    handle = await lane.start(req)
    with pytest.raises(WorkflowFailureError) as info:
        async with asyncio.timeout(timeout_s):
            await handle.result()
    cause = info.value.cause
    assert isinstance(cause, ApplicationError), f"the workflow failed with {cause!r}, not an ApplicationError"
    return cause, elapsed_since(t0)


async def test_wrong_api_key_fails_fast_before_any_upload(
    stack_client: Client, lane: Lane, admin: SimAdmin, csv_path: Path
) -> None:
    wrong_key = "wrong-key-9d2c41"
    async with worker_for(stack_client, lane.sim, api_key=wrong_key, prefix="badkey") as bad_worker:
        bad = Lane(sim=lane.sim, admin=admin, worker=bad_worker, client=stack_client)
        err, seconds = await _failure_of(bad, make_request(csv_path, admin, flow="large", name="Bad key"))
    assert err.type == "RinggAuthError" and err.non_retryable, f"unexpected failure type {err.type}: {err.message}"
    assert "RINGG_API_KEY" in err.message, f"the message should tell what to fix: {err.message}"
    assert wrong_key not in err.message, "the API key leaked into the failure message"
    assert seconds < 10, f"a 401 took {seconds:.1f}s to fail (retried?)"
    assert admin.requests("upload_csv") == [] and admin.requests("save") == [], "an upload was sent with a bad key"
    statuses = [(r["endpoint"], r["status"]) for r in admin.requests()]
    # The first Ringg call (the caller-number check) gets the 401, and nothing is sent after it.
    assert statuses == [("workspace_numbers", 401)], f"expected one 401 and nothing after it: {statuses}"


@pytest.mark.parametrize(
    ("endpoint", "flow", "error_type", "says"),
    [
        # A 403 to the large flow's upload means the workspace lacks large-campaign access; flow "large" was asked
        # for, so the campaign fails (flow "auto" would go on in chunks: tests/test_chunked_campaign.py).
        ("upload_csv", "large", "LargeFlowNotEnabled", 'start it with flow "auto"'),
        ("save", "standard", "RinggAuthError", "RINGG_API_KEY"),
    ],
)
async def test_forbidden_upload_fails_at_once(
    lane: Lane, admin: SimAdmin, csv_path: Path, endpoint: str, flow: RequestFlow, error_type: str, says: str
) -> None:
    admin.add_fault(endpoint, "http_error", status=403)
    req = make_request(csv_path, admin, flow=flow, name=f"Forbidden {flow}")
    err, seconds = await _failure_of(lane, req)
    assert err.type == error_type and err.non_retryable, f"unexpected failure type {err.type}: {err.message}"
    assert says in err.message and "403" in err.message, err.message
    assert seconds < 10, f"a 403 took {seconds:.1f}s to fail (retried?)"
    assert [r["status"] for r in admin.requests(endpoint)] == [403], "a 403 upload must not be retried"
    assert uploads_named(admin, req.campaign_name) == []


@pytest.mark.parametrize("status", [422, 400])
async def test_rejected_launch_fails_at_once_without_launching(
    lane: Lane, admin: SimAdmin, csv_path: Path, status: int
) -> None:
    admin.add_fault("make_call_async", "http_error", status=status)
    req = make_request(csv_path, admin, flow="large", name=f"Rejected {status}")
    err, seconds = await _failure_of(lane, req)
    assert err.type == "RinggRejected" and err.non_retryable, f"unexpected failure type {err.type}: {err.message}"
    assert "simulated server error" in err.message, f"the server's message is missing: {err.message}"
    assert f"-> {status}" in err.message, err.message
    assert seconds < 10, f"a {status} launch took {seconds:.1f}s to fail (retried?)"
    assert [r["status"] for r in admin.requests("make_call_async")] == [status], "a rejected launch was re-sent"
    [upload] = uploads_named(admin, req.campaign_name)
    assert upload["list_id"] not in admin.stats()["launches"], "a launch was counted for a rejected request"


# -- d. faults on polls and monitoring ----------------------------------------------------------------------
# They only slow a campaign down.

POLL_FAULTS = [
    Fault("429", "rate_limit", times=2),
    Fault("500", "http_error", times=2, status=500),
    Fault("slow_past_timeout", "delay", delay_s=SLOW_S),
]


@pytest.mark.parametrize("fault", POLL_FAULTS, ids=str)
async def test_upload_status_faults_only_delay_the_campaign(
    lane: Lane, admin: SimAdmin, csv_path: Path, fault: Fault
) -> None:
    fault.add_to(admin, "upload_status")
    req = make_request(csv_path, admin, flow="large", name=f"Upload status {fault.name}")
    result = await lane.run(req)
    problems = invariant_problems(admin, req, result)
    assert not problems, f"[upload_status x {fault.name}] " + "; ".join(problems)
    assert admin.faults() == [], f"the fault was not fully applied: {admin.faults()}"
    polls = admin.requests("upload_status")
    assert len([r for r in polls if r["fault"] == fault.kind]) == fault.times, polls
    assert polls[-1]["status"] == 200 and polls[-1]["fault"] is None, f"upload-status never answered: {polls}"


MONITOR_FAULTS = [
    ("history", Fault("500", "http_error", times=2, status=500)),
    ("history", Fault("429_retry_after_1", "rate_limit", retry_after=1)),
    ("history", Fault("slow_past_timeout", "delay", delay_s=SLOW_S)),
    ("campaign_all", Fault("503", "http_error", status=503)),
    ("campaign_all", Fault("slow_past_timeout", "delay", delay_s=SLOW_S)),
]


@pytest.mark.parametrize(("endpoint", "fault"), MONITOR_FAULTS, ids=[f"{e}-{f}" for e, f in MONITOR_FAULTS])
async def test_monitoring_faults_only_delay_the_campaign(
    lane: Lane, admin: SimAdmin, csv_path: Path, endpoint: str, fault: Fault
) -> None:
    where = f"[{endpoint} x {fault.name}]"
    admin.configure(call_rate=0.01)  # calls 100 simulated (0.5 wall) seconds apart: monitoring lasts a few s
    req = make_request(csv_path, admin, flow="large", name=f"Monitor {endpoint} {fault.name}")
    handle = await lane.start(req)
    await wait_until(
        lambda: _is_monitoring(handle), timeout_s=CASE_TIMEOUT_S, what=f"{where} the monitoring stage", every_s=0.02
    )
    fault.add_to(admin, endpoint)
    async with asyncio.timeout(CASE_TIMEOUT_S):
        result = await handle.result()
    problems = invariant_problems(admin, req, result)
    assert not problems, f"{where} " + "; ".join(problems)
    assert admin.faults() == [], f"{where} the fault did not hit monitoring (campaign ended first?)"
    launched = next(r for r in admin.requests("make_call_async") if r["status"] == 200)
    faulted = [r for r in admin.requests(endpoint) if r["fault"] == fault.kind]
    assert len(faulted) == fault.times, f"{where} {faulted}"
    assert all(r["t_received"] > launched["t_done"] for r in faulted), f"{where} a fault hit before the launch"
    assert result.total_calls == ROWS, f"{where} counted {result.total_calls} calls, expected {ROWS}"


async def _is_monitoring(handle: WorkflowHandle[CampaignWorkflow, CampaignResult]) -> bool:
    return await stage_of(handle) == "monitoring"


# -- regressions of production bugs these tests found ---------------------------------------------------------------


async def test_finished_campaign_result_reports_a_final_status(
    stack_client: Client, lane: Lane, admin: SimAdmin, csv_path: Path
) -> None:
    # The first monitoring poll reads Ringg's status right after the launch; its history request (one page: the
    # tiny campaign's calls fit in it) answers 2 s later (a worker with a 10 s client timeout waits for it), after
    # every call of the tiny campaign has ended (each lasts at most ~191 simulated s = 0.96 s here).
    admin.add_fault("history", "delay", times=1, delay_s=2.0)
    patient = httpx.Timeout(10.0, connect=2.0)
    async with worker_for(stack_client, lane.sim, prefix="patient", timeout=patient) as worker:
        patient_lane = Lane(sim=lane.sim, admin=admin, worker=worker, client=stack_client)
        req = make_request(csv_path, admin, flow="standard", name="Final status")
        result = await patient_lane.run(req)
    problems = invariant_problems(admin, req, result)
    assert not problems, "; ".join(problems)  # the campaign did finish, and was counted in full
    assert [r["status"] for r in admin.requests("history") if r["fault"]] == [200], "the delay did not apply"
    assert (result.status, result.ringg_status) == ("completed", "completed"), (
        f"a finished campaign (Ringg: completed, calls {result.calls_by_status}) ended with "
        f"status={result.status!r}, ringg_status={result.ringg_status!r}"
    )
