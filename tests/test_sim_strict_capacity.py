"""The simulator's workspace: capacity shared by the running campaigns, paused/running statuses (admin pause and
resume), and the campaign-end callback and emails (docs/simulator.md lists the rule behind each)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ringg_sim.testing import RunningSimulator, running_simulator
from tests.sim_strict_helpers import (
    AGENT,
    CallbackReceiver,
    Strict,
    contacts_csv,
    parse_sim,
    strict_client,
    wait_for,
)

pytestmark = pytest.mark.integration

RATE = 0.05  # the workspace's calls per simulated second: one every 20 s
POOL = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key="sim-strict-capacity-3a90", time_scale=0.001) as running:
        yield running


@pytest.fixture
def s(sim: RunningSimulator) -> Iterator[Strict]:
    with strict_client(sim) as client:
        defaults = client.admin.config()
        client.admin.configure(call_rate=RATE)
        try:
            yield client
        finally:
            keys = ("call_rate", "api_concurrency_pct", "active_status")
            client.admin.configure(**{k: defaults[k] for k in keys})


def _starts(truth: list[dict[str, Any]]) -> list[float]:
    return sorted(parse_sim(c["attempt_log"][0]["at"]) for c in truth if c["attempt_log"])


def _gaps(starts: list[float], lo: float, hi: float) -> set[float]:
    """Gaps between consecutive first attempts that both fall in [lo, hi], rounded to 1 ms."""
    return {round(b - a, 3) for a, b in itertools.pairwise(starts) if lo <= a and b <= hi}


def _two_campaigns(s: Strict, **second: Any) -> tuple[list[float], list[float], float]:
    """A launched alone, B launched while A is dialling; their first-attempt instants once both completed, and
    when the first of them stopped dialling (the end of the shared stretch). No daily call time: the gaps must not
    depend on the time of day (a 00:00-23:59 call time closes for a simulated minute at midnight)."""
    window = s.admin.window(daily=None)
    a_list = s.uploaded(contacts_csv(60), window)
    b_list = s.uploaded(contacts_csv(30, start=500), window)
    assert s.launch(a_list, window).status_code == 200
    wait_for(lambda: s.admin.campaign(a_list)["launches"][0]["started"] >= 4)
    assert s.launch(b_list, window, **second).status_code == 200
    a, b = _starts(s.finished(a_list)), _starts(s.finished(b_list))
    return a, b, min(a[-1], b[-1])


def test_running_campaigns_share_the_workspace_capacity(s: Strict) -> None:
    """D-concepts: "API-triggered calls and dashboard campaigns share the same workspace capacity … If campaign
    concurrency is not set manually, Ringg AI distributes available campaign call slots across running
    campaigns"."""
    a, b, shared_until = _two_campaigns(s)
    assert _gaps(a, a[0], b[0]) == {1 / RATE}, "alone, A has the whole capacity"
    assert _gaps(a, b[0], shared_until) == {2 / RATE} == _gaps(b, b[0], shared_until), "together, half each"
    assert sum(1 for t in b if t <= shared_until) >= 5


def test_a_set_concurrency_takes_its_share_and_api_calls_keep_theirs(s: Strict) -> None:
    """make-call-async concurrency_percentage (D-async, 0-100); the dashboard's api_concurrency_pct keeps a share
    for API-triggered calls (knob api_concurrency_pct)."""
    s.admin.configure(api_concurrency_pct=50)
    a, b, shared_until = _two_campaigns(s, concurrency_percentage=25)
    campaigns = 0.5 * RATE
    assert _gaps(a, a[0], b[0]) == {round(1 / campaigns, 3)}
    assert _gaps(b, b[0], b[-1]) == {round(1 / (0.25 * campaigns), 3)}, "a set share stays what it is"
    assert _gaps(a, b[0], shared_until) == {round(1 / (0.75 * campaigns), 3)}


def test_paused_and_running_are_reachable_and_a_pause_holds_every_call(s: Strict) -> None:
    """D-concepts lists "Paused: Calling has been paused"; fixtures show both "ongoing" and "running". No pause
    API is documented, so pause/resume are admin routes."""
    window = s.admin.window(retry_minutes=1)
    bulk = s.launched(contacts_csv(40), window)
    wait_for(lambda: s.status(bulk) == "ongoing")
    s.admin.configure(active_status="running")
    assert s.status(bulk) == "running"
    assert s.admin.pause(bulk)["campaign_status"] == "paused"
    rows = s.api.get("/campaign/all").json()["campaigns"]
    assert next(r for r in rows if r["id"] == bulk)["campaign_status"] == "paused"
    time.sleep(0.6)  # 600 simulated seconds: 30 calls would have started
    assert s.admin.resume(bulk)["campaign_status"] == "running"
    [[paused, resumed]] = s.admin.campaign(bulk)["pauses"]
    truth = s.finished(bulk)
    attempts = [parse_sim(a["at"]) for c in truth for a in c["attempt_log"]]
    held = (parse_sim(paused), parse_sim(resumed))
    assert held[1] - held[0] > 500 and not [t for t in attempts if held[0] <= t < held[1]]
    assert any(t >= held[1] for t in attempts) and any(t < held[0] for t in attempts)


def test_the_callback_url_gets_a_post_when_the_campaign_ends_retried_until_200(s: Strict) -> None:
    """D-startv2 callback_url: "URL to receive a webhook when the campaign completes" and email_completion_user_ids
    "User IDs to notify by email when the campaign completes". The payload is undocumented: ours is
    campaign_completed (docs/simulator.md)."""
    s.admin.configure(call_rate=2.0)
    window = s.admin.window()
    with CallbackReceiver(first_status=500) as receiver:
        list_id = s.save(contacts_csv(12), window).json()["list_id"]
        start = {"agent_id": AGENT, "list_id": list_id, "number_pool_id": POOL, "callback_url": receiver.url}
        start["email_completion_user_ids"] = ["user-a", "user-b"]
        assert s.api.post("/campaign/v2/start", json=start).status_code == 200
        truth = s.finished(list_id)
        wait_for(lambda: len(receiver.posts) == 2)
        stopped = s.launched(contacts_csv(30, start=100), s.admin.window(), callback_url=receiver.url)
        s.api.patch("/campaign/terminate", json={"campaign_id": stopped})
        wait_for(lambda: len(receiver.posts) == 3)
    first, again, terminated = receiver.posts
    assert first == again, "the refused POST is sent again, unchanged"
    assert first["event_type"] == "campaign_completed" and first["campaign_id"] == list_id
    assert first["campaign_status"] == "completed" and first["total_calls"] == 12 == len(truth)
    assert sum(first["calls_by_status"].values()) == 12 and first["not_called"] == 0
    assert terminated["campaign_id"] == stopped and terminated["campaign_status"] == "terminated"
    [record, _] = s.admin.callbacks()
    assert record["delivered"] and [a["status"] for a in record["attempts"]] == [500, 200]
    assert s.admin.emails()[0]["user_ids"] == ["user-a", "user-b"]
    assert s.admin.emails()[0]["campaign_status"] == "completed"
