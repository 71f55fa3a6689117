"""The simulator's clock jumps forward on request (SimClock.advance_to, POST /_sim/clock): it keeps its speed,
never goes back, and the calls, window ends and callbacks due in the stretch it jumped over all happen; the wall
clock it reports and dates by can be moved forward with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ringg_sim.callbacks import collect_ended
from ringg_sim.clock import SimClock
from ringg_sim.testing import WINDOW_FORMAT, open_window
from tests.test_simulator import AGENT, NUM_ID, WIDE, FakeClock, Sim, make_csv, sim_env

KOLKATA = ZoneInfo("Asia/Kolkata")
HOUR = 3600.0


def test_advance_to_jumps_forward_and_keeps_the_speed() -> None:
    wall = FakeClock(1_000.0)
    clock = SimClock(wall, time_scale=0.01)
    wall.advance(1)
    assert clock.now() == pytest.approx(1_100.0, abs=1e-3)
    assert clock.advance_to(50_000.0) == 50_000.0 and clock.now() == 50_000.0
    wall.advance(2)
    assert clock.now() == pytest.approx(50_200.0, abs=1e-3), "after a jump the clock runs on at its time_scale"
    assert clock.advance_to(40_000.0) == pytest.approx(50_200.0, abs=1e-3), "a jump back is refused: the clock reads on"
    assert clock.now() == pytest.approx(50_200.0, abs=1e-3)
    clock.set_scale(0.1)
    wall.advance(1)
    assert clock.now() == pytest.approx(50_210.0, abs=1e-3)


def test_wall_of_maps_an_instant_jumped_over_to_the_wall_instant_of_the_jump() -> None:
    wall = FakeClock(1_000.0)
    clock = SimClock(wall, time_scale=0.01)
    wall.advance(1)  # simulated 1_100
    clock.advance_to(10_000.0)  # at wall 1_001
    wall.advance(1)  # simulated 10_100
    assert clock.wall_of(1_050.0) == pytest.approx(1_000.5, abs=1e-3), "before the jump: as before"
    assert clock.wall_of(5_000.0) == pytest.approx(1_001.0, abs=1e-3), "never read: not a wall instant still to come"
    assert clock.wall_of(10_050.0) == pytest.approx(1_001.5, abs=1e-3)
    assert clock.wall_of(20_000.0) == pytest.approx(1_101.0, abs=1e-3), "the future: at the current speed"


def test_advance_to_moves_the_wall_clock_forward_without_moving_the_simulated_one_by_it() -> None:
    wall = FakeClock(1_000.0)
    clock = SimClock(wall, time_scale=0.01)
    wall.advance(1)  # simulated 1_100
    assert clock.advance_to(0.0, wall_t=90_000.0) == pytest.approx(1_100.0, abs=1e-3), "only the wall clock jumps"
    assert clock.wall() == pytest.approx(90_000.0, abs=1e-3)
    wall.advance(1)
    assert clock.wall() == pytest.approx(90_001.0, abs=1e-3) and clock.now() == pytest.approx(1_200.0, abs=1e-3)
    assert clock.wall_of(1_250.0) == pytest.approx(90_001.5, abs=1e-3), "reported times follow the new wall clock"
    clock.advance_to(0.0, wall_t=5.0)
    assert clock.wall() == pytest.approx(90_001.0, abs=1e-3), "the wall clock never goes back"


def _opening(now: float, hours: float) -> datetime:
    """The first whole minute at least `hours` after `now`, in Asia/Kolkata."""
    at = datetime.fromtimestamp(now + hours * HOUR, KOLKATA)
    return at.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def _launched_opening_later(
    s: Sim, n: int, opens: datetime, *, ends: datetime | None = None, daily: tuple[str, str] | None = None
) -> str:
    """A standard-flow list of `n` contacts launched now, whose window (and daily call time, if any) open at
    `opens`; no retries."""
    window = open_window(s.state.now(), daily=daily, retry_count=0)
    window["campaign_start_time"] = opens.strftime(WINDOW_FORMAT)
    if ends is not None:
        window["campaign_end_time"] = ends.strftime(WINDOW_FORMAT)
    if daily is not None:
        window["call_config"]["call_time"]["call_start_time"] = opens.strftime("%H:%M")
    s.window = window
    resp = await s.save(make_csv(n))
    assert resp.status_code == 200, resp.text
    list_id = str(resp.json()["list_id"])
    launched = await s.api.post(
        "/campaign/start", json={"agent_id": AGENT, "list_id": list_id, "from_numbers": [NUM_ID]}
    )
    assert launched.status_code == 200, launched.text
    return list_id


def _first_attempts(truth: list[dict[str, Any]]) -> list[float]:
    return sorted(datetime.fromisoformat(c["attempt_log"][0]["at"]).timestamp() for c in truth if c["attempts"])


async def test_a_jump_places_the_calls_due_in_the_stretch_at_their_own_instants() -> None:
    async with sim_env() as s:
        opens = _opening(s.state.now(), 3)
        list_id = await _launched_opening_later(s, 6, opens, daily=("00:00", "23:59"))
        s.clock.advance(1)  # 100 simulated seconds: the window is hours away
        assert {c["status"] for c in await s.truth(list_id)} == {"registered"}
        before = (await s.admin.get("/clock")).json()

        to = opens.timestamp() + 1800
        jumped = await s.admin.post("/clock", json={"advance_to": to}, params={"tz": "Asia/Kolkata"})
        assert jumped.status_code == 200, jumped.text
        body = jumped.json()
        assert body.keys() == before.keys() and body["epoch"] == pytest.approx(to, abs=1e-3)
        assert body["local"] == datetime.fromtimestamp(to, KOLKATA).strftime(WINDOW_FORMAT)

        truth = await s.truth(list_id)
        assert all(c["ended"] and c["attempts"] == 1 for c in truth), "every call was placed in the stretch"
        firsts = _first_attempts(truth)
        assert firsts[0] == pytest.approx(opens.timestamp(), abs=1e-3), "the first call starts as the window opens"
        assert firsts[-1] < to
        rows = (await s.history(bulk_list_id=list_id, limit=100, **WIDE))["calls"]
        wall_now = datetime.fromtimestamp(s.clock.t, UTC)
        attempts = [datetime.fromisoformat(r["call_attempt_time"]) for r in rows]
        assert len(attempts) == 6 and all(a <= wall_now for a in attempts), "an attempt dated in the wall's future"


async def test_a_jump_past_the_window_end_cancels_the_uncalled_and_completes() -> None:
    async with sim_env(call_rate=0.01) as s:  # a call every 100 simulated seconds: 6 fit the 10-minute window
        opens = _opening(s.state.now(), 1)
        list_id = await _launched_opening_later(s, 20, opens, ends=opens + timedelta(minutes=10))
        await s.admin.post("/clock", json={"advance_to": opens.timestamp() + 2 * HOUR})
        truth = await s.truth(list_id)
        called = [c for c in truth if c["attempts"]]
        never = [c for c in truth if not c["attempts"]]
        assert len(called) == 6 and all(c["ended"] for c in called)
        assert all(c["status"] == "cancelled" and c["sub_status"] == "CAMPAIGN_TIME_EXCEEDED" for c in never)
        assert (await s.campaign(list_id))["campaign_status"] == "completed"


async def test_a_request_for_an_earlier_instant_changes_nothing_and_bad_bodies_are_refused() -> None:
    async with sim_env() as s:
        now = (await s.admin.get("/clock")).json()["epoch"]
        back = await s.admin.post("/clock", json={"advance_to": now - 3 * HOUR})
        assert back.status_code == 200 and back.json()["epoch"] == pytest.approx(now, abs=1e-3)
        for body in ({}, {"advance_to": -1}, {"advance_to": "soon"}, {"advance_to": now + 10, "by": 5}):
            assert (await s.admin.post("/clock", json=body)).status_code == 422, body
        too_far = await s.admin.post("/clock", json={"advance_to": now + 400 * 86400})
        assert too_far.status_code == 422 and "366 days" in too_far.json()["detail"]
        bad_zone = await s.admin.post("/clock", json={"advance_to": now + 10}, params={"tz": "Mars/Base"})
        assert bad_zone.status_code == 400
        assert (await s.admin.get("/clock")).json()["epoch"] == pytest.approx(now, abs=1e-3), (
            "a refused jump moved the clock"
        )


async def test_a_campaign_that_ended_in_the_stretch_reports_its_end_at_the_jump_not_later() -> None:
    async with sim_env() as s:
        opens = _opening(s.state.now(), 2)
        list_id = await _launched_opening_later(s, 3, opens)
        # a callback_url without the deliverer running (no HTTP here): the payload is what is checked
        s.state.launches[-1].callback_url = "http://127.0.0.1:9/unused"
        s.clock.advance(1)
        jump_wall = s.clock.t
        await s.admin.post("/clock", json={"advance_to": opens.timestamp() + HOUR})
        s.clock.advance(5)
        (record,) = [r for r in collect_ended(s.state) if r.campaign_id == list_id]
        ended = datetime.fromisoformat(record.payload["ended_at"]).timestamp()
        assert ended == pytest.approx(jump_wall, abs=1e-3), "the campaign ended inside the jump: dated at the jump"


async def test_a_wall_jump_dates_the_next_launch_by_the_new_wall_clock() -> None:
    async with sim_env() as s:
        wall_to = s.clock.t + 3 * 86400
        jumped = await s.admin.post("/clock", json={"advance_to": 0.5, "wall_to": wall_to})
        assert jumped.status_code == 200
        assert datetime.fromisoformat(jumped.json()["wall"]).timestamp() == pytest.approx(wall_to, abs=1e-3)
        opens = _opening(s.state.now(), 1)
        list_id = await _launched_opening_later(s, 2, opens)
        created = [r["created_at"] for r in (await s.history(bulk_list_id=list_id, limit=10))["calls"]]
        assert len(created) == 2, "history's default window (today) is the new wall clock's day"
        assert datetime.fromisoformat(created[0]).timestamp() == pytest.approx(wall_to, abs=1e-3)
        too_far = await s.admin.post("/clock", json={"advance_to": 0.5, "wall_to": wall_to + 400 * 86400})
        assert too_far.status_code == 422 and "wall_to" in too_far.json()["detail"]
