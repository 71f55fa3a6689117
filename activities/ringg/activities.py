"""One activity per Ringg call, over one shared RinggClient. Every non-idempotent POST first reconciles with
Ringg's own state, so a retry after "committed on the server, response lost" never repeats the side effect."""

from __future__ import annotations

from activities.ringg.launch import LaunchActivities
from activities.ringg.not_called import NotCalledActivities
from activities.ringg.pools import PoolActivities
from activities.ringg.progress import ProgressActivities
from activities.ringg.upload import UploadActivities
from activities.ringg.upload_progress import UploadProgressActivities


class RinggActivities(
    UploadActivities,
    UploadProgressActivities,
    LaunchActivities,
    PoolActivities,
    ProgressActivities,
    NotCalledActivities,
):
    """All Ringg activities: register its bound methods on the worker (runtime/worker_app.py)."""
