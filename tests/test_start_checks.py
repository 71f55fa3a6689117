"""A start's checks beyond the request, against a fake Ringg (httpx.MockTransport): caller numbers by id or number,
Ringg unreachable (left to the worker), the file's place and events_url's host with the worker's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from client.start_checks import StartChecks, start_problems
from domain.csv_sources import CsvSources
from domain.event_targets import EventTargets
from ringg import RinggClient, make_http_client
from ringg_sim.testing import open_window

NUMBERS = {
    "workspace_numbers": [{"id": "num-1", "number": "+912269976801", "provider": "plivo", "is_spam": False}],
    "total": 1,
}


@pytest.fixture
async def ringg_with() -> AsyncIterator[Callable[[Callable[[httpx.Request], httpx.Response]], RinggClient]]:
    clients: list[httpx.AsyncClient] = []

    def make(handler: Callable[[httpx.Request], httpx.Response]) -> RinggClient:
        http = make_http_client("https://ringg.test/ca/api/v0", SecretStr("k"), transport=httpx.MockTransport(handler))
        clients.append(http)
        return RinggClient(http)

    yield make
    for http in clients:
        await http.aclose()


def request(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    csv = tmp_path / "contacts.csv"
    csv.write_text("Mobile Number\n+919876543210\n")
    base = {"campaign_name": "Checks", "agent_id": "agent-1", "csv_uri": str(csv), "from_numbers": ["num-1"]}
    return {**base, **open_window(datetime.now(UTC).timestamp()), **extra}


async def test_caller_numbers_by_id_or_number_and_the_unknown_one_named(tmp_path: Path, ringg_with: Any) -> None:
    ringg = ringg_with(lambda _: httpx.Response(200, json=NUMBERS))
    checks = StartChecks(CsvSources(dirs=(tmp_path,)), EventTargets(), ringg)
    now = datetime.now(UTC)

    req, problems = await start_problems(request(tmp_path, from_numbers=["num-1", "+91 22 6997 6801"]), checks, now)
    assert req is not None and problems == []

    req, problems = await start_problems(request(tmp_path, from_numbers=["num-1", "num-9"]), checks, now)
    assert req is not None and len(problems) == 1
    assert "num-9 are not numbers of this Ringg workspace" in problems[0] and "num-1" in problems[0]


async def test_ringg_unreachable_leaves_the_caller_numbers_to_the_worker(tmp_path: Path, ringg_with: Any) -> None:
    ringg = ringg_with(lambda _: httpx.Response(503, json={"detail": "down"}))
    checks = StartChecks(CsvSources(dirs=(tmp_path,)), EventTargets(), ringg)
    req, problems = await start_problems(request(tmp_path, from_numbers=["num-9"]), checks, datetime.now(UTC))
    assert req is not None and problems == []


async def test_places_use_the_workers_settings(tmp_path: Path) -> None:
    checks = StartChecks(CsvSources(dirs=(tmp_path / "allowed",)), EventTargets(hosts=frozenset({"hooks.example"})))
    data = request(tmp_path, events_url="https://elsewhere.example/e")
    req, problems = await start_problems(data, checks, datetime.now(UTC))
    assert req is not None and len(problems) == 2
    assert "outside the folders" in problems[0] and "CAMPAIGN_CSV_DIRS" in problems[0]
    assert "CAMPAIGN_EVENTS_URL_HOSTS" in problems[1]
