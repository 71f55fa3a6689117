"""How long to wait before the next progress poll (pure: used inside the workflow)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contract.campaign import PollingConfig


def next_poll_interval(
    previous_s: float,
    polling: PollingConfig,
    *,
    changed: bool,
    finished_since_last: int,
    seconds_since_last: float,
    remaining: int | None,
    expected: int | None,
) -> float:
    """A poll costs the same few history requests whatever the campaign's size, so the cost of monitoring is the
    number of polls. Once calls are finishing, the next poll is timed for when about `calls_per_poll` more calls
    will have finished (for big campaigns, a share of them that keeps the polls near `max_polls`), never sooner
    than `monitor_initial_s` nor later than `monitor_max_s`. While nothing moves, the wait backs off."""
    low, high = polling.monitor_initial_s, polling.monitor_max_s
    if finished_since_last > 0 and seconds_since_last > 0:
        rate = finished_since_last / seconds_since_last
        target = max(polling.monitor_calls_per_poll, (expected or 0) / max(polling.monitor_max_polls, 1))
        if remaining is not None and remaining > 0:
            target = min(target, remaining)  # the last calls: look again when they should be done
        return min(max(target / rate, low), high)
    if changed:
        return min(max(previous_s, low), high)
    return min(max(previous_s, low) * polling.monitor_backoff, high)
