"""ExportCampaignWorkflow: writes one campaign's per-contact outcomes to files, on the worker (which holds the
API key), for a running or a finished campaign alike."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.export.calls import ExportActivities
    from contract.errors import INVALID_EXPORT_REQUEST
    from contract.export import ExportFormat, ExportInput, ExportRequest, ExportResult
    from contract.names import EXPORT_WORKFLOW
    from domain.export_checks import export_problems

from workflows import options
from workflows.activity_calls import execute


@workflow.defn(name=EXPORT_WORKFLOW)
class ExportCampaignWorkflow:
    """Runs the export_calls activity for one Ringg list id and returns where the files are, with the summary.
    History holds the request (list id, a directory URI, a window) and the result (file locations, counts):
    never a number or a name. No signals, queries or updates."""

    @workflow.run
    async def run(self, req: ExportRequest) -> ExportResult:
        problems = export_problems(req)
        if problems:
            raise ApplicationError(
                "Export not started: " + "; ".join(problems), type=INVALID_EXPORT_REQUEST, non_retryable=True
            )
        now = workflow.now()
        result = await execute(
            ExportActivities.export_calls,
            ExportInput(
                list_id=req.list_id,
                out_uri=req.out_uri,
                formats=[cast(ExportFormat, f) for f in dict.fromkeys(req.formats)],
                since=req.since or now - options.EXPORT_LOOKBACK,
                until=req.until or now + timedelta(days=1),
                page_size=req.page_size,
            ),
            start_to_close_timeout=options.EXPORT_TIMEOUT,
            heartbeat_timeout=options.EXPORT_HEARTBEAT,
            retry_policy=options.EXPORT_RETRY,
            summary=f"export the calls of list {req.list_id}"[:190],
        )
        # Replay-safe: the workflow meter records nothing while history is being replayed.
        workflow.metric_meter().create_counter("campaign_exports", "Completed exports").add(1)
        return result
