"""The simulator honours time as Ringg's docs describe it, on its simulated clock: the campaign window in the
campaign's timezone, the daily call time, scheduled_at, the window's end, and call_retry_config's minutes and
count (docs/simulator.md lists the rule behind each)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ringg_sim.testing import RunningSimulator, running_simulator
from tests.sim_strict_helpers import CallbackReceiver, Strict, contacts_csv, local, parse_sim, strict_client, wait_for

pytestmark = pytest.mark.integration

KOLKATA = "Asia/Kolkata"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key="sim-strict-time-77b2", time_scale=0.0005) as running:
        yield running


@pytest.fixture
def s(sim: RunningSimulator) -> Iterator[Strict]:
    with strict_client(sim) as client:
        defaults = client.admin.config()
        try:
            yield client
        finally:
            client.admin.configure(time_scale=defaults["time_scale"], call_rate=defaults["call_rate"])


def _minute_after(epoch: float, seconds: float, tz: str) -> tuple[str, float]:
    """The window text of the first whole minute at least `seconds` after `epoch`, and its instant."""
    at = datetime.fromtimestamp(epoch + seconds, ZoneInfo(tz)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    return at.strftime("%d/%m/%Y, %H:%M"), at.timestamp()


def _first_attempts(truth: list[dict[str, Any]]) -> list[float]:
    return sorted(parse_sim(c["attempt_log"][0]["at"]) for c in truth if c["attempt_log"])


def test_a_window_not_open_yet_waits_and_opens_in_the_campaigns_timezone(s: Strict) -> None:
    """D-concepts "Campaign Start Date/Time: When Ringg AI can start calling", read in call_time.timezone
    (bulk guide: "Set campaign windows in the audience's timezone"). The same text read in Asia/Kolkata would be
    9.5-10.5 hours away from New York's."""
    tz = "America/New_York"
    now = s.admin.now()
    opens_text, opens = _minute_after(now, 3600, tz)
    window = s.admin.window(timezone=tz, daily=None) | {"campaign_start_time": opens_text}
    window["campaign_end_time"] = local(now + 2 * 86400, tz)
    bulk = s.launched(contacts_csv(6), window)
    assert s.status(bulk) == "scheduled"
    rows = s.history(bulk)
    assert {r["status"] for r in rows} == {"registered"} and not any(r["call_attempt_time"] for r in rows)
    truth = s.finished(bulk)
    assert abs(_first_attempts(truth)[0] - opens) < 1e-3, "the first call starts when the window opens in New York"


def test_scheduled_at_holds_the_first_call(s: Strict) -> None:
    """call_config.call_time.scheduled_at (D-async's schema)."""
    now = s.admin.now()
    at = datetime.fromtimestamp(now + 3600, ZoneInfo(KOLKATA)).replace(microsecond=0)
    window = s.admin.window()
    window["call_config"]["call_time"]["scheduled_at"] = at.isoformat()
    bulk = s.launched(contacts_csv(5), window)
    assert s.status(bulk) == "scheduled"
    assert abs(_first_attempts(s.finished(bulk))[0] - at.timestamp()) < 1e-3


