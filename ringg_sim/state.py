"""The simulator's in-memory world: contact lists/campaigns, launches, credits and counters."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, Literal, TypedDict

from ringg_sim.config import SimConfig
from ringg_sim.csvcheck import ContactList, parse_phone_list
from ringg_sim.faults import FaultBook
from ringg_sim.lifecycle import (
    ONGOING,
    REGISTERED,
    RETRY,
    Launch,
    Traits,
    make_traits,
)
from ringg_sim.webhooks import WebhookBook

Clock = Callable[[], float]
Flow = Literal["large", "standard"]

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
    """An uploaded list; list_id == bulk_list_id == campaign id."""

    __slots__ = (
        "_traits",
        "additional_balance",
        "agent_id",
        "balance_status",
        "call_config",
        "contacts",
        "country_code",
        "created_at",
        "end_time",
        "file_name",
        "flow",
        "id",
        "invalid_url",
        "launches",
        "name",
        "ready_at",
        "start_time",
        "terminated",
        "updated_at",
    )

    def __init__(self, cid: str, name: str, agent_id: str, flow: Flow, contacts: ContactList, now: float) -> None:
        self.id, self.name, self.agent_id, self.flow, self.contacts = cid, name, agent_id, flow, contacts
        self.created_at = self.updated_at = self.ready_at = now
        self.country_code = ""
        self.file_name: str | None = None
        self.call_config: dict[str, Any] = {}
        self.start_time: str | None = None  # ISO-8601
        self.end_time: str | None = None
        self.invalid_url: str | None = None
        self.balance_status: str | None = None
        self.additional_balance: float | None = None
        self.launches: list[Launch] = []
        self.terminated = False
        self._traits: Traits | None = None

    def processed(self, now: float) -> bool:
        return now >= self.ready_at

    def usable(self, now: float) -> bool:
        return self.processed(now) and self.contacts.error is None

    def traits(self, seed: int) -> Traits:
        if self._traits is None:
            self._traits = make_traits(seed, self.id, self.contacts.valid_rows)
        return self._traits


class SimState:
    def __init__(self, config: SimConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or time.time
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
        self._by_seq: dict[int, Launch] = {}
        self._last_t0 = 0.0
        if not keep_faults:
            self.faults.clear()

    def now(self) -> float:
        return self.clock()

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- campaigns --------------------------------------------------------------------------------
    def add_campaign(self, name: str, agent_id: str, flow: Flow, contacts: ContactList) -> Campaign:
        now = self.now()
        c = Campaign(self.new_id(), name, agent_id, flow, contacts, now)
        if flow == "large":
            cfg = self.config
            c.ready_at = now + cfg.time_scale * (cfg.upload_base_s + contacts.total_rows / cfg.upload_rows_per_s)
        self.campaigns[c.id] = c
        return c

    def get(self, list_id: str, what: str = "Campaign") -> Campaign:
        c = self.campaigns.get(list_id)
        if c is None:
            raise SimError(404, f"{what} not found")
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
        if not any(ln.started(ln.el(now)) for ln in c.launches):
            return "scheduled"
        return "ongoing"

    def counts(self, c: Campaign, now: float) -> list[int]:
        total = [0] * 7
        for ln in c.launches:
            for code, v in enumerate(ln.counts(ln.el(now))):
                total[code] += v
        return total

    def ended_at(self, c: Campaign) -> float | None:
        if not c.launches:
            return None
        return max(ln.wall(ln.end_el) for ln in c.launches)

    # -- credits & launches -----------------------------------------------------------------------
    def required_credits(self, c: Campaign) -> float:
        return c.contacts.valid_rows * self.config.credits_per_call

    def launch(
        self,
        c: Campaign,
        agent_id: str,
        from_numbers: tuple[str, ...],
        concurrency_pct: int | None,
        call_config: dict[str, Any] | None,
    ) -> Launch:
        cfg = self.config
        required = self.required_credits(c)
        if required > self.credits:
            raise SimError(
                402,
                f"Insufficient credits: {num(required)} required, {num(self.credits)} available",
                "error",
            )
        self.credits -= required
        rate = cfg.call_rate * (concurrency_pct / 100 if concurrency_pct else 1.0)
        retries = _retry_count(call_config or c.call_config)
        # launch timestamps are strictly increasing so (created_at, id) ordering is global and stable
        t0 = max(self.now(), self._last_t0 + 1e-6)
        self._last_t0 = t0
        ln = Launch(
            seq=self._next_seq,
            list_id=c.id,
            agent_id=agent_id,
            t0=t0,
            scale=cfg.time_scale,
            rate=rate,
            delay=cfg.schedule_delay_s,
            retry_delay=cfg.retry_delay_s,
            retries=retries,
            traits=c.traits(cfg.seed),
            from_numbers=from_numbers,
            cpc=cfg.credits_per_call,
            seed=cfg.seed,
        )
        self._next_seq += 1
        self.launches.append(ln)
        self._by_seq[ln.seq] = ln
        c.launches.append(ln)
        c.terminated = False
        c.balance_status = None
        c.additional_balance = None
        c.updated_at = t0
        return ln

    # -- termination ------------------------------------------------------------------------------
    def terminate(
        self,
        *,
        campaign_id: str | None,
        mobile_numbers: list[str] | None,
        call_ids: list[str] | None,
        agent_id: str | None,
    ) -> int:
        now = self.now()
        launches: list[Launch]
        if campaign_id is not None:
            c = self.get(campaign_id)
            launches = list(c.launches)
        elif agent_id is not None and not mobile_numbers and not call_ids:
            launches = [ln for ln in self.launches if ln.agent_id == agent_id]
        else:
            launches = list(self.launches)
        cancelled = 0
        if call_ids:
            by_seq = {ln.seq: ln for ln in launches}
            per_launch: dict[int, list[int]] = {}
            for cid in call_ids:
                found = self.find_call(cid)
                if found is not None and found[0].seq in by_seq:
                    per_launch.setdefault(found[0].seq, []).append(found[1])
            for seq, idx in per_launch.items():
                cancelled += by_seq[seq].cancel_pending(now, sorted(set(idx)))
        elif mobile_numbers:
            wanted = parse_phone_list(mobile_numbers)
            for ln in launches:
                nums = self.campaigns[ln.list_id].contacts.numbers
                idx = [i for i, num in enumerate(nums) if num in wanted]
                if idx:
                    cancelled += ln.cancel_pending(now, idx)
        else:
            for ln in launches:
                cancelled += ln.cancel_pending(now)
            if campaign_id is not None:
                c = self.campaigns[campaign_id]
                c.terminated = bool(c.launches)
                c.updated_at = now
        self.credits += cancelled * self.config.credits_per_call
        self.terminations.append(
            {
                "campaign_id": campaign_id,
                "agent_id": agent_id,
                "mobile_numbers_count": len(mobile_numbers or []),
                "call_ids_count": len(call_ids or []),
                "cancelled": cancelled,
            }
        )
        return cancelled

    def find_call(self, call_id: str) -> tuple[Launch, int] | None:
        hexed = call_id.replace("-", "").lower()
        if len(hexed) != 32:
            return None
        try:
            seq, idx = int(hexed[:8], 16), int(hexed[8:16], 16)
        except ValueError:
            return None
        ln = self._by_seq.get(seq)
        if ln is None or idx >= ln.n or ln.call_id(idx) != call_id.lower():
            return None
        return ln, idx

    def locked_credits(self, now: float) -> float:
        locked = 0.0
        for ln in self.launches:
            c = ln.counts(ln.el(now))
            locked += (c[REGISTERED] + c[ONGOING] + c[RETRY]) * ln.cpc
        return locked


def _retry_count(call_config: dict[str, Any]) -> int:
    rc = call_config.get("call_retry_config") if isinstance(call_config, dict) else None
    value = rc.get("retry_count", 1) if isinstance(rc, dict) else call_config.get("retry_count", 1)
    try:
        return max(0, min(3, int(value)))
    except (TypeError, ValueError):
        return 1


def num(x: float) -> int | float:
    """JSON-friendly number: integral floats become ints."""
    return int(x) if float(x).is_integer() else round(x, 4)
