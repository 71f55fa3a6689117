"""CampaignWorkflow stages after the launch: monitoring (with continue-as-new) and cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.ringg.activities import RinggActivities
    from contract.campaign import CallCounts, CampaignProgress, ContinuedState
    from contract.ringg_steps import CampaignSnapshot, SnapshotInput, TerminateInput
    from contract.statuses import FINAL_CAMPAIGN_STATUSES, PENDING_STATUSES
    from domain.call_hours import call_zone, closed_until
    from domain.window import window_instant

from workflows import options
from workflows.activity_calls import execute
from workflows.cadence import next_poll_interval
from workflows.not_called import NotCalledStage
from workflows.patches import MONITOR_CALL_HOURS, RINGG_DOCS_CHECKS

# Continue as new well before Temporal's suggestion so one run's history stays small (principle 1).
HISTORY_EVENTS_BEFORE_CONTINUE = 1_500


FINAL_STATUS_POLLS = 3
# A poll after closed call hours comes this long after they open: the first calls have had time to start.
CALL_HOURS_MARGIN_S = 60.0
CAMPAIGN_STATUS_EVERY = 5


class MonitorStage(NotCalledStage):
    """Poll until Ringg reports the campaign finished; carry state across continue-as-new; terminate on cancel."""

    async def _monitor(self) -> None:
        assert self._p.list_id is not None
        polling = self._req.polling
        snapshot_input = SnapshotInput(
            list_id=self._p.list_id,
            idempotency_tag=self._tag,
            since=datetime.fromisoformat(self._since),
            expected_calls=self._p.contacts,
        )
        final_polls = 0
        last_finished, last_at = self._finished_calls(), workflow.now()
        while True:
            # Ringg's campaign status costs a request: every few polls, and whenever no call is pending.
            ask_status = self._p.polls % CAMPAIGN_STATUS_EVERY == 0
            # Scheduled (waiting for its start time) with no call moved yet: the status alone tells the next step.
            probe = self._p.ringg_status == "scheduled" and not self._finished_calls() and not self._calls_moving()
            asks = {"campaign_status": ask_status, "scheduled_probe": probe, "previous_counts": self._p.calls.by_status}
            snapshot_input = snapshot_input.model_copy(update=asks)
            snap = await self._snapshot(snapshot_input)
            changed = snap.calls_by_status != self._p.calls.by_status or (
                snap.ringg_status is not None and snap.ringg_status != self._p.ringg_status
            )
            self._p.polls += 1
            self._p.ringg_budget = snap.budget or self._p.ringg_budget
            self._p.ringg_status = snap.ringg_status or self._p.ringg_status
            if snap.counts_read:
                self._p.calls = CallCounts(by_status=snap.calls_by_status, total=snap.total_calls)
                self._touch()
                self._emit_progress()  # events out (event_stages.py)
            else:
                changed = False
                self._set_stage("monitoring", "scheduled on Ringg: waiting for the campaign's start time")
            if snap.finished:
                return
            # Ringg calls the campaign finished but some calls still read as pending: trust Ringg after a few polls.
            if snap.ringg_status is not None:
                final_polls = final_polls + 1 if snap.ringg_status in FINAL_CAMPAIGN_STATUSES else 0
            if final_polls >= FINAL_STATUS_POLLS:
                return
            webhooks_flowing = self._webhook_since_poll > 0
            self._webhook_since_poll = 0
            finished, now = self._finished_calls(), workflow.now()
            expected = self._p.contacts
            self._monitor_interval = next_poll_interval(
                self._monitor_interval,
                polling,
                changed=changed,
                finished_since_last=finished - last_finished,
                seconds_since_last=(now - last_at).total_seconds(),
                remaining=expected - finished if expected else None,
                expected=expected,
            )
            last_finished, last_at = finished, now
            if webhooks_flowing:
                # Webhooks keep the progress live: polls only reconcile, so they come less often.
                self._monitor_interval *= polling.webhook_slowdown
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                await self._events_before_continue()  # events out (event_stages.py)
                await self._release_claim()
                workflow.continue_as_new(self._req.model_copy(update={"continued": self._continued_state()}))
            wait_s, summary = self._monitor_interval, f"next poll in {self._monitor_interval:.0f}s"
            opens = self._closed_until() if workflow.patched(MONITOR_CALL_HOURS) else None
            if opens is not None:
                # No call ongoing and Ringg's daily call time closed: nothing can change before it opens again.
                wait_s = max(wait_s, (opens - workflow.now()).total_seconds() + CALL_HOURS_MARGIN_S)
                summary = f"call time closed; next poll when it opens at {opens:%Y-%m-%d %H:%M} UTC"
                self._set_stage("monitoring", f"outside the daily call time: {summary}")
            # Woken early when webhooks have reported every expected call: the final poll need not wait.
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(self._all_reported_by_webhook, timeout=wait_s, timeout_summary=summary)

    async def _snapshot(self, snapshot_input: SnapshotInput) -> CampaignSnapshot:
        return await self._call(
            RinggActivities.snapshot_campaign,
            snapshot_input,
            start_to_close_timeout=options.SNAPSHOT_TIMEOUT,
            heartbeat_timeout=options.SNAPSHOT_HEARTBEAT,
            retry_policy=options.SNAPSHOT_RETRY,
            summary=f"poll #{self._p.polls + 1}",
        )

    async def _await_late_webhooks(self) -> None:
        """Webhooks flowed but lag behind the finished calls: stay open a little for the late ones (a closed
        campaign cannot take the signal). Campaigns without webhooks end at once."""
        reported = self._p.webhook_calls
        if not reported:
            return
        finished = sum(self._p.calls.by_status.get(s, 0) for s in ("completed", "failed", "error"))
        if sum(reported.values()) >= finished:
            return
        self._set_stage("monitoring", "Ringg reports the campaign done; waiting briefly for late webhooks")
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(
                lambda: sum(self._p.webhook_calls.values()) >= finished,
                timeout=self._req.polling.webhook_grace_s,
                timeout_summary="late webhooks",
            )

    def _all_reported_by_webhook(self) -> bool:
        expected = self._p.contacts
        return bool(expected) and sum(self._p.webhook_calls.values()) >= (expected or 0) > self._finished_calls()

    def _closed_until(self) -> datetime | None:
        """When the daily call time opens again, if it is closed now and no call is ongoing; else None."""
        if self._p.calls.by_status.get("ongoing") or not self._req.campaign_end_time:
            return None
        end = window_instant(self._req.campaign_end_time, call_zone(self._req.call_config))
        return closed_until(workflow.now(), self._req.call_config, end)

    def _calls_moving(self) -> bool:
        return any(self._p.calls.by_status.get(s, 0) for s in ("ongoing", "retry"))

    def _finished_calls(self) -> int:
        pending = sum(self._p.calls.by_status.get(s, 0) for s in PENDING_STATUSES)
        return self._p.calls.total - pending

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > HISTORY_EVENTS_BEFORE_CONTINUE

    def _continued_state(self) -> ContinuedState:
        assert self._p.list_id is not None and self._p.flow is not None and self._p.idempotency_key is not None
        return ContinuedState(
            idempotency_key=self._p.idempotency_key,
            idempotency_tag=self._tag,
            flow=self._p.flow,
            list_id=self._p.list_id,
            since=self._since,
            data_rows=self._data_rows,
            contacts=self._p.contacts,
            invalid_rows=self._p.invalid_rows,
            invalid_rows_report=self._p.invalid_rows_report,
            unusable_rows=self._p.unusable_rows,
            duplicate_rows=self._p.duplicate_rows,
            contacts_report=self._p.contacts_report,
            reused_existing_list=self._reused,
            polls=self._p.polls,
            webhook_calls=self._p.webhook_calls,
            monitor_interval_s=self._monitor_interval,
            calls_by_status=self._p.calls.by_status,
            ringg_status=self._p.ringg_status,
            upload=self._p.upload,
            workspace_has_ongoing_calls=self._p.workspace_has_ongoing_calls,
            suppressed_rows=self._p.suppressed_rows,
            capped_rows=self._p.capped_rows,
            ledger=self._ledger_on,
            events=self._events_carried(),
        )

    async def _resume(self, state: ContinuedState) -> None:
        self._tag, self._since = state.idempotency_tag, state.since
        self._data_rows, self._reused = state.data_rows, state.reused_existing_list
        self._monitor_interval = state.monitor_interval_s or self._req.polling.monitor_initial_s
        self._launch_attempted = True
        self._resume_events(state.events)
        self._p = CampaignProgress(
            campaign_name=self._req.campaign_name,
            idempotency_key=state.idempotency_key,
            flow=state.flow,
            list_id=state.list_id,
            data_rows=state.data_rows,
            contacts=state.contacts,
            invalid_rows=state.invalid_rows,
            invalid_rows_report=state.invalid_rows_report,
            unusable_rows=state.unusable_rows,
            duplicate_rows=state.duplicate_rows,
            contacts_report=state.contacts_report,
            ringg_status=state.ringg_status,
            calls=CallCounts(by_status=state.calls_by_status, total=sum(state.calls_by_status.values())),
            polls=state.polls,
            webhook_calls=state.webhook_calls,
            upload=state.upload,
            workspace_has_ongoing_calls=state.workspace_has_ongoing_calls,
            suppressed_rows=state.suppressed_rows,
            capped_rows=state.capped_rows,
        )
        self._ledger_on = state.ledger
        # Hold the key again for this run; if a duplicate grabbed it in between, it reconciles with Ringg
        # and finds this campaign already launched, so nothing is launched twice.
        await self._take_claim(state.idempotency_key)
        self._set_stage("monitoring", "continued as new")

    async def _on_cancel(self) -> None:
        if self._launch_attempted and self._p.list_id:
            self._set_stage("terminating", "cancel requested; terminating queued calls on Ringg")
            try:
                await execute(
                    RinggActivities.terminate_campaign,
                    TerminateInput(list_id=self._p.list_id),
                    start_to_close_timeout=options.RINGG_CALL_TIMEOUT,
                    retry_policy=options.RINGG_RETRY,
                    summary="terminate on Ringg (cancel)",
                )
            except ActivityError as err:
                # Still a cancellation; say loudly that Ringg may keep calling.
                reason = err.cause.message if isinstance(err.cause, ApplicationError) else str(err.cause or err)
                workflow.logger.error("terminate on cancel failed for list %s: %s", self._p.list_id, reason)
                self._set_stage(
                    "cancelled",
                    f"Ringg refused the terminate ({reason}); queued calls of list {self._p.list_id} may still be "
                    "placed: terminate it from Ringg's dashboard",
                )
                return
            left = ""
            if workflow.patched(RINGG_DOCS_CHECKS):
                not_called = await self._count_not_called(stopped=True)
                left = f"; {not_called:,} contacts were never called" if not_called else ""
            self._set_stage("cancelled", f"terminated on Ringg{left}; calls already in progress finish normally")
        else:
            self._set_stage("cancelled", "cancelled before launch; nothing was launched")
