"""A launch's calls, computed lazily on the simulated clock: when each call's attempts happen (dialling capacity,
window, daily call time, retries) and its status at any time."""

from __future__ import annotations

import hashlib
import random
from typing import NamedTuple

from ringg_sim.dialer import Dial
from ringg_sim.gate import Gate
from ringg_sim.plan import CallPlan

REGISTERED, ONGOING, RETRY, COMPLETED, FAILED, ERROR, CANCELLED = range(7)
STATUS_NAMES = ("registered", "ongoing", "retry", "completed", "failed", "error", "cancelled")
STATUS_CODES = {name: code for code, name in enumerate(STATUS_NAMES)}
TERMINAL = (COMPLETED, FAILED, ERROR, CANCELLED)
PENDING = 255  # `final` value of a call that has not settled

O_OK, O_FAIL, O_ERR, O_RETRY_OK, O_INVALID = range(5)
# random byte -> outcome: ~70% completed, ~15% failed after retries, ~5% error, ~10% retry then completed
_OUTCOME_TABLE = bytes(O_OK if b < 179 else O_FAIL if b < 217 else O_ERR if b < 230 else O_RETRY_OK for b in range(256))
_COMPLETED_SUBS = ("ACCEPTED", "ACCEPTED", "USER_LEFT", "USER_BECAME_IDLE")
_ERROR_SUBS = ("NOT_ABLE_TO_CALL", "PIPECAT_TIMEOUT")
_FAIL_SUBS = ("RETRY_LIMIT_REACHED", "USER_DID_NOT_JOIN", "VOICEMAIL_DETECTED")
REASONS = ("busy", "not_picked", "failed")  # why a retried attempt failed: call_retry_config's three waits
WINDOW_CLOSED = "CAMPAIGN_TIME_EXCEEDED"  # SKILL's sub-status list
TERMINATED = "USER_TERMINATED"
_BLOCK = 4096


class Traits(NamedTuple):
    """Per-list deterministic randomness: an outcome, two duration bytes and a retry-reason byte per row."""

    outcome: bytes
    b1: bytes
    b2: bytes
    b3: bytes


def make_traits(seed: int, list_id: str, n: int, invalid: dict[int, str] | None = None) -> Traits:
    rnd = random.Random(f"{seed}:{list_id}")
    outcome = bytearray(rnd.randbytes(n).translate(_OUTCOME_TABLE))
    for i in invalid or {}:
        outcome[i] = O_INVALID
    return Traits(bytes(outcome), rnd.randbytes(n), rnd.randbytes(n), rnd.randbytes(n))


class Attempt(NamedTuple):
    at: float  # simulated instant the attempt began
    duration: float
    result: str  # completed | error | invalid | one of REASONS


class CallView(NamedTuple):
    status: int
    sub_status: str
    attempts: int
    attempt_at: float | None  # simulated instant of the latest attempt's start
    next_attempt_at: float | None
    duration: float
    cost: float
    voicemail: bool
    ended_at: float | None = None  # simulated instant the call settled (terminal statuses)


