"""CampaignWorkflow's chunks after their launch: the chunks' lists polled as one set of counts (a list whose calls
have all ended is not polled again), carried across continue-as-new, terminated on cancel."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.ringg.activities import RinggActivities
    from contract.campaign import CampaignResult, ContinuedState
    from contract.chunk_steps import ChunkSnapshotInput, TerminateChunksInput
    from contract.chunks import ChunkState
    from contract.ringg_steps import CampaignSnapshot, SnapshotInput
    from domain.chunks import combined_status

from workflows import options
from workflows.activity_calls import execute
from workflows.monitor_stage import MonitorStage
from workflows.patches import RINGG_DOCS_CHECKS


class ChunkMonitor(MonitorStage):
    """Monitoring, continue-as-new, cancel and the result of a campaign in chunks (`_chunks` set); the plain
    campaign's otherwise."""

    _chunks: ChunkState | None = None

    async def _snapshot(self, snapshot_input: SnapshotInput) -> CampaignSnapshot:
        chunks = self._chunks
        if chunks is None:
            return await super()._snapshot(snapshot_input)
        open_lists = [c for c in chunks.lists if c.list_id not in chunks.finished]
        statuses: list[str | None] = list(chunks.finished_statuses)
        counts = dict(chunks.finished_calls)
        requests = 0
        budget = None
        if open_lists:
            snap = await self._call(
                RinggActivities.snapshot_chunks,
                ChunkSnapshotInput(
                    lists=open_lists,
                    family_tag=chunks.family_tag,
                    since=snapshot_input.since,
                    campaign_status=snapshot_input.campaign_status,
                ),
                start_to_close_timeout=options.CHUNK_SNAPSHOT_TIMEOUT,
                heartbeat_timeout=options.SNAPSHOT_HEARTBEAT,
                retry_policy=options.SNAPSHOT_RETRY,
                summary=f"poll #{self._p.polls + 1} ({len(open_lists)} of {chunks.total} lists)",
            )
            requests, budget = snap.requests, snap.budget
            for one in snap.lists:
                statuses.append(one.ringg_status)
                for status, n in one.calls_by_status.items():
                    counts[status] = counts.get(status, 0) + n
                if one.finished:  # its calls have all ended: counted once more below, never polled again
                    chunks.finished.append(one.list_id)
                    ended = one.ringg_status or "completed"
                    chunks.finished_statuses[ended] = chunks.finished_statuses.get(ended, 0) + 1
                    for status, n in one.calls_by_status.items():
                        chunks.finished_calls[status] = chunks.finished_calls.get(status, 0) + n
        return CampaignSnapshot(
            ringg_status=combined_status(statuses),
            calls_by_status=counts,
            total_calls=sum(counts.values()),
            finished=len(chunks.finished) == len(chunks.lists),
            requests=requests,
            budget=budget,
        )

    async def _await_late_webhooks(self) -> None:
        # Webhooks find a campaign by BulkListId, which holds the first chunk's list only: the others' events are
        # not routed here, so waiting for them would only delay the end. The polls counted every list.
        if self._chunks is None:
            await super()._await_late_webhooks()

    def _continued_state(self) -> ContinuedState:
        return super()._continued_state().model_copy(update={"chunks": self._chunks})

    async def _resume(self, state: ContinuedState) -> None:
        await super()._resume(state)
        self._p.list_ids = [state.list_id]
        if state.chunks is not None:
            self._chunks = state.chunks
            self._p.list_ids = [c.list_id for c in state.chunks.lists]
            self._p.chunks, self._p.flow_note = state.chunks.total, state.chunks.note
            self._touch()

    async def _on_cancel(self) -> None:
        chunks = self._chunks
        if chunks is None:
            await super()._on_cancel()
            return
        self._set_stage("terminating", "cancel requested; terminating the chunks' queued calls on Ringg")
        try:
            ended = await execute(
                RinggActivities.terminate_chunks,
                TerminateChunksInput(family_tag=chunks.family_tag, list_ids=self._p.list_ids),
                start_to_close_timeout=options.TERMINATE_NUMBERS_TIMEOUT,
                heartbeat_timeout=options.TERMINATE_NUMBERS_HEARTBEAT,
                retry_policy=options.RINGG_RETRY,
                summary="terminate every chunk's list on Ringg (cancel)",
            )
        except ActivityError as err:
            reason = err.cause.message if isinstance(err.cause, ApplicationError) else str(err.cause or err)
            workflow.logger.error("terminating the chunks on cancel failed: %s", reason)
            self._set_stage(
                "cancelled",
                f"Ringg refused the terminate ({reason}); queued calls of the campaign's {len(self._p.list_ids)} "
                "chunk lists may still be placed: terminate them from Ringg's dashboard",
            )
            return
        left = ""
        if workflow.patched(RINGG_DOCS_CHECKS):
            not_called = await self._count_not_called(stopped=True)
            left = f"; {not_called:,} contacts were never called" if not_called else ""
        self._set_stage(
            "cancelled",
            f"terminated {len(ended.terminated)} chunk lists on Ringg{left}; calls already in progress finish normally",
        )

    def _result(self, status: str) -> CampaignResult:
        return (
            super()
            ._result(status)
            .model_copy(
                update={"list_ids": list(self._p.list_ids), "chunks": self._p.chunks, "flow_note": self._p.flow_note}
            )
        )
