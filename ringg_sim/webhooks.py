"""Agent event subscriptions (`PATCH /agent/v1`, operation `edit_event_subscriptions`) and their delivery."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from ringg_sim.callbacks import CAMPAIGN_EVENT, CallbackRecord, collect_ended
from ringg_sim.lifecycle import COMPLETED, ERROR, FAILED, PENDING, Launch

DELIVERABLE = ("call_completed", "all_processing_completed")
# Ringg's documented schedule: at once, then +10 s, +1 min, +2 min (on the simulated clock);
# success only on exactly 200, then it gives up.
RETRY_SCHEDULE_S = (10.0, 60.0, 120.0)
TICK_S = 0.05
WORKSPACE_ID = "5f0c0a3e-2b6d-4a8e-9d51-3c1f0e7a9b20"


@dataclass(frozen=True)
class Subscription:
    event_type: str
    url: str
    headers: dict[str, str]
    method: str


@dataclass
class Delivery:
    subscription: Subscription
    payload: dict[str, Any]
    attempt: int = 0
    lose_first: bool = False
    record: CallbackRecord | None = None  # a campaign-end callback (logged per attempt, not a webhook)


@dataclass
class WebhookBook:
    """Subscriptions per agent and the delivery counters the admin API shows."""

    by_agent: dict[str, dict[str, Subscription]] = field(default_factory=dict)
    stats: Counter[str] = field(default_factory=Counter)
    delivered: dict[int, bytearray] = field(default_factory=dict)  # launch seq -> 1 per call already sent
    cursor: dict[int, int] = field(default_factory=dict)  # launch seq -> every call before it was sent

    def subscribe(self, agent_id: str, subscriptions: list[Subscription]) -> None:
        book = self.by_agent.setdefault(agent_id, {})
        for sub in subscriptions:
            book[sub.event_type] = sub  # one URL per event type per agent: a new one replaces the old


def parse_subscriptions(body: dict[str, Any]) -> tuple[str, list[Subscription]]:
    """The request body of PATCH /agent/v1; raises ValueError with the field at fault."""
    if body.get("operation") != "edit_event_subscriptions":
        raise ValueError("operation must be 'edit_event_subscriptions'")
    agent_id = body.get("agent_id")
    if not isinstance(agent_id, str) or not agent_id:
        raise ValueError("agent_id is required")
    raw = body.get("event_subscriptions")
    if not isinstance(raw, list) or not raw:
        raise ValueError("event_subscriptions must be a non-empty list")
    subs: list[Subscription] = []
    for item in raw:
        types = item.get("event_type")
        for event_type in [types] if isinstance(types, str) else list(types or []):
            url = item.get("callback_url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise ValueError("callback_url must be an http(s) URL")
            method = str(item.get("method_type") or "POST").upper()
            if method not in ("POST", "PUT", "PATCH"):
                raise ValueError("method_type must be POST, PUT or PATCH")
            headers = {str(k): str(v) for k, v in dict(item.get("headers") or {}).items()}
            subs.append(Subscription(str(event_type), url, headers, method))
    return agent_id, subs


def event_payload(event_type: str, ln: Launch, i: int, now: float, contacts: Any, name: str) -> dict[str, Any]:
    """The event of a finished call. Ringg documents `completed`, `failed` and `retry` as `call_completed`
    statuses: a call that ends in `error` is reported as `failed` (with its sub-status)."""
    view = ln.view(i, now)
    status = "completed" if view.status == COMPLETED else "failed"
    payload: dict[str, Any] = {
        "event_type": event_type,
        "call_id": ln.call_id(i),
        "call_sid": f"sid-{ln.call_id(i)}",
        "agent_id": ln.agent_id,
        "workspace_id": WORKSPACE_ID,
        "bulk_list_id": ln.list_id,
        "custom_args_values": contacts.custom_args(i),
        "to_number": contacts.number(i),
        "from_number": ln.from_numbers[0] if ln.from_numbers else None,
        "status": status,
        "sub_status": view.sub_status,
        "call_type": "outbound",
        "call_duration": view.duration,
        "call_cost": view.cost,
        "retry_count": max(view.attempts - 1, 0),
        "transcript": [] if view.status != COMPLETED else [{"bot": f"Hi {name}"}, {"user": "Yes"}],
    }
    if event_type == "all_processing_completed":
        payload["analysis_data"] = {"summary": "simulated", "sentiment": "neutral"}
    return payload


class Deliverer:
    """The background task: finds newly finished calls of subscribed agents and delivers their events.

    Every call that reaches a final status is sent to each subscribed URL with the subscription's headers (Ringg
    does not sign webhooks); retry attempts are not reported. Fault knobs: `webhook_duplicate_every` (every Nth
    event is delivered twice) and `webhook_drop_every` (every Nth event's first attempt is lost, so it arrives by
    a retry).
    """

    def __init__(self, state: Any) -> None:
        self._state = state
        self._queue: list[tuple[float, int, Delivery]] = []
        self._seq = 0
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._inflight):
            task.cancel()
        if self._http is not None:
            await self._http.aclose()

    async def _run(self) -> None:
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0), trust_env=False)
        while True:
            self._find_new_events()
            self._find_campaign_ends()
            self._send_due()
            await asyncio.sleep(TICK_S)

    def _find_new_events(self) -> None:
        state, book = self._state, self._state.webhooks
        now = state.now()
        for ln in state.launches:
            subs = [s for t, s in book.by_agent.get(ln.agent_id, {}).items() if t in DELIVERABLE]
            if not subs:
                continue
            sent = book.delivered.setdefault(ln.seq, bytearray(ln.n))
            ln.refresh(now)
            campaign = state.campaigns[ln.list_id]
            start = book.cursor.get(ln.seq, 0)
            for i in range(start, ln.started(now)):
                final = ln.final[i]
                if sent[i] or final == PENDING:
                    continue
                sent[i] = 1
                if final not in (COMPLETED, FAILED, ERROR):
                    continue  # cancelled: no call_completed event
                for sub in subs:
                    payload = event_payload(sub.event_type, ln, i, now, campaign.contacts, campaign.contacts.name(i))
                    self._enqueue(Delivery(sub, payload), now)
            while start < ln.n and sent[start]:
                start += 1
            book.cursor[ln.seq] = start

    def _find_campaign_ends(self) -> None:
        for record in collect_ended(self._state):
            sub = Subscription(CAMPAIGN_EVENT, record.url, {"Content-Type": "application/json"}, "POST")
            self._seq += 1
            self._queue.append((self._state.now(), self._seq, Delivery(sub, record.payload, record=record)))

    def _enqueue(self, delivery: Delivery, now: float) -> None:
        config, stats = self._state.config, self._state.webhooks.stats
        self._seq += 1
        stats["events"] += 1
        if config.webhook_drop_every and self._seq % config.webhook_drop_every == 0:
            delivery.lose_first = True
        self._queue.append((now, self._seq, delivery))
        if config.webhook_duplicate_every and self._seq % config.webhook_duplicate_every == 0:
            stats["duplicates_sent"] += 1
            self._queue.append((now + 0.01, self._seq, Delivery(delivery.subscription, dict(delivery.payload))))

    def _send_due(self) -> None:
        now = self._state.now()
        due = [item for item in self._queue if item[0] <= now]
        if not due:
            return
        self._queue = [item for item in self._queue if item[0] > now]
        for _, _, delivery in due:
            task = asyncio.get_running_loop().create_task(self._attempt(delivery))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _attempt_callback(self, delivery: Delivery, record: CallbackRecord) -> None:
        delivery.attempt += 1
        assert self._http is not None
        attempt: dict[str, Any] = {"at": datetime.fromtimestamp(self._state.wall(), UTC).isoformat()}
        try:
            response = await self._http.post(record.url, json=record.payload)
            attempt["status"] = response.status_code
            record.delivered = response.status_code == 200
        except httpx.HTTPError as exc:
            attempt["status"], attempt["error"] = None, type(exc).__name__
        record.attempts.append(attempt)
        if not record.delivered and delivery.attempt <= len(RETRY_SCHEDULE_S):
            wait = RETRY_SCHEDULE_S[delivery.attempt - 1]
            self._queue.append((self._state.now() + wait, self._seq, delivery))

    async def _attempt(self, delivery: Delivery) -> None:
        if delivery.record is not None:
            await self._attempt_callback(delivery, delivery.record)
            return
        stats = self._state.webhooks.stats
        delivery.attempt += 1
        stats["attempts"] += 1
        ok = False
        if delivery.lose_first and delivery.attempt == 1:
            stats["lost_attempts"] += 1
        else:
            assert self._http is not None
            sub = delivery.subscription
            try:
                response = await self._http.request(sub.method, sub.url, json=delivery.payload, headers=sub.headers)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
        if ok:
            stats["delivered"] += 1
            return
        if not (delivery.lose_first and delivery.attempt == 1):
            stats["failed_attempts"] += 1
        if delivery.attempt > len(RETRY_SCHEDULE_S):
            stats["gave_up"] += 1
            return
        wait = RETRY_SCHEDULE_S[delivery.attempt - 1]
        self._queue.append((self._state.now() + wait, self._seq, delivery))


def webhook_stats(book: WebhookBook) -> dict[str, int]:
    keys = ("events", "attempts", "delivered", "failed_attempts", "lost_attempts", "duplicates_sent", "gave_up")
    return {key: int(book.stats.get(key, 0)) for key in keys}
