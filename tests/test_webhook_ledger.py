"""Ringg's webhook call results recorded in the contact ledger as they arrive (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from client.webhook_ledger import WebhookLedger
from ledger import migrate
from ledger.records import CampaignEntry, ContactEntry
from ledger.store import Ledger


def event(call_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_type": "call_completed",
        "call_id": call_id,
        "bulk_list_id": "list-1",
        "to_number": "+919800000001",
        "status": "failed",
        "sub_status": "USER_DID_NOT_JOIN",
        "retry_count": 2,
        "call_duration": "0",
        **extra,
    }


async def test_a_webhook_call_is_recorded_once_for_its_campaign(ledger_url: str) -> None:
    await migrate.upgrade(ledger_url)
    ledger = Ledger.open(ledger_url)
    try:
        await ledger.open_campaign(CampaignEntry("k1", "Renewals"))
        await ledger.add_contacts("k1", [ContactEntry("+919800000001")])
        await ledger.update_campaign("k1", status="launched", list_ids=["list-1"])
        recorder = WebhookLedger(ledger)
        assert await recorder.record("list-1", event("c-1"))
        assert await recorder.record("list-1", event("c-1"))  # Ringg's retry of the same event
        assert not await recorder.record("list-unknown", event("c-2", bulk_list_id="list-unknown"))
        assert await ledger.calls_by_status("k1") == {"failed": 1}
        (contact,) = await ledger.contacts_page("k1")
        assert contact.outcome == "no_answer" and contact.attempts == 3 and contact.last_call_at is not None
    finally:
        await ledger.close()


async def test_a_ledger_that_is_down_never_stops_the_event(tmp_path: Any) -> None:
    ledger = Ledger.open("postgresql+asyncpg://nobody:x@127.0.0.1:1/none")
    try:
        assert not await WebhookLedger(ledger).record("list-1", event("c-1"))
    finally:
        await ledger.close()
