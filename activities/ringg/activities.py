"""One activity per Ringg call, over one shared RinggClient. Every non-idempotent POST first reconciles with
Ringg's own state, so a retry after "committed on the server, response lost" never repeats the side effect."""

from __future__ import annotations

from pathlib import Path

from activities.reports import DEFAULT_REPORT_DIR
from activities.ringg.chunks import ChunkActivities
from activities.ringg.large_access import LargeFlowMode
from activities.ringg.launch import LaunchActivities
from activities.ringg.not_called import NotCalledActivities
from activities.ringg.pools import PoolActivities
from activities.ringg.progress import ProgressActivities
from activities.ringg.reconcile import CONFIRM_EVERY_S, CONFIRM_WITHIN_S
from activities.ringg.upload import UploadActivities
from activities.ringg.upload_progress import UploadProgressActivities
from domain.csv_sources import CsvSources
from ringg import RinggClient


class RinggActivities(
    ChunkActivities,
    UploadActivities,
    UploadProgressActivities,
    LaunchActivities,
    PoolActivities,
    ProgressActivities,
    NotCalledActivities,
):
    """All Ringg activities: register its bound methods on the worker (runtime/worker_app.py). `large_flow` is the
    worker's RINGG_LARGE_FLOW (activities/ringg/large_access.py); `sources` where contacts files may be read from
    (None: this process's CAMPAIGN_CSV_* environment)."""

    def __init__(
        self,
        client: RinggClient,
        *,
        confirm_within_s: float = CONFIRM_WITHIN_S,
        confirm_every_s: float = CONFIRM_EVERY_S,
        report_dir: Path = DEFAULT_REPORT_DIR,
        large_flow: LargeFlowMode = "auto",
        sources: CsvSources | None = None,
    ) -> None:
        super().__init__(
            client,
            confirm_within_s=confirm_within_s,
            confirm_every_s=confirm_every_s,
            report_dir=report_dir,
            sources=sources,
        )
        self._large_flow = large_flow
