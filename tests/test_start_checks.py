"""A start's checks beyond the request, against a fake Ringg (httpx.MockTransport): caller numbers by id or number,
Ringg unreachable (left to the worker), the file's place and events_url's host with the worker's settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from client.caller_numbers import WorkspaceNumbers
from client.start_checks import StartChecks, start_problems
from domain.csv_sources import CsvSources
from domain.event_targets import EventTargets
from ledger import migrate
from ledger.budget import RinggBudget, workspace_key
from ledger.engine import create_engine
from ledger.tables import ringg_budget
from ringg import RinggClient, make_http_client
from ringg_sim.testing import open_window
from runtime.ringg_pacer import ringg_pacer

NUMBERS: dict[str, Any] = {
    "workspace_numbers": [{"id": "num-1", "number": "+912269976801", "provider": "plivo", "is_spam": False}],
    "total": 1,
}


@pytest.fixture
async def ringg_with() -> AsyncIterator[Callable[[Callable[[httpx.Request], httpx.Response]], WorkspaceNumbers]]:
    clients: list[httpx.AsyncClient] = []

    def make(handler: Callable[[httpx.Request], httpx.Response]) -> WorkspaceNumbers:
        http = make_http_client("https://ringg.test/ca/api/v0", SecretStr("k"), transport=httpx.MockTransport(handler))
        clients.append(http)
        return WorkspaceNumbers(RinggClient(http))

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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting(answers: list[httpx.Response]) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """A fake Ringg answering `answers` in turn (the last one again), and the paths it was asked."""
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return answers[min(len(asked), len(answers)) - 1]

    return handler, asked


async def test_a_burst_of_starts_reads_the_workspace_numbers_once(tmp_path: Path, ringg_with: Any) -> None:
    handler, asked = counting([httpx.Response(200, json=NUMBERS)])
    numbers: WorkspaceNumbers = ringg_with(handler)
    checks = StartChecks(CsvSources(dirs=(tmp_path,)), EventTargets(), numbers)
    now = datetime.now(UTC)
    got = await asyncio.gather(*(start_problems(request(tmp_path), checks, now) for _ in range(20)))
    assert all(problems == [] for _, problems in got)
    assert asked == ["/ca/api/v0/workspace/numbers"]


async def test_a_number_added_since_the_kept_read_is_found_and_an_unknown_one_costs_one_more_read(
    ringg_with: Any,
) -> None:
    second = {"id": "num-2", "number": "+912269976802", "provider": "plivo", "is_spam": False}
    added = {"workspace_numbers": [NUMBERS["workspace_numbers"][0], second], "total": 2}
    handler, asked = counting([httpx.Response(200, json=NUMBERS), httpx.Response(200, json=added)])
    clock = Clock()
    numbers: WorkspaceNumbers = ringg_with(handler)
    numbers._clock = clock
    assert await numbers.problem(["num-1"]) is None and len(asked) == 1
    clock.now += 10
    assert await numbers.problem(["num-1"]) is None and len(asked) == 1  # kept
    assert await numbers.problem(["num-2"]) is None and len(asked) == 2  # refused by the kept read: read again
    clock.now += 10
    problem = await numbers.problem(["num-9"])
    assert problem is not None and "num-9" in problem and len(asked) == 3
    clock.now += 61  # the kept read is too old: read again, once
    assert await numbers.problem(["num-2"]) is None and len(asked) == 4


async def test_after_a_failed_read_starts_go_unchecked_for_a_few_seconds(ringg_with: Any) -> None:
    handler, asked = counting([httpx.Response(401, json={"detail": "bad key"}), httpx.Response(200, json=NUMBERS)])
    clock = Clock()
    numbers: WorkspaceNumbers = ringg_with(handler)
    numbers._clock = clock
    assert await numbers.problem(["num-9"]) is None and len(asked) == 1  # left to the worker
    clock.now += 4
    assert await numbers.problem(["num-9"]) is None and len(asked) == 1  # not asked again yet
    clock.now += 2
    problem = await numbers.problem(["num-9"])
    assert problem is not None and len(asked) == 2


async def test_the_api_check_waits_in_the_workers_ringg_budget_and_skips_when_it_is_busy(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite3'}"
    await migrate.upgrade(url)
    engine = create_engine(url)
    handler, asked = counting([httpx.Response(200, json=NUMBERS)])
    key = SecretStr("workspace-key")
    try:
        pacer = ringg_pacer(key, 20, 5, engine, wait_bound=lambda: 0.5)
        assert pacer is not None and ringg_pacer(key, 0, 5, engine) is None  # CAMPAIGN_RINGG_BUDGET_RPS=0: off
        transport = httpx.MockTransport(handler)
        async with make_http_client("https://ringg.test/ca/api/v0", key, transport=transport) as http:
            budget = RinggBudget(engine, workspace_key("workspace-key"), 20)
            await budget.throttled(retry_after=60)  # a worker saw Ringg ask for a minute of quiet
            numbers = WorkspaceNumbers(RinggClient(http, pacer=pacer), after_failure_s=0)
            assert await numbers.problem(["num-9"]) is None and asked == []  # busy: nothing sent, left to the worker
            await reset_pause(engine)
            problem = await numbers.problem(["num-9"])
            assert problem is not None and asked == ["/ca/api/v0/workspace/numbers"]
            assert (await budget.state()).rate == 10  # the API's request took its slot in the halved budget
    finally:
        await engine.dispose()


async def reset_pause(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(update(ringg_budget).values(paused_until=0.0))
