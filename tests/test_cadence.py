"""Poll pacing: the wait before the next progress poll, from how fast calls finish."""

from __future__ import annotations

import pytest

from contract.campaign import PollingConfig
from workflows.cadence import next_poll_interval

POLLING = PollingConfig(monitor_initial_s=5, monitor_max_s=120, monitor_backoff=1.5)


def interval(
    *,
    changed: bool = True,
    finished_since_last: int = 0,
    seconds_since_last: float = 10.0,
    remaining: int | None = None,
    expected: int | None = None,
    previous_s: float = 10.0,
) -> float:
    return next_poll_interval(
        previous_s,
        POLLING,
        changed=changed,
        finished_since_last=finished_since_last,
        seconds_since_last=seconds_since_last,
        remaining=remaining,
        expected=expected,
    )


def test_the_next_poll_waits_for_about_a_thousand_more_finished_calls() -> None:
    # 500 calls finished in 10 s: 1,000 more take 20 s.
    assert interval(finished_since_last=500, expected=10_000, remaining=9_000) == pytest.approx(20.0)


def test_big_campaigns_poll_for_a_share_that_keeps_polls_near_the_limit() -> None:
    # 1M calls, at most ~150 polls: wait for ~6,667 calls; at 500 calls/s that is ~13 s.
    assert interval(finished_since_last=5_000, expected=1_000_000, remaining=900_000) == pytest.approx(
        1_000_000 / 150 / 500
    )


def test_the_last_calls_are_looked_at_when_they_should_be_done() -> None:
    assert interval(finished_since_last=100, seconds_since_last=10, expected=10_000, remaining=150) == pytest.approx(
        15.0
    )


@pytest.mark.parametrize(("finished", "expected_wait"), [(1, 120.0), (1_000_000, 5.0)], ids=["slow", "fast"])
def test_waits_stay_between_the_initial_and_maximum_interval(finished: int, expected_wait: float) -> None:
    assert interval(finished_since_last=finished, expected=2_000_000, remaining=1_000_000) == expected_wait


def test_nothing_moving_backs_off_and_movement_without_finished_calls_keeps_the_pace() -> None:
    assert interval(changed=False) == 15.0
    assert (
        next_poll_interval(
            100.0, POLLING, changed=False, finished_since_last=0, seconds_since_last=1, remaining=None, expected=None
        )
        == 120.0
    )
    assert interval(changed=True) == 10.0
