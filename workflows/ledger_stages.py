"""CampaignWorkflow's steps in the contact ledger: pre-flight's screening (the suppression list and frequency caps;
the contacts recorded), the campaign's status, and its calls recorded once it has ended."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.ledger.record import RecordActivities
    from activities.ledger.screen import ScreenActivities
    from activities.ledger.suppress import SuppressActivities
    from contract.campaign import CampaignRequest
    from contract.errors import NOTHING_TO_CALL
    from contract.ledger import LedgerStatus, RecordCallsInput, ScreenInput, SuppressNumbersInput
    from contract.preflight import PreflightResult

from workflows import options
from workflows.activity_calls import execute
from workflows.campaign_state import CampaignFailed, CampaignState

InputT = TypeVar("InputT")
ResultT = TypeVar("ResultT")


class LedgerStages(CampaignState):
    async def _screen(self, req: CampaignRequest, pre: PreflightResult) -> int:
        """Screens the valid contacts against the ledger; returns how many are left to upload."""
        self._ledger_on = True
        screened = await self._call(
            ScreenActivities.screen_contacts,
            ScreenInput(
                idempotency_key=pre.idempotency_key,
                campaign_name=req.campaign_name,
                csv_uri=req.csv_uri,
                content_hash=pre.content_hash,
                country_code=req.country_code,
                number_types=req.number_types,
                variables_map=req.variables_map,
                campaign_start_time=req.campaign_start_time,
                campaign_end_time=req.campaign_end_time,
                external_id_column=req.external_id_column,
                passthrough_columns=req.passthrough_columns,
                frequency_cap=req.frequency_cap,
            ),
            start_to_close_timeout=options.LEDGER_SCREEN_TIMEOUT,
            schedule_to_close_timeout=options.LEDGER_SCREEN_DEADLINE,
            heartbeat_timeout=options.LEDGER_HEARTBEAT,
            retry_policy=options.LEDGER_RETRY,
            summary="ledger: record contacts; drop suppressed and capped numbers",
        )
        self._p.suppressed_rows, self._p.capped_rows = screened.suppressed, screened.capped
        if screened.report_path:
            self._p.contacts_report = screened.report_path
        self._exclusions = screened.exclusions_path
        valid = pre.valid_rows if pre.valid_rows is not None else pre.data_rows
        left = valid - screened.suppressed - screened.capped
        self._upload_rows = left
        if left <= 0 < valid:
            raise CampaignFailed(
                f"Campaign {req.campaign_name!r} was not started: all {valid:,} valid contacts were removed by the "
                f"ledger ({screened.suppressed:,} on the suppression list, {screened.capped:,} at the request's "
                f"frequency_cap). The contacts report {screened.report_path} lists each with its reason.",
                NOTHING_TO_CALL,
            )
        return left

    async def _ledger_step(
        self,
        method: Callable[[Any, InputT], Awaitable[ResultT]],
        arg: InputT,
        summary: str,
        *,
        start_to_close: timedelta = options.LEDGER_STATUS_TIMEOUT,
        deadline: timedelta = options.LEDGER_STATUS_DEADLINE,
        heartbeat: timedelta | None = None,
    ) -> ResultT | None:
        """A ledger activity after screening: its failure is a warning (None), never the campaign's."""
        try:
            return await execute(
                method,
                arg,
                start_to_close_timeout=start_to_close,
                schedule_to_close_timeout=deadline,
                heartbeat_timeout=heartbeat,
                retry_policy=options.LEDGER_RETRY,
                summary=summary,
            )
        except ActivityError as err:
            self._ledger_warning(err)
            return None

    async def _ledger_status(self, status: str) -> None:
        """Records the campaign's status in the ledger."""
        if not self._ledger_on or not self._p.idempotency_key:
            return
        inp = LedgerStatus(idempotency_key=self._p.idempotency_key, status=status, list_ids=self._list_ids())
        await self._ledger_step(RecordActivities.set_ledger_status, inp, f"ledger: campaign {status}")

    async def _record_calls(self, final_status: str) -> None:
        """Records every call of the campaign's list(s) in the ledger, then its final status."""
        if not self._ledger_on or not self._p.idempotency_key:
            return
        if not self._list_ids():
            await self._ledger_status(final_status)
            return
        stage, message = self._p.stage, self._p.message
        self._set_stage("recording", "recording the campaign's calls in the contact ledger")
        try:
            recorded = await self._ledger_step(
                RecordActivities.record_calls,
                RecordCallsInput(
                    idempotency_key=self._p.idempotency_key,
                    campaign_name=self._req.campaign_name,
                    list_ids=self._list_ids(),
                    country_code=self._req.country_code,
                    since=datetime.fromisoformat(self._since) - timedelta(days=1),
                    until=workflow.now() + timedelta(days=1),
                    final_status=final_status,
                    suppress_on=self._req.suppress_on,
                ),
                "ledger: record the campaign's calls",
                start_to_close=options.LEDGER_RECORD_TIMEOUT,
                deadline=options.LEDGER_RECORD_DEADLINE,
                heartbeat=options.LEDGER_HEARTBEAT,
            )
        finally:
            self._set_stage(stage, message)
        if recorded is not None:
            self._p.ledger_calls = recorded.calls
            self._p.suppressed_added = recorded.suppressed_added

    async def _suppress_opt_outs(self, numbers_uri: str) -> int:
        """The numbers of a stop_numbers file added to the suppression list; returns how many were new there."""
        if not self._ledger_on:
            return 0
        source = f"campaign {self._req.campaign_name[:120]} ({self._p.idempotency_key})"
        inp = SuppressNumbersInput(
            numbers_uri=numbers_uri,
            country_code=self._req.country_code,
            reason="opted out (stop_numbers)",
            source=source,
        )
        done = await self._ledger_step(SuppressActivities.suppress_numbers, inp, "ledger: suppress the opt-outs")
        return done.added if done is not None else 0

    def _list_ids(self) -> list[str]:
        return list(self._p.list_ids) or ([self._p.list_id] if self._p.list_id else [])

    def _ledger_warning(self, err: ActivityError) -> None:
        cause = err.cause
        if isinstance(cause, CancelledError):  # the campaign is being cancelled: that is not the ledger's failure
            raise asyncio.CancelledError() from err
        reason = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
        self._p.warnings.append(f"the contact ledger was not updated: {reason}")
