"""Records the call results Ringg's webhooks report in the contact ledger as they arrive, so a campaign still
running counts its real dials in other campaigns' frequency caps. The campaign's own recording at its end pages
Ringg's history and overwrites these rows with the authoritative ones (same call id: nothing twice)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from contract.number_types import NUMBER_TYPES
from domain.contact_outcome import last_outcome
from domain.phones import PhoneNormalizer
from ledger.records import CallEntry
from ledger.store import Ledger, LedgerNotReady

log = structlog.get_logger()
KEYS_CACHED = 10_000


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


class WebhookLedger:
    """One call_completed event -> one call row of the campaign whose list id it names (ignored otherwise)."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._keys: dict[str, str | None] = {}
        self._phones = PhoneNormalizer(
            "+91", NUMBER_TYPES
        )  # Ringg reports numbers in E.164; the default only fills a gap

    async def record(self, list_id: str, body: dict[str, Any]) -> bool:
        """True when recorded. Never raises: the event still reaches the workflow if the ledger is down."""
        try:
            key = await self._key(list_id)
            if key is None:
                return False
            await self._ledger.record_calls(key, [self._entry(list_id, body)])
        except (SQLAlchemyError, LedgerNotReady, ConnectionError, TimeoutError) as err:
            log.warning("webhook_not_recorded", list_id=list_id, error=type(err).__name__)
            return False
        return True

    async def _key(self, list_id: str) -> str | None:
        if list_id not in self._keys:
            await self._ledger.ready()
            view = await self._ledger.campaign(list_id)
            if len(self._keys) >= KEYS_CACHED:
                self._keys.clear()
            self._keys[list_id] = view.key if view is not None else None
        return self._keys[list_id]

    def _entry(self, list_id: str, body: dict[str, Any]) -> CallEntry:
        status, sub = str(body.get("status") or ""), str(body.get("sub_status") or "")
        raw = str(body.get("to_number") or body.get("mobile_number") or "")
        number, problem = self._phones.normalize(raw)
        retries = _number(body.get("retry_count"))
        return CallEntry(
            call_id=str(body["call_id"])[:120],
            number=number if problem is None else raw[:20],
            list_id=list_id,
            status=status[:40] or None,
            sub_status=sub[:80] or None,
            attempts=int(retries or 0) + 1,
            duration_s=_number(body.get("call_duration")),
            cost=_number(body.get("call_cost")),
            attempted_at=datetime.now(UTC),
            outcome=last_outcome(status, sub, attempted=True),
        )