class Launch:
    """One accepted launch of a list (a campaign start or make-call-async).

    Call i's first attempt starts when the shared dialler's progress for this launch reaches i; its later
    attempts follow call_config's retry rules, each waiting for the gate (window, daily call time, pauses). A
    call's status is a pure function of the time, so it is computed on demand; once a call has settled its final
    status is cached in the `final` bytearray, so counting and paging stay C-speed for a 1M-call launch.
    """

    def __init__(
        self,
        *,
        seq: int,
        list_id: str,
        agent_id: str,
        t0: float,
        wall_t0: float,
        plan: CallPlan,
        dial: Dial,
        traits: Traits,
        invalid_subs: dict[int, str],
        retry_default_s: float,
        from_numbers: tuple[str, ...],
        cpc: float,
        seed: int,
    ) -> None:
        self.seq, self.list_id, self.agent_id, self.seed = seq, list_id, agent_id, seed
        self.t0, self.wall_t0, self.plan, self.dial, self.traits = t0, wall_t0, plan, dial, traits
        self.invalid_subs, self.from_numbers, self.cpc = invalid_subs, from_numbers, cpc
        self.n = len(traits.outcome)
        self.retries = plan.retry_count
        self.waits = tuple(retry_default_s if m is None else m * 60.0 for m in plan.retry_minutes)
        self.final = bytearray([PENDING]) * self.n
        self.cancel_info: dict[int, tuple[int, float | None, str]] = {}  # i -> (attempts, last attempt, sub)
        self.cancel_ranges: list[tuple[int, int, str]] = []  # never-attempted calls cancelled in bulk
        self.settled_upto = 0
        self.last_end: float | None = None
        self.refund_due = 0
        self.terminated = False
        self.callback_url: str | None = None
        self.email_user_ids: list[str] | None = None
        self.end_reported = False
        self._live: dict[int, CallView] = {}
        self._live_t: float | None = None

    @property
    def gate(self) -> Gate:
        return self.dial.gate

    def started(self, t: float) -> int:
        return self.dial.started(t)

    def call_id(self, i: int) -> str:
        h = hashlib.blake2b(f"{self.seed}:{self.list_id}:{self.seq}:{i}".encode(), digest_size=8).hexdigest()
        return f"{self.seq:08x}-{i >> 16:04x}-{i & 0xFFFF:04x}-{h[:4]}-{h[4:]}"

    # -- one call -----------------------------------------------------------------------------------
    def timeline(self, i: int, t: float) -> tuple[CallView, list[Attempt]]:
        """Call i's status at t (it has started) and its attempts so far."""
        o, b1, b2 = self.traits.outcome[i], self.traits.b1[i], self.traits.b2[i]
        a = self.dial.start_time(i)
        if o == O_INVALID:
            att = [Attempt(a, 0.0, "invalid")]
            return CallView(FAILED, self.invalid_subs.get(i, "INVALID_NUMBER"), 1, a, None, 0.0, 0.0, False, a), att
        if o in (O_OK, O_ERR):
            d = 30 + 90 * b1 / 255 if o == O_OK else 1 + 9 * b1 / 255
            att = [Attempt(a, d, "completed" if o == O_OK else "error")]
            if t < a + d:
                return CallView(ONGOING, "ACCEPTED", 1, a, None, 0.0, 0.0, False), att
            if o == O_OK:
                view = CallView(COMPLETED, _COMPLETED_SUBS[b2 % 4], 1, a, None, round(d, 2), self.cpc, False, a + d)
                return view, att
            return CallView(ERROR, _ERROR_SUBS[b2 % 2], 1, a, None, 0.0, 0.0, False, a + d), att
        ring = 15 + 25 * b1 / 255
        reason = REASONS[self.traits.b3[i] % 3]
        atts: list[Attempt] = []
        m = 0
        while True:
            success = o == O_RETRY_OK and m == 1
            d = 30 + 90 * b2 / 255 if success else ring
            atts.append(Attempt(a, d, "completed" if success else reason))
            if t < a + d:
                return CallView(ONGOING, "ACCEPTED", m + 1, a, None, 0.0, 0.0, False), atts
            if success:
                return CallView(COMPLETED, "ACCEPTED", m + 1, a, None, round(d, 2), self.cpc, False, a + d), atts
            if m >= self.retries:
                sub = _FAIL_SUBS[b2 % 3] if self.retries else _FAIL_SUBS[1 + b2 % 2]
                vm = sub == "VOICEMAIL_DETECTED"
                dur = round(d, 2) if vm else 0.0
                return CallView(FAILED, sub, m + 1, a, None, dur, 0.0, vm, a + d), atts
            nxt = self.gate.next_open(a + d + self.waits[REASONS.index(reason)])
            if nxt is None:  # the window closes before the retry could be placed
                ends = max(a + d, self.gate.hi)
                if t >= ends:
                    return CallView(CANCELLED, WINDOW_CLOSED, m + 1, a, None, 0.0, 0.0, False, ends), atts
                return CallView(RETRY, "RETRY_SCHEDULED", m + 1, a, None, 0.0, 0.0, False), atts
            if not isinstance(nxt, float) or t < nxt:
                at = nxt if isinstance(nxt, float) else None
                return CallView(RETRY, "RETRY_SCHEDULED", m + 1, a, at, 0.0, 0.0, False), atts
            a, m = nxt, m + 1

    def view(self, i: int, t: float) -> CallView:
        f = self.final[i]
        if f == CANCELLED:
            info = self.cancel_info.get(i)
            if info is None:
                for lo, hi, sub in self.cancel_ranges:
                    if lo <= i < hi:
                        info = (0, None, sub)
                        break
            if info is not None:
                return CallView(CANCELLED, info[2], info[0], info[1], None, 0.0, 0.0, False)
        elif f == PENDING and i >= self.started(t):
            return CallView(REGISTERED, "QUEUED", 0, None, None, 0.0, 0.0, False)
        return self.timeline(i, t)[0]

    # -- aggregates ---------------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Forget the in-flight views computed at the current instant (a pause or resume changes them)."""
        self._live_t = None

    def refresh(self, t: float) -> dict[int, CallView]:
        """Settles every started call that has finished by t; returns the views of those still in flight."""
        if self._live_t == t:
            return self._live
        final, k = self.final, self.started(t)
        live: dict[int, CallView] = {}
        i = final.find(PENDING, self.settled_upto, k)
        while i != -1:
            v = self.timeline(i, t)[0]
            if v.status in TERMINAL:
                final[i] = v.status
                if v.ended_at is not None:
                    self.last_end = v.ended_at if self.last_end is None else max(self.last_end, v.ended_at)
                if v.status == CANCELLED:
                    self.refund_due += 1
            else:
                live[i] = v
            i = final.find(PENDING, i + 1, k)
        j = final.find(PENDING, self.settled_upto)
        self.settled_upto = self.n if j == -1 else j
        self._live, self._live_t = live, t
        return live

    def counts(self, t: float) -> list[int]:
        """Calls per status code at t."""
        live = self.refresh(t)
        k = self.started(t)
        out = [0] * 7
        for code in TERMINAL:
            out[code] = self.final.count(code)
        for v in live.values():
            out[v.status] += 1
        out[REGISTERED] = self.final.count(PENDING, k, self.n)
        return out

    def pending(self, t: float) -> int:
        c = self.counts(t)
        return c[REGISTERED] + c[ONGOING] + c[RETRY]

    def not_attempted(self) -> int:
        """Calls cancelled before any attempt (terminate or the window's end)."""
        return sum(hi - lo for lo, hi, _ in self.cancel_ranges) + sum(
            1 for a, _, _ in self.cancel_info.values() if a == 0
        )

    def select(self, status: int | None, t: float, offset: int, limit: int) -> tuple[int, list[int]]:
        """(number of calls matching `status` at t, indices of the page [offset, offset+limit))."""
        n = self.n
        if status is None:
            return n, list(range(min(offset, n), min(offset + limit, n)))
        live = self.refresh(t)
        if status in TERMINAL:
            return self.final.count(status), scan(self.final, status, 0, n, offset, limit)
        if status == REGISTERED:
            k = self.started(t)
            return self.final.count(PENDING, k, n), scan(self.final, PENDING, k, n, offset, limit)
        matching = sorted(i for i, v in live.items() if v.status == status)
        return len(matching), matching[offset : offset + limit]

    # -- stopping -----------------------------------------------------------------------------------
    def expire(self, at: float) -> None:
        """The window ended at `at`: calls not yet dialled are cancelled without an attempt."""
        self._cancel_unstarted(self.dial.stop(at), WINDOW_CLOSED, at)

    def _cancel_unstarted(self, k: int, sub: str, at: float) -> int:
        todo = self.final.count(PENDING, k, self.n)
        if todo:
            self.final[k:] = bytes([CANCELLED]) * (self.n - k)
            self.cancel_ranges.append((k, self.n, sub))
            self.refund_due += todo
            self.last_end = at if self.last_end is None else max(self.last_end, at)
        self._live_t = None
        return todo

    def cancel_pending(self, t: float, indices: list[int] | None = None) -> int:
        """Terminate: cancel calls that are registered or waiting for a retry at t; return how many."""
        live = self.refresh(t)
        k = self.started(t)
        bulk = self._cancel_unstarted(self.dial.stop(t), TERMINATED, t) if indices is None else 0
        one_by_one = 0
        for i in sorted(live) if indices is None else indices:
            if self.final[i] != PENDING:
                continue
            v = live.get(i)
            if i >= k:
                self.cancel_info[i] = (0, None, TERMINATED)
            elif v is not None and v.status == RETRY:
                self.cancel_info[i] = (v.attempts, v.attempt_at, TERMINATED)
            else:
                continue
            self.final[i] = CANCELLED
            one_by_one += 1
        if one_by_one:
            self.last_end = t if self.last_end is None else max(self.last_end, t)
            self.refund_due += one_by_one
        self._live_t = None
        return bulk + one_by_one


def scan(buf: bytearray, code: int, lo: int, hi: int, skip: int, limit: int) -> list[int]:
    """Indices i in [lo, hi) where buf[i] == code, skipping the first `skip` matches."""
    out: list[int] = []
    for b in range(lo, hi, _BLOCK):
        e = min(hi, b + _BLOCK)
        cnt = buf.count(code, b, e)
        if skip >= cnt:
            skip -= cnt
            continue
        i = buf.find(code, b, e)
        while i != -1:
            if skip:
                skip -= 1
            else:
                out.append(i)
                if len(out) == limit:
                    return out
            i = buf.find(code, i + 1, e)
    return out
