"""The HTTP API's ledger routes in-process (lifespan run, Temporal unreachable) against a real ledger, SQLite and
PostgreSQL: the suppression list (all-or-nothing adds, every bad index told, keyset pages, removal) and a campaign's
contacts paged from the ledger without Temporal or Ringg."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from api.app import create_app
from api.settings import ApiSettings
from client.connect import connect
from devtools.devstack import free_port
from ledger import migrate
from ledger.records import CampaignEntry, ContactEntry
from ledger.store import Ledger
from runtime.settings import SettingsError
from runtime.webhook_settings import WebhookSettings

TOKEN = "ledger-api-token-3c9e71f0"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest_asyncio.fixture
async def url(ledger_url: str) -> AsyncIterator[str]:
    await migrate.upgrade(ledger_url)  # the setup command's job (only an embedded SQLite ledger migrates itself)
    yield ledger_url


async def app_for(tmp_path: Path, url: str) -> AsyncIterator[httpx.AsyncClient]:
    temporal = await connect("127.0.0.1:1", lazy=True)  # refused: a route that asked Temporal would answer 503
    settings = ApiSettings(token=SecretStr(TOKEN), upload_dir=tmp_path / "uploads", ledger_url=SecretStr(url))
    app = create_app(settings, temporal)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api", headers=AUTH) as client:
            yield client


@pytest_asyncio.fixture
async def api(tmp_path: Path, url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in app_for(tmp_path, url):
        yield client


async def all_suppressions(api: httpx.AsyncClient, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after: str | None = ""
    while after is not None:
        page = await api.get("/v1/suppressions", params={"after": after, "limit": limit})
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        after = page.json()["next_after"]
    return items


async def test_suppressions_add_list_and_delete(api: httpx.AsyncClient) -> None:
    body = {"numbers": ["+919876543210", "98765 43211", "09876543212"], "reason": "asked not to be called"}
    added = await api.post("/v1/suppressions", json=body)
    assert (added.status_code, added.json()) == (201, {"added": 3, "already_listed": 0})
    again = await api.post("/v1/suppressions", json={"numbers": ["9876543211", "+919876543213"], "reason": "DNC"})
    assert again.json() == {"added": 1, "already_listed": 1}

    items = await all_suppressions(api, limit=3)
    assert [i["number"] for i in items] == [f"+91987654321{d}" for d in range(4)]
    assert items[1]["reason"] == "asked not to be called" and {i["source"] for i in items} == {"api"}
    assert await all_suppressions(api, limit=4) == items  # a full last page ends with next_after null too

    assert (await api.delete("/v1/suppressions/+919876543211")).status_code == 204
    gone = await api.delete("/v1/suppressions/9876543211")
    assert gone.status_code == 404 and "not on the suppression list" in gone.json()["error"]
    invalid = await api.delete("/v1/suppressions/12345")
    assert invalid.status_code == 422 and "12345" not in invalid.text
    assert [i["number"] for i in await all_suppressions(api, limit=1000)] == [
        "+919876543210",
        "+919876543212",
        "+919876543213",
    ]


async def test_every_invalid_number_is_told_by_index_and_none_is_added(api: httpx.AsyncClient) -> None:
    numbers = ["+919876543210", "call-me-maybe", "", "12", "+919876543211", "+910123456789"]
    refused = await api.post("/v1/suppressions", json={"numbers": numbers, "reason": "DNC"})
    assert refused.status_code == 422
    problems = refused.json()["problems"]
    assert [p.split(":")[0] for p in problems] == ["numbers.1", "numbers.2", "numbers.3", "numbers.5"]
    assert "call-me-maybe" not in refused.text and "+910123456789" not in refused.text
    assert problems[1] == "numbers.2: no phone number" and problems[3].startswith("numbers.5: is not a valid number")
    assert await all_suppressions(api, limit=10) == []
    too_many = await api.post("/v1/suppressions", json={"numbers": ["9876543210"] * 10_001, "reason": "x"})
    assert too_many.status_code == 422 and "numbers" in too_many.json()["problems"][0]
    bad_bodies = [
        {"numbers": ["9876543210"], "reason": "  "},
        {"numbers": ["9876543210"], "reason": "x", "cc": 1},
        {"numbers": ["9876543210"], "reason": "a\x00b"},  # PostgreSQL text holds no NUL: a 422, not a 503
    ]
    assert (await api.get("/v1/suppressions", params={"after": "\x00"})).status_code == 422
    for bad in bad_bodies:
        assert (await api.post("/v1/suppressions", json=bad)).status_code == 422
    country = await api.post("/v1/suppressions", json={"numbers": ["9876543210"], "reason": "x", "country_code": "?"})
    assert country.status_code == 422 and country.json()["problems"] == [
        "country_code: not a dialling code: use +91, 91 or a code like IN"
    ]


async def seed(url: str, contacts: int) -> list[ContactEntry]:
    ledger = Ledger.open(url)
    try:
        await ledger.open_campaign(CampaignEntry("key-api", "Renewals", "campaign-api-1"))
        await ledger.update_campaign("key-api", status="launched", list_ids=["list-api-1"])
        entries = [ContactEntry(f"+91987650{i:04d}", i + 2, f"crm-{i}", {"Plan": f"p{i}"}) for i in range(contacts)]
        await ledger.add_contacts("key-api", entries)
        await ledger.open_campaign(CampaignEntry("key-other", "Other", "campaign-api-2"))
        await ledger.add_contacts("key-other", [ContactEntry("+919876599999", 2, "other")])
        return entries
    finally:
        await ledger.close()


async def test_contacts_are_paged_from_the_ledger_to_the_end(api: httpx.AsyncClient, url: str) -> None:
    seeded = await seed(url, 25)
    seen: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        page = await api.get("/v1/campaigns/list-api-1/contacts", params={"after": after, "limit": 7})
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["campaign"]["key"] == "key-api" and body["campaign"]["list_ids"] == ["list-api-1"]
        seen += body["items"]
        after = body["next_after"]
        assert page.headers.get("X-Next-After") == (str(after) if after is not None else None)
    assert [c["number"] for c in seen] == [c.number for c in seeded]  # no duplicate, no gap, recording order
    assert seen[4]["external_id"] == "crm-4" and seen[4]["fields"] == {"Plan": "p4"} and seen[4]["row"] == 6

    by_key = await api.get("/v1/campaigns/key-api/contacts", params={"format": "jsonl", "limit": 10})
    assert by_key.headers["content-type"].startswith("application/x-ndjson")
    lines = by_key.text.splitlines()
    assert len(lines) == 10 and by_key.headers["X-Next-After"] == str(seen[9]["id"])
    by_workflow = await api.get("/v1/campaigns/campaign-api-1/contacts", params={"after": seen[23]["id"]})
    assert [c["number"] for c in by_workflow.json()["items"]] == [seeded[24].number]
    assert by_workflow.json()["next_after"] is None

    unknown = await api.get("/v1/campaigns/no-such-campaign/contacts")
    assert unknown.status_code == 404 and "no campaign 'no-such-campaign'" in unknown.json()["error"]
    for bad in ({"limit": 1001}, {"after": -1}, {"after": 2**63}, {"format": "xml"}):  # found by the schema fuzz test
        assert (await api.get("/v1/campaigns/key-api/contacts", params=bad)).status_code == 422, bad
    last = await api.get("/v1/campaigns/key-api/contacts", params={"after": 2**63 - 1})
    assert last.json()["items"] == [] and last.json()["next_after"] is None


async def test_ledger_routes_need_the_bearer_token(api: httpx.AsyncClient) -> None:
    requests = [
        ("POST", "/v1/suppressions", {"numbers": ["9876543210"], "reason": "x"}),
        ("GET", "/v1/suppressions", None),
        ("DELETE", "/v1/suppressions/9876543210", None),
        ("GET", "/v1/campaigns/key-api/contacts", None),
    ]
    for method, path, body in requests:
        answer = await api.request(method, path, json=body, headers={"Authorization": "Bearer not-the-token-at-all"})
        assert answer.status_code == 401, (method, path)
    assert (await api.get("/v1/suppressions")).json()["items"] == []  # nothing was added without the token


@pytest.mark.parametrize("schema", ["missing", "unreachable"])
async def test_an_unusable_ledger_is_503_and_the_api_still_starts(
    tmp_path: Path, postgres_url: str, schema: str
) -> None:
    url = f"postgresql://ops:hunter2-secret@127.0.0.1:{free_port()}/ledger"
    if schema == "missing":
        url = postgres_url  # a server whose database was never migrated
    async for client in app_for(tmp_path, url):
        answer = await client.get("/v1/suppressions")
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        expected = "not migrated" if schema == "missing" else "unavailable"
        assert expected in answer.json()["error"] and "hunter2" not in answer.text
        assert (await client.get("/openapi.json")).status_code == 200


def test_settings_take_the_workers_ledger_url() -> None:
    env = {"API_TOKEN": TOKEN, "CAMPAIGN_LEDGER_URL": "postgresql://ops:pw-secret@db:5432/ledger"}
    settings = ApiSettings.from_env(env)
    assert settings.ledger_url is not None and "pw-secret" not in repr(settings)
    assert settings.ledger_url.get_secret_value() == "postgresql+asyncpg://ops:pw-secret@db:5432/ledger"
    with pytest.raises(SettingsError, match="CAMPAIGN_LEDGER_URL names a 'mysql' database"):
        ApiSettings.from_env({"API_TOKEN": TOKEN, "CAMPAIGN_LEDGER_URL": "mysql://x@y/z"})


async def test_the_apis_webhook_receiver_records_call_results_in_its_ledger(tmp_path: Path, url: str) -> None:
    list_id = "3f9b2a1c-0d4e-4f5a-8b6c-7d8e9f0a1b2c"
    secret = "webhook-secret-for-the-api-77"
    ledger = Ledger.open(url)
    try:
        await ledger.open_campaign(CampaignEntry("key-hooks", "Hooks", "campaign-hooks"))
        await ledger.update_campaign("key-hooks", status="launched", list_ids=[list_id])
        await ledger.add_contacts("key-hooks", [ContactEntry("+919876543210", 2)])
        temporal = await connect("127.0.0.1:1", lazy=True)
        settings = ApiSettings(token=SecretStr(TOKEN), upload_dir=tmp_path / "uploads", ledger_url=SecretStr(url))
        app = create_app(settings, temporal, webhooks=WebhookSettings(secret=SecretStr(secret)))
        event = {"event_type": "call_completed", "call_id": "c1", "bulk_list_id": list_id, "status": "completed"}
        event["to_number"] = "+919876543210"
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://a") as c:
            answer = await c.post("/webhooks/ringg", json=event, headers={"X-Webhook-Secret": secret})
        assert answer.status_code == 503  # Temporal is down: Ringg retries; the ledger has it already
        assert await ledger.calls_by_status("key-hooks") == {"completed": 1}
    finally:
        await ledger.close()