def test_the_daily_call_time_holds_every_attempt_to_its_slot_across_days(s: Strict) -> None:
    """call_config.call_time call_start_time/call_end_time (bulk guide step 2): calls outside it wait for the next
    day's slot."""
    s.admin.configure(time_scale=0.00003, call_rate=0.005)  # one call every 200 simulated seconds
    now = s.admin.now()
    begin_text, begin = _minute_after(now, 1800, KOLKATA)
    slot = (
        begin_text[-5:],
        (datetime.fromtimestamp(begin, ZoneInfo(KOLKATA)) + timedelta(minutes=30)).strftime("%H:%M"),
    )
    window = s.admin.window(daily=slot, retry_count=0, hours_after=36)
    bulk = s.launched(contacts_csv(16), window)
    truth = s.finished(bulk, timeout_s=60)
    lo, hi = (int(x[:2]) * 60 + int(x[3:]) for x in slot)
    slots: list[int] = []  # which day's slot (0 = the first), counted from the first slot's opening
    for call in truth:
        for attempt in call["attempt_log"]:
            t = datetime.fromisoformat(attempt["local"])
            minute = t.hour * 60 + t.minute
            assert (lo <= minute < hi) if lo < hi else (minute >= lo or minute < hi), attempt
            slots.append(int((t.timestamp() - begin) // 86400))
    assert sorted(set(slots)) == [0, 1] and slots.count(0) == 9, "9 calls fit a 30-minute slot, the rest wait a day"
    assert sum(1 for c in truth if c["attempts"]) == 16


def test_the_window_end_cancels_the_uncalled_and_the_waiting_retries_and_completes(s: Strict) -> None:
    """D-concepts "Campaign End Date/Time: When Ringg AI must stop calling", "Completed: The campaign finished or
    reached its end time". Never-attempted calls end cancelled with no attempt (history: call_attempt_time null,
    has_call_attempts false, call_duration 0); a call waiting for its retry keeps its attempt."""
    s.admin.configure(time_scale=0.002, call_rate=0.02)  # a call every 50 simulated s: ~25 of 60 in the window
    now = s.admin.now()
    ends_text, ends = _minute_after(now, 1200, KOLKATA)
    window = s.admin.window(retry_minutes=60) | {"campaign_end_time": ends_text}
    with CallbackReceiver() as receiver:
        bulk = s.launched(contacts_csv(60), window, callback_url=receiver.url, email_completion_user_ids=["ops-1"])
        truth = s.finished(bulk)
        wait_for(lambda: bool(receiver.posts))
    never = [c for c in truth if c["attempts"] == 0]
    waiting = [c for c in truth if c["status"] == "cancelled" and c["attempts"] > 0]
    assert never and waiting
    assert all(c["status"] == "cancelled" and c["sub_status"] == "CAMPAIGN_TIME_EXCEEDED" for c in never + waiting)
    assert all(parse_sim(a["at"]) < ends for c in truth for a in c["attempt_log"]), "no call after the window"
    rows = {r["id"]: r for r in s.history(bulk)}
    for c in never:
        row = rows[c["call_id"]]
        assert (row["status"], row["call_attempt_time"], row["has_call_attempts"], row["call_duration"]) == (
            "cancelled",
            None,
            False,
            0.0,
        )
    assert all(rows[c["call_id"]]["call_attempt_time"] and rows[c["call_id"]]["has_call_attempts"] for c in waiting)
    [post] = receiver.posts
    assert post["campaign_status"] == "completed" and post["not_called"] == len(never)
    assert post["calls_by_status"]["cancelled"] == len(never) + len(waiting)
    assert s.admin.emails()[0]["user_ids"] == ["ops-1"]


def test_a_window_already_over_completes_calling_nobody(s: Strict) -> None:
    now = s.admin.now()
    window = s.admin.window() | {"campaign_start_time": local(now - 7200), "campaign_end_time": local(now - 3600)}
    bulk = s.launched(contacts_csv(4), window)
    truth = s.finished(bulk, timeout_s=10)
    assert {(c["status"], c["attempts"]) for c in truth} == {("cancelled", 0)}


def test_retry_waits_and_counts_are_the_configured_ones(s: Strict) -> None:
    """call_retry_config: retry_busy / retry_not_picked / retry_failed are minutes to wait (ringg-api.md §1.1a,
    from Ringg's spec), retry_count is not capped at 3."""
    minutes = {"busy": 2, "not_picked": 5, "failed": 7}
    window = s.admin.window(retry_count=4)
    window["call_config"]["call_retry_config"] |= {f"retry_{k}": v for k, v in minutes.items()}
    bulk = s.launched(contacts_csv(60), window)
    no_retry = s.launched(contacts_csv(60, start=100), s.admin.window(retry_count=0))
    truth = s.finished(bulk)
    gaps = 0
    for call in truth:
        log = call["attempt_log"]
        for before, after in itertools.pairwise(log):
            waited = parse_sim(after["at"]) - parse_sim(before["at"]) - before["duration"]
            wait = minutes[before["result"]] * 60
            # Exactly the configured wait, unless it ended in the daily call time's closed minute (23:59-00:00
            # local): then the retry is placed when the call time opens again, at 00:00.
            at_open = after["local"][11:19] == "00:00:00" and wait < waited < wait + 61
            assert abs(waited - wait) < 0.01 or at_open, call
            gaps += 1
    assert gaps and max(c["attempts"] for c in truth) == 5 and {c["attempts"] for c in truth} >= {1, 2, 5}
    assert any(c["sub_status"] == "RETRY_LIMIT_REACHED" for c in truth)
    single = s.finished(no_retry)
    assert {c["attempts"] for c in single} == {1} and not any(c["sub_status"] == "RETRY_LIMIT_REACHED" for c in single)
