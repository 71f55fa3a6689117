"""Launch activities: the balance check and the one launch per list (make-call-async / v2/start / start)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import PostGuard, guarded_attempt
from activities.log_context import activity_log_context
from activities.metrics import CAMPAIGNS_LAUNCHED, count
from activities.ringg.errors import map_ringg_error, redact
from activities.ringg.reconcile import RinggBase, outcome_unknown
from activities.ringg.schedule import required_schedule
from contract.errors import UNKNOWN_CALLER_NUMBER
from contract.ringg_steps import (
    BalanceResult,
    CallerNumbersInput,
    CallerNumbersResult,
    LaunchInput,
    LaunchResult,
    ListRef,
)
from domain.caller_numbers import by_key, find, unknown_numbers_problem
from ringg import (
    Campaign,
    MakeCallAsyncRequest,
    RinggBadRequest,
    RinggError,
    StartRequest,
    StartV2Request,
)

log = structlog.get_logger()


class LaunchActivities(RinggBase):
    """check_balance, launch_campaign."""

    @activity.defn
    async def check_balance(self, ref: ListRef) -> BalanceResult:
        with activity_log_context():
            try:
                balance = await self._ringg.check_balance(ref.list_id)
            except RinggError as err:
                raise map_ringg_error(err, doing="checking the balance") from None
            return BalanceResult(
                sufficient=balance.is_sufficient,
                status=balance.status,
                required_credits=balance.required_credits,
                available_credits=balance.available_credits,
                missing_credits=balance.missing_credits,
                message=redact(balance.message or ""),
            )

    @activity.defn
    async def launch_campaign(self, inp: LaunchInput) -> LaunchResult:
        """Large: make-call-async; standard: v2/start (pool) or start (numbers). Checks Ringg first and never
        sends a second launch for a list Ringg already shows as launched."""
        with activity_log_context():
            probe = functools.partial(self._launched, inp.list_id, inp.idempotency_tag)
            async with guarded_attempt() as guard:
                result = await self._launch(inp, probe, guard)
            outcome = "already_launched" if result.already_launched else "launched"
            count(CAMPAIGNS_LAUNCHED, attributes={"flow": inp.flow, "outcome": outcome})
            return result

    async def _launch(
        self, inp: LaunchInput, probe: Callable[[], Awaitable[Campaign | None]], guard: PostGuard
    ) -> LaunchResult:
        try:
            current = await probe()
            if current is None and not guard.settled:
                # The previous attempt died, maybe with its launch POST still in flight: give it time to land.
                current = await self._confirm(probe)
                guard.settled = True
            if current is not None:
                log.info("launch_already_done", list_id=inp.list_id, ringg_status=current.campaign_status)
                return LaunchResult(ringg_status=current.campaign_status, already_launched=True)
            guard.settled = False
            try:
                status, has_ongoing_calls = await self._send_launch(inp)
            except RinggBadRequest:
                guard.settled = True
                # "campaign already started" is a success once Ringg's state confirms it.
                after = await probe()
                if after is None:
                    raise
                log.info("launch_confirmed_after_400", list_id=inp.list_id)
                return LaunchResult(ringg_status=after.campaign_status, already_launched=True)
            except RinggError as err:
                if outcome_unknown(err):
                    confirmed = await self._confirm(probe)
                    if confirmed is not None:
                        log.info("launch_confirmed_after_lost_response", list_id=inp.list_id)
                        return LaunchResult(ringg_status=confirmed.campaign_status, already_launched=True)
                guard.settled = True
                raise
        except RinggError as err:
            raise map_ringg_error(err, doing="launching the campaign") from None
        log.info("campaign_launched", list_id=inp.list_id, flow=inp.flow, has_ongoing_calls=has_ongoing_calls)
        return LaunchResult(ringg_status=status, has_ongoing_calls=has_ongoing_calls)

    async def _send_launch(self, inp: LaunchInput) -> tuple[str | None, bool | None]:
        """Ringg's status after the launch, and (start / v2/start only) whether the workspace has other calls
        in progress."""
        if inp.flow == "large":
            start, end, call_config = required_schedule(
                inp.campaign_start_time, inp.campaign_end_time, inp.call_config, doing="make-call-async"
            )
            launched = await self._ringg.make_call_async(
                MakeCallAsyncRequest(
                    bulk_list_id=inp.list_id,
                    agent_id=inp.agent_id,
                    country_code=inp.country_code,
                    campaign_start_time=start,
                    campaign_end_time=end,
                    call_config=call_config,
                    from_numbers=inp.from_numbers or None,
                    number_pool_id=inp.number_pool_id or None,
                    concurrency_percentage=inp.concurrency_percentage,
                    callback_url=inp.callback_url,
                    email_completion_user_ids=inp.email_completion_user_ids,
                )
            )
            return launched.status or "scheduled", None
        if inp.number_pool_id:
            started = await self._ringg.start_campaign_v2(
                StartV2Request(
                    agent_id=inp.agent_id,
                    list_id=inp.list_id,
                    number_pool_id=inp.number_pool_id,
                    callback_url=inp.callback_url,
                    email_completion_user_ids=inp.email_completion_user_ids,
                )
            )
        else:
            started = await self._ringg.start_campaign(
                StartRequest(
                    agent_id=inp.agent_id,
                    list_id=inp.list_id,
                    from_numbers=inp.from_numbers or [],
                    callback_url=inp.callback_url,
                    email_completion_user_ids=inp.email_completion_user_ids,
                )
            )
        return ("scheduled" if started else None), started.has_ongoing_calls

    @activity.defn
    async def check_caller_numbers(self, inp: CallerNumbersInput) -> CallerNumbersResult:
        """from_numbers (ids or phone numbers) must be numbers of this workspace (GET workspace/numbers, all
        pages); numbers Ringg flags as spam are reported, not refused."""
        with activity_log_context():
            try:
                numbers = await self._ringg.all_workspace_numbers()
            except RinggError as err:
                raise map_ringg_error(err, doing="checking the caller numbers") from None
            problem = unknown_numbers_problem(inp.from_numbers, numbers)
            if problem is not None:
                raise ApplicationError(
                    f"{problem}. Nothing was uploaded.", type=UNKNOWN_CALLER_NUMBER, non_retryable=True
                )
            known = by_key(numbers)
            chosen = [n for f in inp.from_numbers if (n := find(f, known)) is not None]
            spam = [
                f"{n.number} ({n.display_name or n.id}) is flagged as spam: {n.spam_message or 'no reason given'}"
                for n in chosen
                if n.is_spam
            ]
            return CallerNumbersResult(spam=spam)
