"""ExportCampaignWorkflow with a stub export_calls activity: the window it resolves, a readable failure for a bad
request, and a history that holds locations and counts only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from contract.export import ExportInput, ExportRequest, ExportResult, ExportSummary
from workflows.export import ExportCampaignWorkflow


async def run_export(env: WorkflowEnvironment, req: ExportRequest) -> tuple[ExportResult, list[ExportInput]]:
    seen: list[ExportInput] = []

    @activity.defn(name="export_calls")
    async def export_calls(inp: ExportInput) -> ExportResult:
        seen.append(inp)
        return ExportResult(
            list_id=inp.list_id,
            files={fmt: f"{inp.out_uri}/calls-{inp.list_id}.{fmt}" for fmt in inp.formats},
            rows=3,
            summary=ExportSummary(total_calls=3, by_status={"completed": 3}),
        )

    async with Worker(
        env.client, task_queue=f"tq-{uuid.uuid4()}", workflows=[ExportCampaignWorkflow], activities=[export_calls]
    ) as worker:
        result = await env.client.execute_workflow(
            ExportCampaignWorkflow.run, req, id=f"export-{uuid.uuid4()}", task_queue=worker.task_queue
        )
    return result, seen


async def test_runs_the_export_activity_with_a_resolved_window(env: WorkflowEnvironment) -> None:
    req = ExportRequest(list_id="bulk-1", out_uri="/exports", formats=["jsonl", "csv", "jsonl"])
    before = await env.get_current_time()
    result, seen = await run_export(env, req)

    assert result.rows == 3 and set(result.files) == {"csv", "jsonl"}
    (inp,) = seen
    assert inp.formats == ["jsonl", "csv"] and inp.list_id == "bulk-1" and inp.out_uri == "/exports"
    assert timedelta(days=89) < before - inp.since < timedelta(days=91)
    assert timedelta(hours=23) < inp.until - before < timedelta(days=2)

    since = datetime(2030, 10, 1, tzinfo=UTC)
    _, seen = await run_export(env, req.model_copy(update={"since": since, "until": since + timedelta(days=3)}))
    assert (seen[0].since, seen[0].until) == (since, since + timedelta(days=3))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"formats": ["xlsx"]}, "formats must be one or more of csv, jsonl"),
        ({"formats": []}, "formats must be one or more of csv, jsonl"),
        ({"out_uri": " "}, "out_uri is required"),
        ({"page_size": 0}, "page_size must be between 1 and 1000"),
    ],
)
async def test_a_bad_request_fails_readably_without_running_the_activity(
    env: WorkflowEnvironment, changes: dict[str, object], expected: str
) -> None:
    req = ExportRequest(list_id="bulk-1", out_uri="/exports").model_copy(update=changes)
    with pytest.raises(WorkflowFailureError) as info:
        await run_export(env, req)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidExportRequest" and cause.non_retryable
    assert expected in cause.message
