"""Time-based call progression, computed lazily from timestamps: a launch's calls and their statuses at any time."""

from __future__ import annotations

import hashlib
import math
import random
from typing import NamedTuple

REGISTERED, ONGOING, RETRY, COMPLETED, FAILED, ERROR, CANCELLED = range(7)
STATUS_NAMES = ("registered", "ongoing", "retry", "completed", "failed", "error", "cancelled")
STATUS_CODES = {name: code for code, name in enumerate(STATUS_NAMES)}
TERMINAL = (COMPLETED, FAILED, ERROR, CANCELLED)

O_OK, O_FAIL, O_ERR, O_RETRY_OK = range(4)
# random byte -> outcome: ~70% completed, ~15% failed after retries, ~5% error, ~10% retry then completed
_OUTCOME_TABLE = bytes(O_OK if b < 179 else O_FAIL if b < 217 else O_ERR if b < 230 else O_RETRY_OK for b in range(256))
_COMPLETED_SUBS = ("ACCEPTED", "ACCEPTED", "USER_LEFT", "USER_BECAME_IDLE")
_ERROR_SUBS = ("NOT_ABLE_TO_CALL", "PIPECAT_TIMEOUT")
_FAIL_SUBS = ("RETRY_LIMIT_REACHED", "USER_DID_NOT_JOIN", "VOICEMAIL_DETECTED")
_BLOCK = 4096


class Traits(NamedTuple):
    """Per-list deterministic randomness: one outcome byte and two duration bytes per row."""

    outcome: bytes
    b1: bytes
    b2: bytes


def make_traits(seed: int, list_id: str, n: int) -> Traits:
    rnd = random.Random(f"{seed}:{list_id}")
    return Traits(rnd.randbytes(n).translate(_OUTCOME_TABLE), rnd.randbytes(n), rnd.randbytes(n))


class CallView(NamedTuple):
    status: int
    sub_status: str
    attempts: int
    attempt_at: float | None  # simulated offset of the latest attempt start
    next_attempt_at: float | None
    duration: float
    cost: float
    voicemail: bool


