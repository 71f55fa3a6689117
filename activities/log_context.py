"""Every line an activity logs names its workflow, its activity type and the attempt."""

from __future__ import annotations

from contextlib import AbstractContextManager

import structlog
from temporalio import activity


def activity_log_context() -> AbstractContextManager[None]:
    info = activity.info()
    return structlog.contextvars.bound_contextvars(
        workflow_id=info.workflow_id, activity=info.activity_type, attempt=info.attempt
    )
