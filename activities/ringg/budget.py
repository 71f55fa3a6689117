"""The worker's Ringg request pacer: the deployment's shared budget (ledger/budget.py) waited on inside activities,
bounded so a wait never outlives the activity's timeouts, counted in metrics and shown in a poll's snapshot."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import TypeVar

import structlog
from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity

from activities.ringg.reconcile import RinggBase
from contract.campaign import RinggBudgetView
from contract.chunk_steps import ChunkSnapshot
from contract.ringg_steps import CampaignSnapshot
from ledger.budget import DEFAULT_MAX_WAIT_S, RinggBudget
from ringg import RinggBudgetBusy

log = structlog.get_logger()

BUDGET_RATE = "ringg_budget_rate"
BUDGET_WAIT = "ringg_budget_wait"
BUDGET_BUSY = "ringg_budget_busy"
BUDGET_THROTTLED = "ringg_budget_throttled"
THROTTLED_RECENT_S = 60.0  # a 429 this recent shows as `throttled` in progress
UNREACHABLE_LOG_EVERY_S = 60.0

_WAITS: ContextVar[list[float] | None] = ContextVar("ringg_budget_waits", default=None)
S = TypeVar("S", bound=RinggBase)
I = TypeVar("I")  # noqa: E741 (the activity's input)
R = TypeVar("R", CampaignSnapshot, ChunkSnapshot)


def max_wait_s() -> float:
    """How long one request may wait for a slot inside the current activity: a quarter of its start-to-close
    timeout and half its heartbeat timeout (waits do not heartbeat: an activity's heartbeat details carry its
    resume point), at most DEFAULT_MAX_WAIT_S. A longer queue raises RinggBudgetBusy, retried after the wait."""
    if not activity.in_activity():
        return DEFAULT_MAX_WAIT_S
    info = activity.info()
    bounds = [DEFAULT_MAX_WAIT_S]
    if info.start_to_close_timeout:
        bounds.append(info.start_to_close_timeout.total_seconds() / 4)
    if info.heartbeat_timeout:
        bounds.append(info.heartbeat_timeout.total_seconds() / 2)
    return max(0.5, min(bounds))


class ActivityBudget:
    """A `ringg.RequestPacer` over the shared budget. When the ledger cannot be reached the request goes unpaced
    (logged once a minute): Ringg's own 429s are still retried, and a campaign never waits on the ledger.
    `wait_bound` gives how long a request may wait for its slot: the activity's share of its timeouts
    (`max_wait_s`), or a caller's own bound outside activities (the API's start checks)."""

    def __init__(self, budget: RinggBudget, wait_bound: Callable[[], float] = max_wait_s) -> None:
        self.budget = budget
        self.wait_bound = wait_bound
        self._unreachable_logged = 0.0

    async def acquire(self, endpoint: str) -> None:
        try:
            waited = await self.budget.wait_for_slot(endpoint, self.wait_bound())
        except RinggBudgetBusy:
            _count(BUDGET_BUSY, endpoint)
            raise
        except (SQLAlchemyError, OSError) as err:
            self._unreachable(err)
            return
        _gauge(BUDGET_RATE, waited.rate)
        if (waits := _WAITS.get()) is not None:
            waits.append(waited.waited_s)
        if activity.in_activity():
            meter = activity.metric_meter()
            meter.create_histogram_timedelta(
                BUDGET_WAIT, "Time a Ringg request waited for the deployment's request budget", "duration"
            ).record(timedelta(seconds=waited.waited_s), {"endpoint": endpoint})

    async def on_response(self, endpoint: str, status: int | None, retry_after: float | None) -> None:
        if status != 429:
            return
        _count(BUDGET_THROTTLED, endpoint)
        try:
            bucket = await self.budget.throttled(retry_after)
        except (SQLAlchemyError, OSError) as err:
            self._unreachable(err)
            return
        _gauge(BUDGET_RATE, bucket.rate)
        log.info("ringg_budget_cut", endpoint=endpoint, rate=round(bucket.rate, 2), retry_after=retry_after)

    async def view(self, waited_s: float) -> RinggBudgetView | None:
        try:
            state = await self.budget.state()
        except (SQLAlchemyError, OSError) as err:
            self._unreachable(err)
            return None
        recent = state.last_429_ago_s is not None and state.last_429_ago_s < THROTTLED_RECENT_S
        return RinggBudgetView(
            rate=round(state.rate, 3), ceiling=state.ceiling, throttled=recent, waited_s=round(waited_s, 3)
        )

    def _unreachable(self, err: Exception) -> None:
        now = time.monotonic()
        if now - self._unreachable_logged >= UNREACHABLE_LOG_EVERY_S:
            self._unreachable_logged = now
            log.warning("ringg_budget_unreachable", error=type(err).__name__, effect="requests go unpaced")


def with_budget_view(snapshot: Callable[[S, I], Awaitable[R]]) -> Callable[[S, I], Awaitable[R]]:
    """For a snapshot activity (a campaign's or its chunks'): the budget's view (with the longest wait of this
    snapshot's requests) goes into the `budget` field of the snapshot it returns."""

    @functools.wraps(snapshot)
    async def run(self: S, inp: I) -> R:
        waits: list[float] = []
        token = _WAITS.set(waits)
        try:
            result = await snapshot(self, inp)
        finally:
            _WAITS.reset(token)
        pacer = self._ringg.pacer
        if not isinstance(pacer, ActivityBudget):
            return result
        return result.model_copy(update={"budget": await pacer.view(max(waits, default=0.0))})

    return run


def _count(name: str, endpoint: str) -> None:
    if activity.in_activity():
        descriptions = {
            BUDGET_BUSY: "Ringg requests not sent because the request budget had no slot soon enough (retried)",
            BUDGET_THROTTLED: "429 answers from Ringg that cut the request budget",
        }
        activity.metric_meter().create_counter(name, descriptions[name]).add(1, {"endpoint": endpoint})


def _gauge(name: str, value: float) -> None:
    if activity.in_activity():
        meter = activity.metric_meter()
        meter.create_gauge_float(name, "Requests per second the Ringg request budget allows now").set(value)