class Launch:
    """One accepted launch of a list (a campaign start or make-call-async): n calls with a deterministic timeline.

    Call i starts at simulated offset `delay + i / rate`. Each call's whole timeline (attempts, retries, final
    outcome) is a pure function of per-list random bytes, so the status of any call at any time is computed on
    demand. Because start offsets are sorted and a call's timeline spans at most `maxspan` simulated seconds, at
    a given time only a small window of calls [j, k) is "in flight": calls before j are settled (their final
    status lives in the `final` bytearray) and calls from k on have not started. Counting and paging use C-speed
    bytearray operations on `final`, so a 1M-call launch answers in milliseconds.
    """

    __slots__ = (
        "_cache",
        "agent_id",
        "cancel_attempts",
        "cpc",
        "delay",
        "end_el",
        "final",
        "from_numbers",
        "list_id",
        "maxspan",
        "n",
        "rate",
        "retries",
        "retry_delay",
        "scale",
        "seed",
        "seq",
        "t0",
        "traits",
    )

    def __init__(
        self,
        *,
        seq: int,
        list_id: str,
        agent_id: str,
        t0: float,
        scale: float,
        rate: float,
        delay: float,
        retry_delay: float,
        retries: int,
        traits: Traits,
        from_numbers: tuple[str, ...],
        cpc: float,
        seed: int,
    ) -> None:
        self.seq, self.list_id, self.agent_id, self.seed = seq, list_id, agent_id, seed
        self.t0, self.scale, self.rate, self.delay = t0, scale, rate, delay
        self.retry_delay, self.retries, self.traits = retry_delay, retries, traits
        self.from_numbers, self.cpc = from_numbers, cpc
        self.n = len(traits.outcome)
        fail = bytes([FAILED])
        table = bytes([COMPLETED, FAILED, ERROR, COMPLETED if retries else FAILED]) + fail * 252
        self.final = bytearray(traits.outcome.translate(table))
        self.cancel_attempts: dict[int, int] = {}
        self.maxspan = max(120.0, (retries + 1) * 40 + retries * retry_delay, 160 + retry_delay) + 1.0
        lo = max(0, self.n - 2 - math.ceil(self.maxspan * rate))
        self.end_el = max((sum(self.attempts(i)[-1]) for i in range(lo, self.n)), default=delay)
        self._cache: list[int] | None = None

    # -- time helpers -------------------------------------------------------------------------------
    def el(self, now: float) -> float:
        return (now - self.t0) / self.scale

    def wall(self, offset: float) -> float:
        return self.t0 + offset * self.scale

    def start(self, i: int) -> float:
        return self.delay + i / self.rate

    def started(self, el: float) -> int:
        """Number of calls whose first attempt has begun (k)."""
        if el < self.delay:
            return 0
        return min(self.n, math.floor((el - self.delay) * self.rate) + 1)

    def settled(self, el: float, k: int) -> int:
        """Calls before this index are certainly finished (j <= k)."""
        return min(k, self.started(el - self.maxspan))

    def call_id(self, i: int) -> str:
        h = hashlib.blake2b(f"{self.seed}:{self.list_id}:{self.seq}:{i}".encode(), digest_size=8).hexdigest()
        return f"{self.seq:08x}-{i >> 16:04x}-{i & 0xFFFF:04x}-{h[:4]}-{h[4:]}"

    # -- one call -----------------------------------------------------------------------------------
    def attempts(self, i: int) -> list[tuple[float, float]]:
        """(start offset, duration) of every attempt of call i."""
        o, b1, b2 = self.traits.outcome[i], self.traits.b1[i], self.traits.b2[i]
        s = self.start(i)
        if o == O_OK:
            return [(s, 30 + 90 * b1 / 255)]
        if o == O_ERR:
            return [(s, 1 + 9 * b1 / 255)]
        ring = 15 + 25 * b1 / 255
        if o == O_RETRY_OK and self.retries:
            return [(s, ring), (s + ring + self.retry_delay, 30 + 90 * b2 / 255)]
        step = ring + self.retry_delay
        return [(s + m * step, ring) for m in range(self.retries + 1 if o == O_FAIL else 1)]

    def _code_started(self, i: int, el: float) -> int:
        f = self.final[i]
        if f == CANCELLED:
            return CANCELLED
        for m, (a, d) in enumerate(self.attempts(i)):
            if el < a:
                return RETRY if m else ONGOING
            if el < a + d:
                return ONGOING
        return f

    def view(self, i: int, el: float) -> CallView:
        f = self.final[i]
        if f == CANCELLED:
            done = self.cancel_attempts.get(i, 0)
            at = self.attempts(i)[done - 1][0] if done else None
            return CallView(CANCELLED, "USER_TERMINATED", done, at, None, 0.0, 0.0, False)
        if i >= self.started(el):
            return CallView(REGISTERED, "QUEUED", 0, None, None, 0.0, 0.0, False)
        atts = self.attempts(i)
        for m, (a, d) in enumerate(atts):
            if el < a and m:
                return CallView(RETRY, "RETRY_SCHEDULED", m, atts[m - 1][0], a, 0.0, 0.0, False)
            if el < a + d:
                return CallView(ONGOING, "ACCEPTED", m + 1, a, None, 0.0, 0.0, False)
        b2 = self.traits.b2[i]
        last_a, last_d = atts[-1]
        if f == COMPLETED:
            sub = _COMPLETED_SUBS[b2 % 4] if len(atts) == 1 else "ACCEPTED"
            return CallView(COMPLETED, sub, len(atts), last_a, None, round(last_d, 2), self.cpc, False)
        if f == ERROR:
            return CallView(ERROR, _ERROR_SUBS[b2 % 2], 1, last_a, None, 0.0, 0.0, False)
        sub = _FAIL_SUBS[b2 % 3] if self.retries else _FAIL_SUBS[1 + b2 % 2]
        vm = sub == "VOICEMAIL_DETECTED"
        return CallView(FAILED, sub, len(atts), last_a, None, round(last_d, 2) if vm else 0.0, 0.0, vm)

    # -- aggregates ---------------------------------------------------------------------------------
    def _window(self, el: float) -> tuple[int, int, list[int]]:
        k = self.started(el)
        j = self.settled(el, k)
        return j, k, [self._code_started(i, el) for i in range(j, k)]

    def counts(self, el: float) -> list[int]:
        """Calls per status code at simulated time el."""
        if self._cache is not None:
            return list(self._cache)
        j, k, window = self._window(el)
        out = [0] * 7
        for code in TERMINAL:
            out[code] = self.final.count(code, 0, j) + window.count(code)
        out[ONGOING], out[RETRY] = window.count(ONGOING), window.count(RETRY)
        cancelled_later = self.final.count(CANCELLED, k, self.n)
        out[CANCELLED] += cancelled_later
        out[REGISTERED] = self.n - k - cancelled_later
        if el >= self.end_el or out[REGISTERED] + out[ONGOING] + out[RETRY] == 0:
            self._cache = list(out)
        return out

    def done(self, el: float) -> bool:
        c = self.counts(el)
        return c[REGISTERED] + c[ONGOING] + c[RETRY] == 0

    def select(self, status: int | None, el: float, offset: int, limit: int) -> tuple[int, list[int]]:
        """(number of calls matching `status` at el, indices of the page [offset, offset+limit))."""
        n = self.n
        if status is None:
            return n, list(range(min(offset, n), min(offset + limit, n)))
        j, k, window = self._window(el)
        final = self.final
        parts: list[tuple[int, int, int, bool] | list[int]] = []  # (lo, hi, code, negate) or explicit
        if status in TERMINAL:
            parts.append((0, j, status, False))
        parts.append([j + t for t, c in enumerate(window) if c == status])
        if status == REGISTERED:
            parts.append((k, n, CANCELLED, True))
        elif status == CANCELLED:
            parts.append((k, n, CANCELLED, False))
        total = 0
        page: list[int] = []
        for part in parts:
            if isinstance(part, list):
                cnt = len(part)
                if len(page) < limit and offset < cnt:
                    page += part[offset : offset + limit - len(page)]
            else:
                lo, hi, code, neg = part
                cnt = final.count(code, lo, hi) if hi > lo else 0
                cnt = (hi - lo - cnt) if neg else cnt
                if len(page) < limit and offset < cnt:
                    page += scan(final, code, neg, lo, hi, offset, limit - len(page))
            total += cnt
            offset = max(0, offset - cnt)
        return total, page

    # -- termination --------------------------------------------------------------------------------
    def cancel_pending(self, now: float, indices: list[int] | None = None) -> int:
        """Cancel calls that are registered or waiting for a retry at `now`; return how many."""
        el = self.el(now)
        k = self.started(el)
        j = self.settled(el, k)
        cancelled = 0
        candidates = range(j, self.n) if indices is None else indices
        if indices is None and k < self.n:
            cancelled += (self.n - k) - self.final.count(CANCELLED, k, self.n)
            self.final[k:] = bytes([CANCELLED]) * (self.n - k)
            candidates = range(j, k)
        for i in candidates:
            if i < j or self.final[i] == CANCELLED:
                continue
            if i >= k:
                self.final[i] = CANCELLED
                cancelled += 1
                continue
            v = self.view(i, el)
            if v.status == RETRY:
                self.final[i] = CANCELLED
                self.cancel_attempts[i] = v.attempts
                cancelled += 1
        if cancelled:
            self._cache = None
        return cancelled


def scan(buf: bytearray, code: int, negate: bool, lo: int, hi: int, skip: int, limit: int) -> list[int]:
    """Indices i in [lo, hi) where (buf[i] == code) != negate, skipping the first `skip` matches."""
    out: list[int] = []
    for b in range(lo, hi, _BLOCK):
        e = min(hi, b + _BLOCK)
        cnt = buf.count(code, b, e)
        if negate:
            cnt = (e - b) - cnt
        if skip >= cnt:
            skip -= cnt
            continue
        if negate:
            for i in range(b, e):
                if buf[i] != code:
                    if skip:
                        skip -= 1
                    else:
                        out.append(i)
                        if len(out) == limit:
                            return out
        else:
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
