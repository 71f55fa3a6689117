"""Upload-status pacing (workflows/upload_cadence.py) over simulated timelines: for processing times from seconds to
hours and priors right, 10x too slow and 10x too fast, with and without Ringg's progress fields, the read that
finds the list ready follows "ready" within max(1 s, 10%) less the launch's own steps, at a bounded number of
reads; today's 5 s -> 60 s backoff misses both."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from contract.campaign import PollingConfig
from workflows.upload_cadence import (
    LAUNCH_STEPS_S,
    UploadSample,
    earliest_ready_s,
    measured_rate,
    next_upload_wait,
    progress_share,
)

PROCESSING_S = (3.0, 30.0, 300.0, 3600.0, 6 * 3600.0)
# the file's real speed over the prior: 1 = right, 10 = the prior is 10x too slow, 0.1 = 10x too fast
PRIOR_ERRORS = (1.0, 10.0, 0.1)
POLLING = PollingConfig()
# Reads allowed: 20 per processing hour plus a constant. With Ringg's progress fields the constant is small (a
# first read, a second to measure the rate, a few halvings of the rest): 10. Without them the upload's progress
# is invisible, and keeping the lag bound over a prior that may be 10x wrong either way means reading every 10%
# of the elapsed time across that range: log(120)/log(1.1) ~ 50 reads, plus ~14 at the 0.7 s floor.
EXTRA_READS_WITH_PROGRESS = 10
EXTRA_READS_BLIND = 64

# next wait from (elapsed_s, rows, samples)
Pacer = Callable[[float, int, list[UploadSample]], float]


def paced(elapsed_s: float, rows: int, samples: list[UploadSample]) -> float:
    return next_upload_wait(POLLING, elapsed_s=elapsed_s, rows=rows, samples=samples)


def todays_backoff() -> Pacer:
    """The cadence before issue 15: read at once, then wait 5 s, longer by 1.6x up to 60 s."""
    calls: list[float] = []

    def pace(elapsed_s: float, rows: int, samples: list[UploadSample]) -> float:
        calls.append(elapsed_s)
        return 0.0 if len(calls) == 1 else min(5.0 * 1.6 ** (len(calls) - 2), 60.0)

    return pace


def timeline(
    pace: Pacer, processing_s: float, rows: int, *, progress: bool, queued_share: float = 0.0
) -> tuple[float, int]:
    """(lag of the read that finds the list ready, reads) for an upload accepted at 0 and ready at processing_s;
    Ringg processes the rows evenly after a queue of queued_share of that time, like the simulator (progress
    counts the whole span)."""
    t = pace(0.0, rows, [])
    reads = 0
    samples: list[UploadSample] = []
    while True:
        reads += 1
        assert reads < 10_000, "the pacing never reached the ready time"
        if t >= processing_s:
            return t - processing_s, reads
        if progress:
            start = queued_share * processing_s
            done = max(0.0, (t - start) / (processing_s - start))
            samples = [*samples[-2:], UploadSample(elapsed_s=t, done=int(done * rows) / rows)]
        t += pace(t, rows, samples)


def misses(
    pace_for: Callable[[], Pacer], *, progress: bool, queued_share: float = 0.0, extra: int | None = None
) -> list[str]:
    if extra is None:
        extra = EXTRA_READS_WITH_PROGRESS if progress else EXTRA_READS_BLIND
    found = []
    for processing_s in PROCESSING_S:
        for error in PRIOR_ERRORS:
            rows = max(1, round(processing_s * POLLING.upload_rows_per_s * error))
            lag, reads = timeline(pace_for(), processing_s, rows, progress=progress, queued_share=queued_share)
            lag_bound = max(1.0, 0.1 * processing_s) - LAUNCH_STEPS_S
            read_bound = 20 * processing_s / 3600 + extra
            if lag > lag_bound + 1e-9 or reads > read_bound:
                found.append(f"{processing_s:g}s x{error:g}: lag {lag:.2f}s (<= {lag_bound:.2f}), {reads} reads")
    return found


@pytest.mark.parametrize("progress", [True, False], ids=["progress fields", "no progress fields"])
def test_the_launch_follows_ready_within_the_bound_at_bounded_reads(progress: bool) -> None:
    assert misses(lambda: paced, progress=progress) == []


def test_a_queue_before_processing_still_meets_the_bound() -> None:
    """Ringg may hold the list 'uploaded' (nothing processed) before it starts: the rate is measured once rows
    move, not over the queue. While nothing moves the pacing is as blind as without progress fields."""
    assert misses(lambda: paced, progress=True, queued_share=0.3, extra=EXTRA_READS_BLIND) == []


@pytest.mark.parametrize("progress", [True, False], ids=["progress fields", "no progress fields"])
def test_todays_backoff_misses_the_bound(progress: bool) -> None:
    found = misses(todays_backoff, progress=progress)
    assert any(case.startswith("3s ") for case in found), found  # a 3 s file waits for the 5 s read
    assert any(case.startswith("21600s ") for case in found), found  # 6 h at 60 s cost 360 reads


def test_progress_fields_cost_few_reads_for_long_files() -> None:
    """With Ringg's counts a one-hour file costs well under 20 reads whatever the prior."""
    for error in PRIOR_ERRORS:
        rows = round(3600 * POLLING.upload_rows_per_s * error)
        _, reads = timeline(paced, 3600.0, rows, progress=True)
        assert reads <= 12, (error, reads)


def test_waits_stay_within_upload_initial_and_max() -> None:
    tight = PollingConfig(upload_initial_s=2.0, upload_max_s=30.0)
    assert next_upload_wait(tight, elapsed_s=0.0, rows=10) == 2.0
    assert next_upload_wait(tight, elapsed_s=5000.0, rows=10) == 30.0
    assert next_upload_wait(tight, elapsed_s=0.0, rows=10_000_000) == 30.0
    lag, reads = timeline(
        lambda e, r, s: next_upload_wait(tight, elapsed_s=e, rows=r, samples=s), 3600.0, 1_080_000, progress=False
    )
    assert lag <= 30.0 and reads >= 3600 / 30 - 1


def test_the_first_read_waits_for_the_earliest_plausible_ready_time() -> None:
    rows = 1_200_000  # 4,000 s at the 300 rows/s prior: not before 4,000 / 12 s
    assert next_upload_wait(POLLING, elapsed_s=0.0, rows=rows) == pytest.approx(rows / 300 / 12)


def test_the_measured_rate_replaces_the_prior() -> None:
    samples = [UploadSample(10.0, 0.10), UploadSample(20.0, 0.20)]  # 1% per second: 80 s left
    assert measured_rate(samples) == pytest.approx(0.01)
    assert earliest_ready_s(1000, POLLING, samples) == pytest.approx(20.0 + 80.0 / 2)
    stalled = [UploadSample(10.0, 0.2), UploadSample(20.0, 0.2)]
    assert measured_rate(stalled) is None and measured_rate(samples[:1]) is None


@pytest.mark.parametrize(
    ("processed", "total", "percent", "rows", "share"),
    [
        (50, 200, None, 999, 0.25),
        (None, None, 40.0, 999, 0.4),
        (30, None, None, 60, 0.5),
        (500, 200, None, 999, 1.0),  # more processed than received: capped
        (-5, 200, None, 999, None),  # hostile counts are ignored, not trusted
        (None, None, float("nan"), 999, None),
        (None, 0, None, 0, None),
    ],
)
def test_progress_share_from_any_field(
    processed: int | None, total: int | None, percent: float | None, rows: int, share: float | None
) -> None:
    assert progress_share(processed, total, percent, rows) == share
