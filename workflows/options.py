"""Timeouts and retry policies per activity, in one place (documented in docs/operations.md)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from contract.campaign import PollingConfig
    from contract.errors import (
        CAMPAIGN_IN_CHUNKS,
        CSV_CHANGED,
        EXPORT_LOCATION_UNUSABLE,
        INSUFFICIENT_BALANCE,
        INVALID_CSV,
        LARGE_FLOW_NOT_ENABLED,
        LARGE_FLOW_OFF,
        RINGG_AUTH,
        RINGG_INVALID_ROWS,
        RINGG_REJECTED,
        UNKNOWN_CALLER_NUMBER,
        UNKNOWN_NUMBER_POOL,
        UPLOAD_FAILED,
    )

PERMANENT = (
    INVALID_CSV,
    RINGG_AUTH,
    RINGG_REJECTED,
    INSUFFICIENT_BALANCE,
    UPLOAD_FAILED,
    CSV_CHANGED,
    UNKNOWN_CALLER_NUMBER,
    LARGE_FLOW_NOT_ENABLED,
    LARGE_FLOW_OFF,
    CAMPAIGN_IN_CHUNKS,
    UNKNOWN_NUMBER_POOL,
    RINGG_INVALID_ROWS,
)

# Reading and hashing the CSV: local I/O, a few quick retries (an http(s) source may blip).
PREFLIGHT_TIMEOUT = timedelta(minutes=15)
PREFLIGHT_HEARTBEAT = timedelta(seconds=30)  # a killed worker's pre-flight is retried after this
PREFLIGHT_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=PERMANENT)

# Every Ringg call: quick backoff, capped at a minute; 429 Retry-After overrides the backoff per attempt.
# The POSTs reconcile with Ringg before re-sending, so retrying them is safe.
# One request (the client's own timeout is 30 s) plus margin: a killed worker's call is retried after this.
RINGG_CALL_TIMEOUT = timedelta(seconds=45)
RINGG_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=30,
    non_retryable_error_types=PERMANENT,
)

# A launch may wait out Ringg's confirm window after an ambiguous failure (activities CONFIRM_WITHIN_S).
LAUNCH_TIMEOUT = timedelta(minutes=3)
LAUNCH_HEARTBEAT = timedelta(seconds=20)

# Ringg's invalid-rows CSV: heartbeats so a killed worker's download is retried in 20 s, not at the timeout.
DOWNLOAD_TIMEOUT = timedelta(minutes=10)
DOWNLOAD_HEARTBEAT = timedelta(seconds=20)

# Opt-out lists: one terminate request per 100 numbers.
TERMINATE_NUMBERS_TIMEOUT = timedelta(minutes=10)
TERMINATE_NUMBERS_HEARTBEAT = timedelta(seconds=45)  # one heartbeat per batch (a request is at most 30 s)

# The upload streams the whole file in one request: long timeout, heartbeats prove the worker is alive.
UPLOAD_TIMEOUT = timedelta(minutes=30)
UPLOAD_HEARTBEAT = timedelta(seconds=20)

# One chunk (at most 4,000 rows): its file rebuilt from the CSV, one save, one launch, each maybe after a confirm
# window. A short heartbeat: a killed worker's chunk is picked up again within 10 s.
CHUNK_TIMEOUT = timedelta(minutes=15)
CHUNK_HEARTBEAT = timedelta(seconds=10)
# A chunk snapshot counts every list not yet finished (7 requests each, 3 lists at a time).
CHUNK_SNAPSHOT_TIMEOUT = timedelta(minutes=10)

# A snapshot is ~10 requests; it heartbeats so a killed worker's poll is retried within 15 s.
SNAPSHOT_TIMEOUT = timedelta(minutes=2)
SNAPSHOT_HEARTBEAT = timedelta(seconds=15)

# Contacts never called: one history request per 100 cancelled calls, once the campaign is final.
NOT_CALLED_TIMEOUT = timedelta(minutes=30)
NOT_CALLED_HEARTBEAT = timedelta(seconds=30)
# After a cancel's terminate the count may not hold the cancellation up longer than this (~100k calls).
NOT_CALLED_ON_CANCEL_BUDGET = timedelta(minutes=2)

# Monitoring never gives up on a transient outage; each failed poll is retried with a backoff up to 5 min.
SNAPSHOT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=0,
    non_retryable_error_types=PERMANENT,
)


# Export: one history request per 100 calls, streamed to files; heartbeats carry the page cursor, so a retry
# (a killed worker is noticed within the heartbeat timeout) resumes from the last page written.
EXPORT_TIMEOUT = timedelta(hours=3)
EXPORT_HEARTBEAT = timedelta(seconds=30)
EXPORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=30,
    non_retryable_error_types=[*PERMANENT, EXPORT_LOCATION_UNUSABLE],
)
# The contact ledger (a database the worker reaches): quick retries, capped at a minute, for as long as it is
# down within the deadline. Screening blocks the campaign (no upload before the suppression list is checked);
# recording the calls at the end gives up after its deadline with a warning, and the campaign still ends.
LEDGER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=60),
    maximum_attempts=0,
    non_retryable_error_types=PERMANENT,
)
LEDGER_SCREEN_TIMEOUT = timedelta(minutes=30)
LEDGER_SCREEN_DEADLINE = timedelta(hours=6)
LEDGER_HEARTBEAT = timedelta(seconds=30)
LEDGER_STATUS_TIMEOUT = timedelta(seconds=30)
LEDGER_STATUS_DEADLINE = timedelta(minutes=10)
LEDGER_RECORD_TIMEOUT = timedelta(hours=3)
LEDGER_RECORD_DEADLINE = timedelta(hours=6)
# Without a window in the request, calls are looked up this far back (Ringg's history defaults to today only).
EXPORT_LOOKBACK = timedelta(days=90)


def upload_status_retry(polling: PollingConfig) -> RetryPolicy:
    """The upload-status poll loop *is* this retry policy: each 'still processing' answer is a benign
    retryable error, so polls cost no history events."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=polling.upload_initial_s),
        backoff_coefficient=1.6,
        maximum_interval=timedelta(seconds=max(polling.upload_max_s, polling.upload_initial_s)),
        maximum_attempts=0,
        non_retryable_error_types=PERMANENT,
    )


def upload_read_retry(polling: PollingConfig) -> RetryPolicy:
    """A failed upload-status read of a paced run (the pacing itself lives in workflows/upload_cadence.py) is
    retried from upload_initial_s, backing off to at most upload_max_s or a minute, whichever is shorter."""
    return RetryPolicy(
        initial_interval=timedelta(seconds=polling.upload_initial_s),
        backoff_coefficient=1.6,
        maximum_interval=timedelta(seconds=max(min(polling.upload_max_s, 60.0), polling.upload_initial_s)),
        maximum_attempts=0,
        non_retryable_error_types=PERMANENT,
    )
