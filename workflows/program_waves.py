"""How a program runs its waves: each one waits for its window (and for a pause to end), runs as a child
CampaignWorkflow under a key derived from the program's, and is settled from Ringg's history of its calls."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, CancelledError, ChildWorkflowError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.claims import WaveLookupActivities
    from activities.export.calls import ExportActivities
    from activities.program.waves import ProgramActivities
    from contract import search_attributes as sa
    from contract.campaign import CampaignRequest, CampaignResult
    from contract.errors import ACTIVITY_FAILED
    from contract.export import ExportInput
    from contract.program import PilotOutcome, ProgramProgress, ProgramRequest, WaveState
    from contract.program_steps import SelectInput, SelectSource, WaveFile, WaveLookupInput
    from domain.call_hours import call_zone, daily_window
    from domain.contact_zones import DailyWindow, next_opening, wave_window
    from domain.idempotency import workflow_id_for
    from domain.program_rules import combined, wave_figures, wave_key
    from domain.window import window_instant

from workflows import options
from workflows.activity_calls import execute
from workflows.campaign import CampaignWorkflow
from workflows.details import static_details, static_summary
from workflows.patches import NAMED_IDS
from workflows.program_details import program_markdown


class ProgramFailed(Exception):
    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type


class ProgramWaves:
    """State and wave running shared by CampaignProgramWorkflow's steps and updates."""

    def __init__(self, req: ProgramRequest) -> None:
        self._req = req
        self._p = (
            req.program_state.model_copy(deep=True)
            if req.program_state is not None
            else ProgramProgress(campaign_name=req.campaign_name)
        )
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._stage_attr: str | None = None

    # -- the window ----------------------------------------------------------------------------------------

    def _request_zone(self) -> str:
        return call_zone(self._req.call_config)

    def _default_zone(self) -> str:
        windows = self._req.windows
        return (windows.default_zone if windows and windows.default_zone else None) or self._request_zone()

    def _window_end(self) -> datetime | None:
        if not self._req.campaign_end_time:
            return None
        return window_instant(self._req.campaign_end_time, self._request_zone())

    def _window_start(self) -> datetime | None:
        if not self._req.campaign_start_time:
            return None
        return window_instant(self._req.campaign_start_time, self._request_zone())

    def _daily(self) -> DailyWindow:
        return daily_window(self._req.call_config, self._req.windows.days if self._req.windows else None)

    def _opening(self, zone: str) -> datetime | None:
        """When `zone`'s wave may start: now, or the next opening of its daily window; None if it never opens.
        Without per-contact windows a wave starts at once (Ringg holds its calls until the campaign's window)."""
        end = self._window_end()
        now = workflow.now()
        if self._req.windows is None:
            return now if end is None or now < end else None
        start = self._window_start()
        after = max(now, start) if start else now
        if end is None:
            return after
        return next_opening(after, zone, self._daily(), end)

    # -- stages --------------------------------------------------------------------------------------------

    def _set_stage(self, stage: str, message: str) -> None:
        self._p.stage, self._p.message = stage, message
        if stage != self._stage_attr:
            self._stage_attr = stage
            workflow.upsert_search_attributes([sa.CAMPAIGN_STAGE.value_set(stage)])
        self._touch()

    def _touch(self) -> None:
        totals: dict[str, int] = {}
        for w in self._p.waves:
            for status, n in w.calls_by_status.items():
                totals[status] = totals.get(status, 0) + n
        self._p.calls.by_status = totals
        self._p.calls.total = sum(totals.values())
        self._p.calls_by_wave = {w.wave_id: sum(w.calls_by_status.values()) for w in self._p.waves if w.calls_by_status}
        self._p.updated_at = workflow.now().isoformat(timespec="seconds")
        workflow.set_current_details(program_markdown(self._p))

    # -- waves ---------------------------------------------------------------------------------------------

    def _wave_name(self, wave_id: str) -> str:
        return f"{self._req.campaign_name} · {wave_id}"[:200]

    def _add_waves(self, files: list[WaveFile], generation: int, step: str) -> None:
        # A wave's ID (the program's name, then the wave's key, which ends with the wave's id) is fixed here and
        # kept in the program's state; waves added before campaign IDs held names replay with the ID they got.
        named = workflow.patched(NAMED_IDS)
        for f in files:
            key = wave_key(self._p.idempotency_key or "", f.wave_id)
            self._p.waves.append(
                WaveState(
                    wave_id=f.wave_id,
                    phase=f.phase,
                    zone=f.zone,
                    contacts=f.rows,
                    csv_path=f.path,
                    idempotency_key=key,
                    workflow_id=workflow_id_for(key, self._req.campaign_name) if named else workflow_id_for(key),
                    generation=generation,
                    step=step,
                )
            )
        self._touch()

    async def _run_open_waves(self, step: str) -> None:
        """Runs every wave of `step` not finished yet (resumed ones included) until all have finished."""

        def waiting(w: WaveState) -> bool:
            return w.step == step and not w.finished and w.wave_id not in self._tasks

        while True:
            for w in self._p.waves:
                if waiting(w):
                    self._tasks[w.wave_id] = asyncio.create_task(self._run_wave(w))
            if not self._tasks:
                return
            await workflow.wait_condition(
                lambda: any(t.done() for t in self._tasks.values()) or any(waiting(w) for w in self._p.waves)
            )
            for wave_id, task in list(self._tasks.items()):
                if task.done():
                    del self._tasks[wave_id]
                    task.result()  # a ProgramFailed stops the program

    async def _run_wave(self, w: WaveState) -> None:
        while True:
            if self._p.paused:
                w.status = "held"
                self._touch()
                await workflow.wait_condition(lambda: not self._p.paused)
                continue
            opening = self._opening(w.zone or self._request_zone())
            if opening is None:
                w.status, w.message = "skipped", "its window never opens again before campaign_end_time"
                self._touch()
                return
            wait = (opening - workflow.now()).total_seconds()
            if wait <= 0:
                await self._launch(w, opening)
                return
            w.status, w.opens_at = "waiting", opening.isoformat(timespec="seconds")
            self._touch()
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._p.paused, timeout=wait)

    def _wave_request(self, w: WaveState, opening: datetime) -> CampaignRequest:
        base = self._req.wave_base()
        base.update(
            csv_uri=w.csv_path,
            idempotency_key=w.idempotency_key,
            campaign_name=self._wave_name(w.wave_id),
            # every row of a wave file is valid and unique: nothing for Ringg's or pre-flight's checks to drop
            remove_invalid_rows=self._req.remove_invalid_rows,
        )
        if self._req.windows is not None and w.zone and self._window_end() is not None:
            end = self._window_end()
            assert end is not None
            start_text, end_text = wave_window(opening, end, w.zone)
            call_config = dict(base.get("call_config") or {})
            call_time = dict(call_config.get("call_time") or {})
            call_time["timezone"] = w.zone
            call_config["call_time"] = call_time
            base.update(campaign_start_time=start_text, campaign_end_time=end_text, call_config=call_config)
        return CampaignRequest.model_validate(base)

    async def _launch(self, w: WaveState, opening: datetime) -> None:
        req = self._wave_request(w, opening)
        w.status, w.message, w.opens_at = "running", "", opening.isoformat(timespec="seconds")
        self._set_stage("running", f"wave {w.wave_id} running ({w.contacts} contacts)")
        started = workflow.now()
        cancelled = False
        try:
            result: CampaignResult | None = await workflow.execute_child_workflow(
                CampaignWorkflow.run,
                req,
                id=w.workflow_id,
                # a wave that failed may run again under its key (it reconciles with Ringg); one that ran never does
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                parent_close_policy=workflow.ParentClosePolicy.REQUEST_CANCEL,
                search_attributes=sa.start_attributes(req.campaign_name, req.agent_id, w.idempotency_key),
                static_summary=static_summary(req),
                static_details=static_details(req),
            )
        except ChildWorkflowError as err:
            result = None
            cancelled = isinstance(err.cause, CancelledError)
            w.message = "" if cancelled else _cause(err)
        except WorkflowAlreadyStartedError:
            # an earlier run of this program (failed, then started again) ran this wave to its end
            w.status = "duplicate"
            w.message = f"wave {w.workflow_id} was already started by an earlier run; it is not launched again"
            self._touch()
            return
        status = "running"
        if result is not None:
            w.list_ids = result.list_ids or ([result.list_id] if result.list_id else [])
            w.calls_by_status, w.not_called = result.calls_by_status, result.not_called
            status = "duplicate" if result.status == "duplicate" else "completed"
            if result.status == "duplicate":
                w.message = f"its key is held by {result.duplicate_of}; not launched again"
        else:
            found = await execute(
                WaveLookupActivities.look_up_wave,
                WaveLookupInput(workflow_id=w.workflow_id),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=options.RINGG_RETRY,
                summary=f"look up wave {w.wave_id}"[:190],
            )
            w.list_ids, w.calls_by_status, w.not_called = found.list_ids, found.calls_by_status, found.not_called
            status = "paused" if cancelled and self._p.paused else ("cancelled" if cancelled else "failed")
        self._touch()
        # The wave stays "running" until it is settled, so a pause waits for its held contacts to be known.
        if w.list_ids:
            await self._settle(w, started)
        if status == "paused":
            await self._hold_rest(w)
        w.status = status  # type: ignore[assignment]
        self._touch()
        if status == "failed":
            if w.phase == "pilot":
                raise ProgramFailed(f"the pilot wave {w.wave_id} failed: {w.message}", ACTIVITY_FAILED)
            workflow.logger.warning("wave %s failed: %s", w.wave_id, w.message)

    async def _settle(self, w: WaveState, started: datetime) -> None:
        """Exports the wave's calls (per-contact outcomes: what follow-ups and resumes are chosen from)."""
        files: list[str] = []
        figures: list[PilotOutcome] = []
        for list_id in w.list_ids:
            exported = await execute(
                ExportActivities.export_calls,
                ExportInput(
                    list_id=list_id,
                    out_uri=f"{self._p.folder}/outcomes/{w.wave_id}",
                    formats=["csv"],
                    since=started - timedelta(days=1),
                    until=workflow.now() + timedelta(days=1),
                ),
                start_to_close_timeout=options.EXPORT_TIMEOUT,
                heartbeat_timeout=options.EXPORT_HEARTBEAT,
                retry_policy=options.EXPORT_RETRY,
                summary=f"read the outcomes of wave {w.wave_id}"[:190],
            )
            files.append(exported.files["csv"])
            figures.append(wave_figures(exported.summary, 0))
        w.outcome_files = files
        total = figures[0] if len(figures) == 1 else combined(figures)
        total.contacts = w.contacts
        w.figures = total
        self._touch()

    async def _hold_rest(self, w: WaveState) -> None:
        """A paused wave: the contacts it never dialled become a resume wave, held until `resume`."""
        n = sum(1 for x in self._p.waves if x.wave_id.startswith(f"{w.wave_id}.r")) + 1
        selected = await self._select(
            "not_called", [w], prefix=f"{w.wave_id}.r{n}", phase="resume", statuses=[], split=False
        )
        for f in selected:
            f.zone = w.zone
        self._add_waves(selected, w.generation, w.step)
        for added in self._p.waves[-len(selected) :] if selected else []:
            added.status = "held"
        held = sum(f.rows for f in selected)
        w.message = f"paused: {held} contacts not yet called are held for resume"
        self._touch()

    async def _select(
        self, mode: str, sources: list[WaveState], *, prefix: str, phase: str, statuses: list[str], split: bool
    ) -> list[WaveFile]:
        try:
            selected = await execute(
                ProgramActivities.select_contacts,
                SelectInput.model_validate(
                    {
                        "mode": mode,
                        "sources": [
                            SelectSource(wave_id=s.wave_id, csv_path=s.csv_path, outcome_files=s.outcome_files)
                            for s in sources
                        ],
                        "statuses": statuses,
                        "folder": self._p.folder,
                        "prefix": prefix,
                        "phase": phase,
                        "country_code": self._req.country_code,
                        "variables_map": self._req.variables_map,
                        "split_zones": split,
                        "default_zone": self._default_zone(),
                    }
                ),
                start_to_close_timeout=options.PREFLIGHT_TIMEOUT,
                heartbeat_timeout=options.PREFLIGHT_HEARTBEAT,
                retry_policy=options.PREFLIGHT_RETRY,
                summary=f"choose the contacts of {prefix}"[:190],
            )
        except ActivityError as err:
            if isinstance(err.cause, CancelledError):
                raise asyncio.CancelledError() from err
            raise ProgramFailed(
                f"choosing the contacts of {prefix} failed: {err.cause or err}", ACTIVITY_FAILED
            ) from err
        return selected.waves


def _cause(err: ChildWorkflowError) -> str:
    cause = err.cause
    return str(getattr(cause, "message", None) or cause or err)
