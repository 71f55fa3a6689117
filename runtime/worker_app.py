"""Builds the worker: the workflows and every activity, over one shared Ringg client."""

from __future__ import annotations

import asyncio
import csv
import os
import signal
from datetime import timedelta
from pathlib import Path

import structlog
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.worker import Worker

from activities.claims import WaveLookupActivities
from activities.contacts.preflight import CsvActivities
from activities.contacts.source import env_sources
from activities.events.delivery import EventActivities
from activities.export.calls import ExportActivities
from activities.ledger.record import RecordActivities
from activities.ledger.screen import ScreenActivities
from activities.ledger.suppress import SuppressActivities
from activities.metrics import record_ringg_request
from activities.program.export import merge_program_export
from activities.program.waves import ProgramActivities, allow_program_files
from activities.reports import DEFAULT_REPORT_DIR
from activities.ringg.activities import RinggActivities
from activities.ringg.large_access import LargeFlowMode
from activities.ringg.reconcile import CONFIRM_WITHIN_S
from activities.ringg.webhook_setup import WebhookSetupActivities
from client.connect import connect
from client.payload_codec import data_converter
from domain.csv_sources import CsvSources
from domain.event_targets import EventTargets
from ledger.engine import ledger_url, shown_url
from ledger.store import Ledger
from ringg import RinggClient, make_http_client
from runtime.metrics import metrics_runtime
from runtime.retention import prune_forever
from runtime.ringg_pacer import ringg_pacer
from runtime.settings import MAX_CONCURRENT_ACTIVITIES, WorkerSettings
from runtime.webhook_settings import DEFAULT_HEADER
from runtime.workflow_runner import workflow_runner
from workflows.campaign import CampaignWorkflow
from workflows.claim import CampaignKeyClaimWorkflow
from workflows.export import ExportCampaignWorkflow
from workflows.program import CampaignProgramWorkflow
from workflows.scheduled import ScheduledCampaignWorkflow
from workflows.webhook_setup import SubscribeWebhooksWorkflow

log = structlog.get_logger()


def build_worker(
    client: Client,
    ringg: RinggClient,
    task_queue: str,
    *,
    max_concurrent_activities: int = MAX_CONCURRENT_ACTIVITIES,
    confirm_within_s: float = CONFIRM_WITHIN_S,
    report_dir: Path = DEFAULT_REPORT_DIR,
    webhook_secret: SecretStr | None = None,
    webhook_header: str = DEFAULT_HEADER,
    large_flow: LargeFlowMode = "auto",
    csv_sources: CsvSources | None = None,
    ledger: Ledger | None = None,
    events_secret: SecretStr | None = None,
    events_targets: EventTargets | None = None,
) -> Worker:
    """`csv_sources`: where contacts files may be read from and their limits (None: this process's environment);
    `ledger`: the contact ledger (None: CAMPAIGN_LEDGER_URL of this process's environment); `events_secret`,
    `events_targets`: CAMPAIGN_EVENTS_SECRET and CAMPAIGN_EVENTS_URL_* (None: no events can be sent, no host is
    allowed)."""
    # The program's wave files are written by the worker under report_dir: always readable as contacts.
    csv_sources = allow_program_files(csv_sources or env_sources(), report_dir)
    ledger = ledger or Ledger.open(ledger_url(os.environ))
    screening = ScreenActivities(ledger, report_dir, csv_sources)
    recording = RecordActivities(ledger, ringg)
    opt_outs = SuppressActivities(ledger, csv_sources)
    temporal = WaveLookupActivities(client)
    programs = ProgramActivities(report_dir, csv_sources)
    ringg_acts = RinggActivities(
        ringg, confirm_within_s=confirm_within_s, report_dir=report_dir, large_flow=large_flow, sources=csv_sources
    )
    events = EventActivities(events_secret, events_targets or EventTargets())
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[
            CampaignWorkflow,
            CampaignProgramWorkflow,
            CampaignKeyClaimWorkflow,
            ExportCampaignWorkflow,
            ScheduledCampaignWorkflow,
            SubscribeWebhooksWorkflow,
        ],
        activities=[
            CsvActivities(report_dir, csv_sources).preflight_csv,
            temporal.find_claim_owner,
            temporal.look_up_wave,
            programs.plan_waves,
            programs.select_contacts,
            merge_program_export,
            ringg_acts.upload_contacts,
            ringg_acts.get_upload_status,
            ringg_acts.read_upload_status,
            ringg_acts.download_invalid_rows,
            ringg_acts.check_balance,
            ringg_acts.check_caller_numbers,
            ringg_acts.check_number_pool,
            ringg_acts.launch_campaign,
            ringg_acts.snapshot_campaign,
            ringg_acts.terminate_campaign,
            ringg_acts.terminate_numbers,
            ringg_acts.launch_chunk,
            ringg_acts.snapshot_chunks,
            ringg_acts.terminate_chunks,
            ringg_acts.count_not_called,
            ExportActivities(ringg).export_calls,
            screening.screen_contacts,
            recording.record_calls,
            recording.set_ledger_status,
            opt_outs.suppress_numbers,
            WebhookSetupActivities(ringg, webhook_secret, webhook_header).subscribe_webhooks,
            events.check_events,
            events.deliver_event,
        ],
        max_concurrent_activities=max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=20),
        workflow_runner=workflow_runner(),
    )


