"""The API gateway middleware: names the endpoint, counts the request, applies its fault rule, checks X-API-KEY
and the workspace's large-flow access."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ringg_sim.beta_access import beta_refusal
from ringg_sim.config import EndpointName, FaultRule
from ringg_sim.faults import SimulatedDisconnect
from ringg_sim.state import RequestRecord, SimState

API_PREFIX = "/ca/api/v0"
_ROUTES: list[tuple[str, re.Pattern[str], EndpointName]] = [
    ("POST", re.compile(r"/campaign/save"), "save"),
    ("POST", re.compile(r"/campaign/start"), "start"),
    ("POST", re.compile(r"/campaign/v2/start"), "v2_start"),
    ("POST", re.compile(r"/campaign/upload-csv"), "upload_csv"),
    ("GET", re.compile(r"/campaign/upload-status/[^/]+"), "upload_status"),
    ("POST", re.compile(r"/campaign/check-balance/[^/]+"), "check_balance"),
    ("POST", re.compile(r"/campaign/make-call-async"), "make_call_async"),
    ("GET", re.compile(r"/campaign/all"), "campaign_all"),
    ("GET", re.compile(r"/calling/history"), "history"),
    ("PATCH", re.compile(r"/campaign/terminate(?:/campaign-numbers)?"), "terminate"),
    ("GET", re.compile(r"/workspace/numbers"), "workspace_numbers"),
    ("GET", re.compile(r"/workspace"), "workspace"),
    ("PATCH", re.compile(r"/agent/v1"), "agent_subscriptions"),
]


def resolve_endpoint(method: str, path: str) -> EndpointName | None:
    if not path.startswith(API_PREFIX):
        return None
    sub = path[len(API_PREFIX) :].rstrip("/")
    for m, pattern, name in _ROUTES:
        if m == method and pattern.fullmatch(sub):
            return name
    return None


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    raw = json.dumps(body).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": raw})


def _retry_after_value(seconds: float) -> bytes:
    return (str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}").encode()


async def _buffered(receive: Receive) -> Receive:
    """Reads the whole request body now and returns a receive that replays it: a delayed request is then
    processed (and committed) even if the client gives up waiting, like a slow server that got the request."""
    pending: list[Message] = []
    while True:
        message = await receive()
        pending.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            break

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


class GatewayMiddleware:
    """Counts API requests per endpoint, applies fault rules, then enforces X-API-KEY; records every API
    request in the state's bounded request log (GET /_sim/requests)."""

    def __init__(self, app: ASGIApp, state: SimState) -> None:
        self.app = app
        self.state = state
        self._admitted: deque[float] = deque()  # arrival times within the last second (rate_limit_rps)

    def _over_limit(self, endpoint: EndpointName, now: float) -> FaultRule | None:
        """A 429 rule when rate_limit_rps requests were admitted in the last second; else admits this one."""
        limit = self.state.config.rate_limit_rps
        if limit <= 0:
            return None
        while self._admitted and self._admitted[0] <= now - 1.0:
            self._admitted.popleft()
        if len(self._admitted) >= limit:
            wait = self.state.config.rate_limit_retry_after_s
            return FaultRule(endpoint=endpoint, kind="rate_limit", retry_after=wait)
        self._admitted.append(now)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        t_received = time.monotonic()
        endpoint = resolve_endpoint(scope["method"], scope["path"])
        rule: FaultRule | None = None
        if endpoint is not None:
            self.state.requests[endpoint] += 1
            rule = self.state.faults.take(endpoint) or self._over_limit(endpoint, t_received)
        statuses: list[int] = []

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))
            await send(message)

        try:
            await self._handle(rule, scope, receive, recording_send)
        finally:
            dropped = rule is not None and rule.kind == "commit_then_drop"
            record: RequestRecord = {
                "endpoint": endpoint,
                "method": str(scope["method"]),
                "status": statuses[-1] if statuses and not dropped else None,
                "t_received": t_received,
                "t_done": time.monotonic(),
                "fault": rule.kind if rule is not None else None,
            }
            self.state.request_log.append(record)

    async def _handle(self, rule: FaultRule | None, scope: Scope, receive: Receive, send: Send) -> None:
        if rule is not None and rule.kind == "rate_limit":
            extra = [] if rule.retry_after is None else [(b"retry-after", _retry_after_value(rule.retry_after))]
            await _send_json(send, 429, {"detail": "Rate limit exceeded. Please retry later."}, extra)
            return
        if rule is not None and rule.kind == "http_error":
            await _send_json(send, rule.status, {"detail": "simulated server error"}, [])
            return
        if rule is not None and rule.kind == "delay":
            receive = await _buffered(receive)
            await asyncio.sleep(rule.delay_s)
        if rule is not None and rule.kind == "commit_then_drop":
            await self._commit_then_drop(scope, receive, send)
            return
        await self._authorized(scope, receive, send)

    async def _authorized(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = dict(scope["headers"]).get(b"x-api-key", b"").decode("latin-1")
        if key != self.state.config.api_key:
            await _send_json(send, 401, {"detail": "Invalid or missing API key"}, [])
            return
        refusal = beta_refusal(self.state.config, resolve_endpoint(scope["method"], scope["path"]))
        if refusal is not None:
            await _buffered(receive)  # read the upload first: a client still sending sees the answer, not a reset
            await _send_json(send, *refusal, [])
            return
        await self.app(scope, receive, send)

    async def _commit_then_drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        captured: dict[str, Any] = {"status": 200, "headers": [], "body": bytearray()}

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        await self._authorized(scope, receive, swallow)
        length = max(1, len(captured["body"]))
        keep: Callable[[tuple[bytes, bytes]], bool] = lambda h: h[0].lower() != b"content-length"  # noqa: E731
        headers = [h for h in captured["headers"] if keep(h)] + [(b"content-length", str(length).encode())]
        await send({"type": "http.response.start", "status": captured["status"], "headers": headers})
        raise SimulatedDisconnect("commit_then_drop: response deliberately cut off")
