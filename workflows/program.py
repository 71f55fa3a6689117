"""CampaignProgramWorkflow: a campaign run as waves — a pilot awaiting approval, one wave per contact timezone,
follow-up re-dials, pause and resume — each wave a child CampaignWorkflow launched at most once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from activities.contacts.preflight import CsvActivities
    from activities.program.export import merge_program_export
    from activities.program.waves import ProgramActivities
    from contract import program as program_contract
    from contract import search_attributes as sa
    from contract.errors import INVALID_CSV, INVALID_REQUEST
    from contract.names import PROGRAM_WORKFLOW
    from contract.preflight import preflight_input
    from contract.program import ApproveInput, PauseInput, ProgramProgress, ProgramRequest, ProgramResult
    from contract.program_steps import MergeInput, PlanInput, SelectSource
    from domain.program_rules import combined, pilot_rows, pilot_verdict, program_key, program_problems
    from domain.validation import rejected_rows_problem, request_problems

from workflows import options
from workflows.activity_calls import execute
from workflows.program_waves import ProgramFailed, ProgramWaves


@workflow.defn(name=PROGRAM_WORKFLOW)
class CampaignProgramWorkflow(ProgramWaves):
    """Query `progress` -> ProgramProgress. Updates: `approve` / `reject` (ApproveInput; while the stage is
    "awaiting approval"), `pause` (terminates the running waves on Ringg and holds the contacts they did not call
    yet) and `resume` (calls exactly those). Cancelling the program cancels its running waves (each terminates its
    Ringg campaign)."""

    @workflow.init
    def __init__(self, req: ProgramRequest) -> None:
        super().__init__(req)
        self._decision: tuple[bool, str] | None = None
        self._pausing = False

    @workflow.query
    def progress(self) -> ProgramProgress:
        return self._p

    # -- updates -------------------------------------------------------------------------------------------

    @workflow.update
    async def approve(self, inp: ApproveInput) -> ProgramProgress:
        self._decision = (True, _decided("approved", inp))
        return self._p

    @workflow.update
    async def reject(self, inp: ApproveInput) -> ProgramProgress:
        self._decision = (False, _decided("rejected", inp))
        return self._p

    @approve.validator
    def _approve_allowed(self, inp: ApproveInput) -> None:
        self._awaiting_approval()

    @reject.validator
    def _reject_allowed(self, inp: ApproveInput) -> None:
        self._awaiting_approval()

    def _awaiting_approval(self) -> None:
        if self._p.stage != "awaiting approval" or self._decision is not None:
            raise ValueError(
                f"program {self._req.campaign_name!r} is not awaiting approval (stage: {self._p.stage}); "
                "approve and reject apply after its pilot wave, while the stage is 'awaiting approval'"
            )

    @workflow.update
    async def pause(self, inp: PauseInput) -> ProgramProgress:
        self._pausing, self._p.paused = True, True
        self._set_stage("pausing", "stopping the running waves on Ringg" + (f" (by {inp.by})" if inp.by else ""))
        for w in self._p.waves:
            if w.status == "running":
                try:
                    await workflow.get_external_workflow_handle(w.workflow_id).cancel()
                except Exception as err:  # it ended meanwhile (or never started): nothing to stop, nothing held
                    workflow.logger.warning("wave %s was not cancelled: %s", w.wave_id, err)
        # Each stopped wave is settled: its contacts not called yet become a held resume wave.
        await workflow.wait_condition(lambda: not any(w.status == "running" for w in self._p.waves))
        held = sum(w.contacts for w in self._p.waves if w.status == "held")
        self._pausing = False
        self._set_stage("paused", f"paused; {held} contacts wait for resume" + (f" (by {inp.by})" if inp.by else ""))
        return self._p

    @pause.validator
    def _pause_allowed(self, inp: PauseInput) -> None:
        if self._p.paused:
            raise ValueError(f"program {self._req.campaign_name!r} is already paused; resume it to go on")
        if self._p.stage in ("completed", "failed", "rejected", "cancelled") or self._p.step == "done":
            raise ValueError(f"program {self._req.campaign_name!r} has finished ({self._p.stage}); nothing to pause")
        if self._p.stage == "awaiting approval":
            raise ValueError(f"program {self._req.campaign_name!r} is awaiting approval: approve or reject it")

    @workflow.update
    async def resume(self, inp: PauseInput) -> ProgramProgress:
        self._p.paused = False
        held = sum(w.contacts for w in self._p.waves if w.status == "held")
        self._set_stage("running", f"resumed; {held} held contacts go on" + (f" (by {inp.by})" if inp.by else ""))
        return self._p

    @resume.validator
    def _resume_allowed(self, inp: PauseInput) -> None:
        if not self._p.paused or self._pausing:
            state = "still pausing" if self._pausing else "not paused"
            raise ValueError(f"program {self._req.campaign_name!r} is {state}; resume applies to a paused program")

    # -- run -----------------------------------------------------------------------------------------------

    @workflow.run
    async def run(self, req: ProgramRequest) -> ProgramResult:
        try:
            if req.program_state is None:
                await self._plan(req)
            else:
                self._p.continued_runs += 1
                self._touch()
            while self._p.step != "done":
                await self._step()
                if not self._finished() and self._history_long():
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    workflow.continue_as_new(req.model_copy(update={"program_state": self._p}))
            await self._export()
            failed = [w.wave_id for w in self._p.waves if w.status == "failed"]
            if self._p.stage == "rejected":
                status = "rejected"
                self._set_stage(status, f"{self._p.approval}; nothing but the pilot was launched")
            else:
                status = "failed" if failed else "completed"
                note = f"; waves failed: {', '.join(failed)}" if failed else ""
                self._set_stage(status, f"{self._p.calls.total} calls over {len(self._p.waves)} waves{note}")
            await workflow.wait_condition(workflow.all_handlers_finished)
            return self._result(status)
        except asyncio.CancelledError:
            self._set_stage("cancelled", "cancelled; its running waves are cancelled (terminated on Ringg)")
            raise
        except ProgramFailed as err:
            self._set_stage("failed", err.message)
            raise ApplicationError(err.message, type=err.error_type, non_retryable=True) from None

    async def _step(self) -> None:
        step = self._p.step
        if step == "pilot":
            if any(w.phase == "pilot" for w in self._p.waves):
                await self._run_open_waves("pilot")
                # the pilot's waves and, after a pause, their resumes (every wave of the pilot step)
                pilot = [w.figures for w in self._p.waves if w.step == "pilot" and w.figures is not None]
                self._p.pilot = combined(pilot)
                self._p.pilot.contacts = sum(w.contacts for w in self._p.waves if w.phase == "pilot")
                self._p.step = "approval"
            else:
                self._p.step = "main"
        elif step == "approval":
            if not await self._approval():
                self._p.step = "done"
                self._set_stage("rejected", self._p.approval or "rejected")
                return
            self._p.step = "main"
        elif step == "main":
            await self._run_open_waves("main")
            self._p.step = "follow_up"
        elif step == "follow_up" and not await self._follow_up():
            self._p.step = "done"
        self._touch()

    def _finished(self) -> bool:
        return self._p.step == "done"

    def _history_long(self) -> bool:
        info = workflow.info()
        # read at each step: contract modules pass through the sandbox, so a test can lower the threshold
        limit = program_contract.HISTORY_EVENTS_MAX
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > limit

    async def _plan(self, req: ProgramRequest) -> None:
        workflow.upsert_search_attributes([sa.CAMPAIGN_NAME.value_set(req.campaign_name[: sa.NAME_MAX])])
        self._set_stage("validating", "checking the request and the CSV")
        problems = request_problems(req, concurrency_rule=True, schedule_required=True) + program_problems(req)
        if problems:
            raise ProgramFailed(
                f"Program {req.campaign_name!r} was not started: " + "; ".join(problems), INVALID_REQUEST
            )
        try:
            pre = await execute(
                CsvActivities.preflight_csv,
                preflight_input(req),
                start_to_close_timeout=options.PREFLIGHT_TIMEOUT,
                heartbeat_timeout=options.PREFLIGHT_HEARTBEAT,
                retry_policy=options.PREFLIGHT_RETRY,
                summary="pre-flight: check columns and every number, hash",
            )
        except ActivityError as err:
            raise _failed(err) from err
        key = program_key(pre.content_hash, req)
        self._p.idempotency_key = key
        self._p.unusable_rows, self._p.duplicate_rows = pre.unusable_rows, pre.duplicate_rows
        self._p.contacts_report = pre.report_path
        workflow.upsert_search_attributes([sa.IDEMPOTENCY_KEY.value_set(key)])
        rejected = rejected_rows_problem(
            req.campaign_name,
            pre,
            remove_invalid_rows=req.remove_invalid_rows,
            max_invalid_row_share=req.max_invalid_row_share,
        )
        if rejected:
            raise ProgramFailed(rejected, INVALID_CSV)
        valid = pre.data_rows if pre.valid_rows is None else pre.valid_rows
        try:
            plan = await execute(
                ProgramActivities.plan_waves,
                PlanInput(
                    csv_uri=req.csv_uri,
                    variables_map=req.variables_map,
                    country_code=req.country_code,
                    number_types=req.number_types,
                    key=key,
                    pilot_rows=pilot_rows(req.pilot, valid) if req.pilot is not None else 0,
                    valid_rows=valid,
                    split_zones=req.windows is not None,
                    default_zone=self._default_zone(),
                ),
                start_to_close_timeout=options.PREFLIGHT_TIMEOUT,
                heartbeat_timeout=options.PREFLIGHT_HEARTBEAT,
                retry_policy=options.PREFLIGHT_RETRY,
                summary="split the contacts into waves",
            )
        except ActivityError as err:
            raise _failed(err) from err
        self._p.folder, self._p.zones, self._p.contacts = plan.folder, plan.zones, plan.contacts
        self._p.zones_report = plan.report
        for phase in ("pilot", "main"):
            self._add_waves([f for f in plan.waves if f.phase == phase], 0, phase)
        zones = f" in {len(plan.zones)} timezones" if plan.zones else ""
        self._set_stage("planned", f"{plan.contacts} contacts in {len(plan.waves)} waves{zones}")

    async def _approval(self) -> bool:
        pilot = self._req.pilot
        assert pilot is not None and self._p.pilot is not None
        if pilot.approve == "auto":
            ok, why = pilot_verdict(pilot, self._p.pilot)
            self._p.approval = ("auto-approved: " if ok else "auto-rejected: ") + why
            return ok
        if self._p.approval_deadline is None:
            deadline = workflow.now() + timedelta(seconds=pilot.approval_timeout)
            self._p.approval_deadline = deadline.isoformat(timespec="seconds")
        remaining = _seconds_until(self._p.approval_deadline) - workflow.now().timestamp()
        f = self._p.pilot
        self._set_stage(
            "awaiting approval",
            f"pilot done: {f.connect_rate:.0%} connected, {f.failure_rate:.0%} failed, cost {f.cost:g}; "
            f"approve or reject by {self._p.approval_deadline}",
        )
        try:
            await workflow.wait_condition(lambda: self._decision is not None, timeout=max(remaining, 0.001))
        except TimeoutError:
            self._p.approval = f"expired: nobody approved or rejected by {self._p.approval_deadline}"
            return False
        assert self._decision is not None
        ok, self._p.approval = self._decision
        return ok

    async def _follow_up(self) -> bool:
        """The next follow-up wave(s) of the rules, from the last generation's outcomes; False when none is left."""
        rules = self._req.follow_up or []
        cursor = self._p.follow_up
        while cursor.rule < len(rules):
            rule = rules[cursor.rule]
            if cursor.done_in_rule >= rule.max_waves:
                cursor.rule, cursor.done_in_rule = cursor.rule + 1, 0
                continue
            gen = self._p.generation
            sources = [w for w in self._p.waves if w.generation == gen and w.outcome_files]
            if not sources:
                return False
            self._set_stage("waiting", f"follow-up {gen + 1} starts after {rule.after:g} s")
            await workflow.sleep(rule.after)
            files = await self._select(
                "follow_up",
                sources,
                prefix=f"f{gen + 1}",
                phase="follow_up",
                statuses=rule.statuses,
                split=self._req.windows is not None,
            )
            cursor.done_in_rule += 1
            if not files:
                cursor.rule, cursor.done_in_rule = cursor.rule + 1, 0
                continue
            self._p.generation = gen + 1
            self._add_waves(files, gen + 1, "follow_up")
            await self._run_open_waves("follow_up")
            return True
        return False

    async def _export(self) -> None:
        waves = [
            SelectSource(wave_id=w.wave_id, csv_path=w.csv_path, outcome_files=w.outcome_files)
            for w in self._p.waves
            if w.outcome_files
        ]
        if not waves:
            return
        merged = await workflow.execute_activity(
            merge_program_export,
            MergeInput(folder=self._p.folder, waves=waves),
            start_to_close_timeout=options.EXPORT_TIMEOUT,
            retry_policy=options.EXPORT_RETRY,
            summary="write the program's export (every wave, with a wave column)",
        )
        self._p.export_file = merged.path

    def _result(self, status: str) -> ProgramResult:
        first = next((w for w in self._p.waves if w.list_ids), None)
        return ProgramResult(
            campaign_name=self._req.campaign_name,
            idempotency_key=self._p.idempotency_key or "",
            status=status,
            message=self._p.message,
            calls_by_status=self._p.calls.by_status,
            total_calls=self._p.calls.total,
            calls_by_wave=self._p.calls_by_wave,
            waves=self._p.waves,
            pilot=self._p.pilot,
            approval=self._p.approval,
            contacts=self._p.contacts,
            zones=self._p.zones,
            export_file=self._p.export_file,
            continued_runs=self._p.continued_runs,
            list_id=first.list_ids[0] if first else None,
        )


def _decided(what: str, inp: ApproveInput) -> str:
    by = f" by {inp.by}" if inp.by else ""
    note = f": {inp.note}" if inp.note else ""
    return f"{what}{by}{note}"


def _seconds_until(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _failed(err: ActivityError) -> ProgramFailed:
    cause = err.cause
    if isinstance(cause, CancelledError):
        raise asyncio.CancelledError() from err
    if isinstance(cause, ApplicationError):
        return ProgramFailed(cause.message, cause.type or "ActivityFailed")
    return ProgramFailed(f"{cause or err}", "ActivityFailed")