async def run_worker(settings: WorkerSettings, stop: asyncio.Event | None = None) -> None:
    """Runs until SIGINT/SIGTERM (or `stop` is set), then drains in-flight activities gracefully."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await _serve(settings, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("worker_stopped")


def _encryption_note(settings: WorkerSettings) -> str:
    keys = settings.payload_keys
    if keys is None:
        return "off"
    return f"on (active key id {keys.active_id}; decrypts {', '.join(keys.ids)})"


async def _serve(settings: WorkerSettings, stop: asyncio.Event) -> None:
    # The csv module's cell limit is process-wide: the worker's is the contacts' cell limit.
    csv.field_size_limit(settings.csv_sources.limits.max_cell_chars)
    runtime = metrics_runtime(settings.metrics_bind)
    extra = {} if runtime is None else {"runtime": runtime}
    converter = data_converter(settings.payload_keys)
    client = await connect(settings.temporal_address, settings.temporal_namespace, converter=converter, **extra)
    ledger = Ledger.open(settings.ledger_url.get_secret_value(), pooled=True)
    try:
        await _serve_with(settings, stop, client, ledger)
    finally:
        await ledger.close()


async def _serve_with(settings: WorkerSettings, stop: asyncio.Event, client: Client, ledger: Ledger) -> None:
    try:
        await ledger.ready()  # an embedded SQLite ledger is migrated here; LedgerNotReady stops the worker
    except OSError as err:  # unreachable for now: the ledger's activities retry until it answers
        log.warning("ledger_unreachable", ledger=shown_url(ledger.engine.url), error=type(err).__name__)
    # The deployment's Ringg request budget in the ledger's database (None: CAMPAIGN_RINGG_BUDGET_RPS=0).
    pacer = ringg_pacer(settings.ringg_api_key, settings.ringg_budget_rps, settings.ringg_budget_quiet_s, ledger.engine)
    async with make_http_client(settings.ringg_base_url, settings.ringg_api_key) as http:
        worker = build_worker(
            client,
            RinggClient(http, on_request=record_ringg_request, pacer=pacer),
            settings.task_queue,
            max_concurrent_activities=settings.max_concurrent_activities,
            confirm_within_s=settings.confirm_window_s,
            report_dir=settings.report_dir,
            webhook_secret=settings.webhook_secret,
            webhook_header=settings.webhook_header,
            large_flow=settings.large_flow,
            csv_sources=settings.csv_sources,
            ledger=ledger,
            events_secret=settings.events_secret,
            events_targets=settings.events_targets,
        )
        async with worker:
            log.info(
                "worker_started",
                task_queue=settings.task_queue,
                temporal=settings.temporal_address,
                namespace=settings.temporal_namespace,
                ringg=settings.ringg_base_url,
                large_flow=settings.large_flow,
                ringg_budget_rps=settings.ringg_budget_rps or "off",
                metrics=f"http://{settings.metrics_bind}/metrics" if settings.metrics_bind else None,
                payload_encryption=_encryption_note(settings),
                ledger=shown_url(ledger.engine.url),
                events_signing="on" if settings.events_secret else "off",
            )
            pruner = asyncio.create_task(prune_forever(settings.report_dir, settings.file_retention_days, "reports"))
            try:
                await stop.wait()
            finally:
                pruner.cancel()
            log.info("worker_stopping", reason="signal")
