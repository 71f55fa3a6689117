"""Runs a campaign worker: `python worker.py` (configured by RINGG_API_KEY, RINGG_BASE_URL, TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, RINGG_TASK_QUEUE; METRICS_BIND_ADDRESS serves Prometheus metrics)."""

from __future__ import annotations

import asyncio
import sys

from ledger.store import LedgerNotReady
from runtime.logs import configure_logging
from runtime.metrics import MetricsUnavailable
from runtime.settings import SettingsError, WorkerSettings
from runtime.worker_app import run_worker


def main() -> int:
    try:
        settings = WorkerSettings.from_env()
    except SettingsError as err:
        print(f"worker not started: {err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        asyncio.run(run_worker(settings))
    except MetricsUnavailable as err:
        print(f"worker not started: {err} (METRICS_BIND_ADDRESS)", file=sys.stderr)
        return 2
    except LedgerNotReady as err:
        print(f"worker not started: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
