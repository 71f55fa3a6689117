"""The simulator's in-memory world: contact lists/campaigns, launches on the shared dialler, credits, counters."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter, deque
from typing import Any, Literal, TypedDict

from ringg_sim.callbacks import CallbackBook
from ringg_sim.clock import SimClock, WallClock
from ringg_sim.config import SimConfig
from ringg_sim.csvcheck import ContactList
from ringg_sim.dialer import Dial, Dialer
from ringg_sim.faults import FaultBook
from ringg_sim.gate import Gate, Pauses
from ringg_sim.lifecycle import ONGOING, REGISTERED, RETRY, Launch, Traits, make_traits
from ringg_sim.plan import CallPlan
from ringg_sim.webhooks import WebhookBook

Clock = WallClock
Flow = Literal["large", "standard"]
STARTED_STATUSES = ("scheduled", "ongoing", "running", "paused", "completed")

# The request log keeps the most recent API requests only (admin route GET /_sim/requests).
REQUEST_LOG_MAX = 10_000


class RequestRecord(TypedDict):
    """One API request as the gateway handled it (after fault handling was decided)."""

    endpoint: str | None  # fault endpoint name (config.EndpointName); None for an unknown API path
    method: str
    status: int | None  # HTTP status sent; None when the connection was dropped without a response
    t_received: float  # time.monotonic() of the simulator process
    t_done: float
    fault: str | None  # the fault kind applied to this request, if any


class SimError(Exception):
    """Raised by state operations; api.py turns it into an HTTP response."""

    def __init__(self, status: int, message: str, shape: str = "detail") -> None:
        super().__init__(message)
        self.status, self.message, self.shape = status, message, shape


class Campaign:
    """An uploaded list; list_id == bulk_list_id == campaign id. Instants: `*_at` simulated, `wall_*` wall."""

    def __init__(self, cid: str, name: str, agent_id: str, flow: Flow, contacts: ContactList, now: float) -> None:
        self.id, self.name, self.agent_id, self.flow, self.contacts = cid, name, agent_id, flow, contacts
        self.created_at = self.ready_at = now
        self.wall_created = self.wall_updated = 0.0
        self.country_code = ""
        self.file_name: str | None = None
        self.plan: CallPlan | None = None
        self.call_config: dict[str, Any] = {}
        self.invalid_url: str | None = None
        self.balance_status: str | None = None
        self.additional_balance: float | None = None
        self.launches: list[Launch] = []
        self.terminated = False
        self.pauses: Pauses = []
        self._traits: Traits | None = None

    def processed(self, now: float) -> bool:
        return now >= self.ready_at

    def usable(self, now: float) -> bool:
        return self.processed(now) and self.contacts.error is None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    def traits(self, seed: int) -> Traits:
        if self._traits is None:
            self._traits = make_traits(seed, self.id, self.contacts.size, self.contacts.kept_invalid)
        return self._traits


class SimState:
    def __init__(self, config: SimConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = SimClock(clock or time.time, config.time_scale)
        self.faults = FaultBook(config.faults)
        # ids stay unique for the whole process (reset does not rewind them), and are deterministic
        # from the seed for a fresh process
        self._rng = random.Random(config.seed)
        self._next_seq = 1
        self.reset(keep_faults=True)

    def reset(self, keep_faults: bool = False) -> None:
        self.campaigns: dict[str, Campaign] = {}
        self.launches: list[Launch] = []
        self.credits = float(self.config.credits)
        self.requests: Counter[str] = Counter()
        self.request_log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_MAX)
        self.terminations: list[dict[str, Any]] = []
        self.webhooks = WebhookBook()
        self.callbacks = CallbackBook()
        self.dialer = Dialer(self.clock.now())
        self.by_seq: dict[int, Launch] = {}  # launch seq (the first field of its call ids) -> launch
        self._by_dial: dict[int, Launch] = {}
        self._last_wall_t0 = 0.0
        if not keep_faults:
            self.faults.clear()

    def apply_config(self, config: SimConfig) -> None:
        self.now()  # the dialler runs at the old capacity up to this instant
        self.clock.set_scale(config.time_scale)
        self.config = config

    # -- time -------------------------------------------------------------------------------------
    def now(self) -> float:
        """The simulated clock, with every launch's dialling advanced to it."""
        t = self.clock.now()
        cfg = self.config
        capacity = cfg.call_rate * (1 - cfg.api_concurrency_pct / 100)
        self.dialer.advance(t, capacity, self._expire)
        for ln in self.launches:
            if ln.refund_due:
                self.credits += ln.refund_due * ln.cpc
                ln.refund_due = 0
        return t

    def advance_clock(self, to: float, wall_to: float | None = None) -> float:
        """Jump the simulated clock forward to `to` (not ahead of it: nothing changes), and the wall clock to
        `wall_to` if given. Nothing is lost in the stretch jumped over: the dialler is event-driven, so the next
        reading places every call, retry, window end and refund due in it at its own simulated instant."""
        self.clock.advance_to(to, wall_to)
        return self.now()

    def _expire(self, dial: Dial, at: float) -> None:
        self._by_dial[id(dial)].expire(at)

    def wall(self) -> float:
        return self.clock.wall()

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- campaigns --------------------------------------------------------------------------------
    def add_campaign(self, name: str, agent_id: str, flow: Flow, contacts: ContactList) -> Campaign:
        now = self.now()
        c = Campaign(self.new_id(), name, agent_id, flow, contacts, now)
        c.wall_created = c.wall_updated = self.wall()
        if flow == "large":
            cfg = self.config
            c.ready_at = now + cfg.upload_base_s + contacts.total_rows / cfg.upload_rows_per_s
        self.campaigns[c.id] = c
        return c

    def get(self, list_id: str, what: str = "Campaign", status: int = 404) -> Campaign:
        c = self.campaigns.get(list_id)
        if c is None:
            raise SimError(status, f"{what} not found")
        return c

    def status(self, c: Campaign, now: float | None = None) -> str:
        now = self.now() if now is None else now
        if c.contacts.error is not None:
            return "failed"
        if not c.launches:
            return (c.balance_status if c.processed(now) else None) or "draft"
        if c.terminated:
            return "terminated"
        counts = self.counts(c, now)
        if counts[REGISTERED] + counts[ONGOING] + counts[RETRY] == 0:
            return "completed"
        if c.paused:
            return "paused"
        if not any(ln.started(now) for ln in c.launches):
            return "scheduled"
        return self.config.active_status

    def counts(self, c: Campaign, now: float) -> list[int]:
        total = [0] * 7
        for ln in c.launches:
            for code, v in enumerate(ln.counts(now)):
                total[code] += v
        return total

    def ended_at(self, c: Campaign) -> float | None:
        """Simulated instant the campaign's last call settled."""
        ends = [ln.last_end for ln in c.launches if ln.last_end is not None]
        return max(ends) if ends else None

    def has_ongoing_calls(self, besides: Campaign) -> bool:
        now = self.now()
        return any(ln.counts(now)[ONGOING] for c in self.campaigns.values() if c is not besides for ln in c.launches)

    # -- credits & launches -----------------------------------------------------------------------
    def required_credits(self, c: Campaign) -> float:
        return c.contacts.size * self.config.credits_per_call

    def launch(
        self,
        c: Campaign,
        agent_id: str,
        from_numbers: tuple[str, ...],
        concurrency_pct: int | None,
        plan: CallPlan,
        *,
        callback_url: str | None = None,
        email_user_ids: list[str] | None = None,
    ) -> Launch:
        cfg = self.config
        now = self.now()
        required = self.required_credits(c)
        if required > self.credits:
            raise SimError(
                402,
                f"Insufficient credits: {num(required)} required, {num(self.credits)} available",
                "error",
            )
        self.credits -= required
        # launch wall timestamps are strictly increasing so (created_at, id) ordering is global and stable
        wall_t0 = max(self.wall(), self._last_wall_t0 + 1e-6)
        self._last_wall_t0 = wall_t0
        gate = Gate(plan, now + cfg.schedule_delay_s, c.pauses)
        dial = Dial(n=c.contacts.size, gate=gate, concurrency_pct=concurrency_pct or 0)
        ln = Launch(
            seq=self._next_seq,
            list_id=c.id,
            agent_id=agent_id,
            t0=now,
            wall_t0=wall_t0,
            plan=plan,
            dial=dial,
            traits=c.traits(cfg.seed),
            invalid_subs=c.contacts.kept_invalid,
            retry_default_s=cfg.retry_delay_s,
            from_numbers=from_numbers,
            cpc=cfg.credits_per_call,
            seed=cfg.seed,
        )
        ln.callback_url, ln.email_user_ids = callback_url, email_user_ids
        self._next_seq += 1
        self.launches.append(ln)
        self.by_seq[ln.seq] = ln
        self._by_dial[id(dial)] = ln
        self.dialer.add(dial)
        c.launches.append(ln)
        c.terminated = False
        c.balance_status = None
        c.additional_balance = None
        c.wall_updated = wall_t0
        return ln

    # -- pause / resume (admin only: Ringg documents the status, not an API) -----------------------
    def pause(self, c: Campaign) -> None:
        now = self.now()
        if not c.paused:
            c.pauses.append([now, None])
            self._touched(c)

    def resume(self, c: Campaign) -> None:
        now = self.now()
        if c.paused:
            c.pauses[-1][1] = now
            self._touched(c)

    def _touched(self, c: Campaign) -> None:
        c.wall_updated = self.wall()
        for ln in c.launches:
            ln.invalidate()

    def locked_credits(self, now: float) -> float:
        return sum(ln.pending(now) * ln.cpc for ln in self.launches)


def num(x: float) -> int | float:
    """JSON-friendly number: integral floats become ints."""
    return int(x) if float(x).is_integer() else round(x, 4)
