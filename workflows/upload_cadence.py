"""When to read Ringg's upload-status next, paced by the file's expected processing time (pure: used inside the
workflow, and by the tests and the bench that replay timelines through it)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from contract.campaign import PollingConfig

# The launch should follow Ringg's "ready" within max(floor, LAG_SHARE of the processing time). A read that finds
# the upload still processing at `t` seconds proves processing takes longer than `t`, so a next read at most
# LAG_SHARE * t later keeps that bound whatever the file's real speed (the reads then grow geometrically).
LAG_SHARE = 0.1
# What the launch itself adds after the read that finds the list ready (that read's round trip, check-balance and
# make-call-async on a healthy Ringg): taken off the spacing, so read + launch stay inside the bound.
LAUNCH_STEPS_S = 0.3
# The Temporal server fires a timer no sooner than about a second (measured on the dev server: 0.3 s and 0.7 s
# timers fired after 1.0 s); a shorter wait is taken inside the next read (UploadStatusRead.wait_s).
SHORTEST_TIMER_S = 1.0
# How far the prior speed (PollingConfig.upload_rows_per_s) may be too slow (10x, with a margin): the first read
# comes when a file processed this many times faster than the prior would be ready. A prior 10x too slow then
# costs a read or two, a right one about log(12)/log(1.1) = 26 reads before its ETA, a 10x too fast one about 50
# (without Ringg's progress fields; with them a handful): a slow prior is the cheap mistake.
PRIOR_SPREAD = 12.0
# Once Ringg reports progress, the rest of the file may go this many times faster than the rate measured between
# the last two reads: the next read comes when the rest would be done at that faster rate.
RATE_SPREAD = 2.0


@dataclass(frozen=True)
class UploadSample:
    """One upload-status read that carried progress: seconds since the upload was accepted when the read was
    sent, and the share of the rows Ringg had processed (0..1)."""

    elapsed_s: float
    done: float


def progress_share(
    processed_rows: int | None, total_rows: int | None, percent: float | None, rows: int
) -> float | None:
    """The processed share of the file from whichever of Ringg's fields came (processed/total rows, else the
    percentage, else processed rows over the rows sent); None without any, or when they make no sense."""
    share: float | None = None
    if processed_rows is not None and total_rows:
        share = processed_rows / total_rows
    elif percent is not None:
        share = percent / 100.0
    elif processed_rows is not None and rows > 0:
        share = processed_rows / rows
    if share is None or not math.isfinite(share) or share < 0:
        return None
    return min(share, 1.0)


def measured_rate(samples: Sequence[UploadSample]) -> float | None:
    """Share of the file processed per second between the last read and an earlier one that had already seen rows
    processed (before that Ringg may have held the list in a queue); None before two such reads."""
    last = samples[-1] if samples else None
    if last is None:
        return None
    for earlier in reversed(samples[:-1]):
        dt, dd = last.elapsed_s - earlier.elapsed_s, last.done - earlier.done
        if earlier.done > 0 and dt > 0 and dd > 0:
            return dd / dt
    return None


def earliest_ready_s(rows: int, polling: PollingConfig, samples: Sequence[UploadSample]) -> float:
    """Seconds after acceptance before which the upload is not expected to be ready: the rows still to process
    (all of them, or what the last read with progress left) at PRIOR_SPREAD times the prior speed, and once two
    reads saw rows move, at RATE_SPREAD times the measured rate; the later of the two."""
    whole_s = max(rows, 0) / (polling.upload_rows_per_s * PRIOR_SPREAD)
    earliest = whole_s
    last = samples[-1] if samples else None
    if last is not None:
        earliest = max(earliest, last.elapsed_s + (1.0 - last.done) * whole_s)
        rate = measured_rate(samples)
        if rate is not None:
            earliest = max(earliest, last.elapsed_s + (1.0 - last.done) / (rate * RATE_SPREAD))
    return earliest


def safe_spacing_s(elapsed_s: float, polling: PollingConfig) -> float:
    """The longest wait after a read at `elapsed_s` that still meets the lag bound: LAG_SHARE of the elapsed time
    less the launch's own steps, never under upload_initial_s (the floor: about 1 s with the launch's steps)."""
    return max(polling.upload_initial_s, LAG_SHARE * elapsed_s - LAUNCH_STEPS_S)


def next_upload_wait(
    polling: PollingConfig, *, elapsed_s: float, rows: int, samples: Sequence[UploadSample] = ()
) -> float:
    """Seconds from the upload-status read sent `elapsed_s` after Ringg accepted the upload of `rows` rows to the
    next read (before the first read: elapsed_s 0). Until the upload could plausibly be ready the workflow
    sleeps; from then on it reads at the safe spacing, so the launch follows "ready" within about
    max(1 s, 10% of the processing time) even when the prior was wrong; never longer than upload_max_s."""
    elapsed_s = max(elapsed_s, 0.0)
    until_plausible = earliest_ready_s(rows, polling, samples) - elapsed_s
    wait = max(until_plausible, safe_spacing_s(elapsed_s, polling))
    return min(wait, max(polling.upload_max_s, polling.upload_initial_s))
