"""POST /webhooks/ringg: Ringg's call events, deduplicated, and their results signalled to the campaign found by
bulk_list_id. Only ids and statuses go on: numbers, names and transcripts are never kept or logged."""

from __future__ import annotations

import hmac
import re
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr

from client.event_dedupe import Deduper
from client.event_forwarder import Forwarder
from client.webhook_ledger import WebhookLedger
from contract.messages import CallEvent

log = structlog.get_logger()
FORWARDED_STATUSES = frozenset({"completed", "failed", "retry"})
LIST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def _ok(status: str, **extra: Any) -> JSONResponse:
    # Exactly 200 for everything accepted or deliberately ignored: any other answer makes Ringg retry.
    return JSONResponse({"status": status, **extra}, status_code=200)


def webhook_router(
    secret: SecretStr, header: str, forwarder: Forwarder, deduper: Deduper, ledger: WebhookLedger | None = None
) -> APIRouter:
    """`ledger`: where each call result is also recorded (None: forwarded to the workflow only)."""
    router = APIRouter()
    expected = secret.get_secret_value().encode()

    # Ringg does not sign webhooks: it echoes the shared secret of the subscription in a header.
    def authorized(request: Request) -> bool:
        given = request.headers.get(header, "")
        bearer = request.headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:]
        return hmac.compare_digest(given.strip().encode(), expected)

    @router.api_route("/webhooks/ringg", methods=["POST", "PUT", "PATCH"], include_in_schema=False)
    async def receive(request: Request) -> JSONResponse:
        if not authorized(request):
            log.warning("webhook_refused", reason="missing or wrong shared secret", header=header)
            return JSONResponse(
                {"error": f"missing or wrong {header} header: check the event subscription"},
                status_code=401,
            )
        try:
            body = await request.json()
        except ValueError:
            return _ok("ignored", reason="not JSON")
        if not isinstance(body, dict):
            return _ok("ignored", reason="not a JSON object")
        event_type, call_id = str(body.get("event_type") or ""), str(body.get("call_id") or "")
        list_id, status = str(body.get("bulk_list_id") or ""), str(body.get("status") or "")
        if not event_type or not call_id:
            return _ok("ignored", reason="no event_type or call_id")
        if not deduper.first_time(call_id, event_type):
            log.info("webhook_duplicate", event_type=event_type, call_id=call_id)
            return _ok("duplicate")
        if event_type != "call_completed" or status not in FORWARDED_STATUSES or not LIST_ID.fullmatch(list_id):
            return _ok("ignored", reason="not a campaign call result")
        if ledger is not None:
            await ledger.record(list_id, body)
        try:
            routed = await forwarder.submit(list_id, CallEvent(call_id=call_id, status=status))
        except Exception as err:
            deduper.forget(call_id, event_type)
            log.warning("webhook_not_forwarded", list_id=list_id, error=type(err).__name__)
            return JSONResponse({"error": "cannot reach Temporal right now; retry"}, status_code=503)
        return _ok("accepted" if routed else "no running campaign for this bulk_list_id")

    return router
