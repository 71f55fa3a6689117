"""Worker settings, read from the environment once, in the entry points (DESIGN.md public contract)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from pydantic import BaseModel, Field, SecretStr
from temporalio.envconfig import ClientConfig

from activities.contacts.source import env_sources
from activities.reports import DEFAULT_REPORT_DIR
from activities.ringg.large_access import LARGE_FLOW_MODES, LargeFlowMode
from activities.ringg.reconcile import CONFIRM_WITHIN_S
from client.payload_keys import PayloadKeyError, PayloadKeys, payload_keys_from_env
from contract.names import TASK_QUEUE
from domain.csv_sources import CsvSettingError, CsvSources, csv_sources_from_env
from domain.event_targets import EventSettingError, EventTargets, event_targets_from_env
from ledger.budget import DEFAULT_CEILING_RPS, QUIET_S
from ledger.engine import LedgerSettingsError, ledger_url
from ringg import DEFAULT_BASE_URL
from runtime.metrics import bind_address_problem
from runtime.retention import DEFAULT_RETENTION_DAYS, RetentionError, retention_days
from runtime.webhook_settings import DEFAULT_HEADER, WebhookConfigError, header_name, read_secret, shared_secret

# Activities one worker runs at once (its own limit, not the deployment's).
MAX_CONCURRENT_ACTIVITIES = 50
DEFAULT_RINGG_BASE_URL = DEFAULT_BASE_URL  # the Ringg client's


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it and says how to fix it."""


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name}={raw!r} must be a whole number of 1 or more (default {default}).")
    return int(raw)


def _non_negative_float(env: Mapping[str, str], name: str, default: float, what: str) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not math.isfinite(value) or value < 0:
        raise SettingsError(f"{name}={raw!r} must be a number of 0 or more: {what} (default {default:g}).")
    return value


def report_dir_from_env(env: Mapping[str, str]) -> Path:
    """CAMPAIGN_REPORT_DIR (where workers write reports for a CSV's owner), else data/reports."""
    return Path(env.get("CAMPAIGN_REPORT_DIR", "").strip() or DEFAULT_REPORT_DIR)


def file_retention_days(env: Mapping[str, str]) -> int:
    try:
        return retention_days(env)
    except RetentionError as err:
        raise SettingsError(str(err)) from None


def _bind_address(env: Mapping[str, str]) -> str | None:
    # WORKER_METRICS_BIND is the name this setting was first read under; METRICS_BIND_ADDRESS is documented.
    name = "METRICS_BIND_ADDRESS" if env.get("METRICS_BIND_ADDRESS", "").strip() else "WORKER_METRICS_BIND"
    raw = env.get(name, "").strip()
    if not raw:
        return None
    problem = bind_address_problem(raw)
    if problem:
        raise SettingsError(f"{name}: {problem}. Leave it unset to serve no metrics.")
    return raw


def _large_flow(env: Mapping[str, str]) -> LargeFlowMode:
    raw = env.get("RINGG_LARGE_FLOW", "").strip().lower() or "auto"
    if raw in LARGE_FLOW_MODES:
        return cast(LargeFlowMode, raw)
    raise SettingsError(
        f"RINGG_LARGE_FLOW={raw!r} must be one of {', '.join(LARGE_FLOW_MODES)} (default auto: use Ringg's large flow "
        "for 5,000+ rows and fall back to the standard flow in chunks when Ringg answers that it is not enabled)."
    )


def _webhook_secret(env: Mapping[str, str]) -> SecretStr | None:
    try:
        return read_secret(env)
    except WebhookConfigError as err:
        raise SettingsError(str(err)) from None


def csv_sources(env: Mapping[str, str], *, upload_dir: Path | None = None) -> CsvSources:
    """CAMPAIGN_CSV_* (where contacts may come from, and their size limits), for the worker and the API."""
    try:
        return csv_sources_from_env(env, upload_dir=upload_dir)
    except CsvSettingError as err:
        raise SettingsError(str(err)) from None


def events_secret(env: Mapping[str, str]) -> SecretStr | None:
    """CAMPAIGN_EVENTS_SECRET_FILE's content (it wins), else CAMPAIGN_EVENTS_SECRET; None when neither is set."""
    try:
        return shared_secret(env, "CAMPAIGN_EVENTS_SECRET", " (receivers check the events' signatures with it)")
    except WebhookConfigError as err:
        raise SettingsError(str(err)) from None


def events_targets(env: Mapping[str, str]) -> EventTargets:
    """CAMPAIGN_EVENTS_URL_HOSTS and CAMPAIGN_EVENTS_URL_ALLOW_PRIVATE: where events may be sent."""
    try:
        return event_targets_from_env(env)
    except EventSettingError as err:
        raise SettingsError(str(err)) from None


def _payload_keys(env: Mapping[str, str]) -> PayloadKeys | None:
    try:
        return payload_keys_from_env(env)
    except PayloadKeyError as err:
        raise SettingsError(str(err)) from None


def _temporal_target(env: Mapping[str, str]) -> tuple[str, str]:
    """TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE; where one is unset, the SDK's client profile (TEMPORAL_CONFIG_FILE,
    TEMPORAL_PROFILE or ~/.config/temporalio/temporal.toml) supplies it, else localhost:7233 and `default`. The API key
    and TLS settings are not read here: `client.connect.connect` takes them from the same configuration."""
    address = env.get("TEMPORAL_ADDRESS", "").strip()
    namespace = env.get("TEMPORAL_NAMESPACE", "").strip()
    if address and namespace:
        return address, namespace
    try:
        profile = ClientConfig.load_client_connect_config(override_env_vars=dict(env))
    except (RuntimeError, OSError) as err:  # the SDK raises its ConfigError (a RuntimeError) or a file error
        raise SettingsError(
            f"the Temporal client configuration (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE) cannot be loaded: {err}"
        ) from None
    return address or profile.get("target_host") or "localhost:7233", namespace or profile.get("namespace") or "default"


def _ledger_url(env: Mapping[str, str]) -> SecretStr:
    try:
        return SecretStr(ledger_url(env).render_as_string(hide_password=False))
    except LedgerSettingsError as err:
        raise SettingsError(str(err)) from None


def ringg_api_key(env: Mapping[str, str]) -> SecretStr | None:
    """RINGG_API_KEY, or the contents of RINGG_API_KEY_FILE; None when neither is set."""
    key = env.get("RINGG_API_KEY", "").strip()
    key_file = env.get("RINGG_API_KEY_FILE", "").strip()
    if not key and key_file:
        try:
            key = Path(key_file).read_text().strip()
        except OSError as err:
            raise SettingsError(f"RINGG_API_KEY_FILE={key_file!r} cannot be read: {err.strerror}") from None
    return SecretStr(key) if key else None


def ringg_base_url(env: Mapping[str, str]) -> str:
    return env.get("RINGG_BASE_URL", DEFAULT_RINGG_BASE_URL).strip() or DEFAULT_RINGG_BASE_URL


def ringg_budget_rps(env: Mapping[str, str]) -> float:
    """CAMPAIGN_RINGG_BUDGET_RPS: the workspace's Ringg requests per second across workers and the API; 0 = off."""
    return _non_negative_float(
        env, "CAMPAIGN_RINGG_BUDGET_RPS", DEFAULT_CEILING_RPS, "Ringg requests per second, 0 = off"
    )


def ringg_budget_quiet_s(env: Mapping[str, str]) -> float:
    what = "seconds without a 429 before the Ringg budget's rate climbs a step"
    quiet = _non_negative_float(env, "CAMPAIGN_RINGG_BUDGET_QUIET_S", QUIET_S, what)
    if quiet == 0:
        raise SettingsError(f"CAMPAIGN_RINGG_BUDGET_QUIET_S=0: it must be above 0: {what} (default {QUIET_S:g}).")
    return quiet


class WorkerSettings(BaseModel):
    ringg_api_key: SecretStr
    ringg_base_url: str = DEFAULT_RINGG_BASE_URL
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = TASK_QUEUE
    log_level: str = "INFO"
    max_concurrent_activities: int = MAX_CONCURRENT_ACTIVITIES
    metrics_bind: str | None = None
    confirm_window_s: float = CONFIRM_WITHIN_S
    report_dir: Path = DEFAULT_REPORT_DIR
    file_retention_days: int = DEFAULT_RETENTION_DAYS
    webhook_secret: SecretStr | None = None
    webhook_header: str = DEFAULT_HEADER
    large_flow: LargeFlowMode = "auto"
    # Requests per second to Ringg for the whole deployment (every worker on this ledger, per API key); 0 = off.
    ringg_budget_rps: float = DEFAULT_CEILING_RPS
    ringg_budget_quiet_s: float = QUIET_S  # each quiet interval without a 429 raises the rate a tenth of the ceiling
    # Built by from_env; a WorkerSettings made in code takes this process's CAMPAIGN_CSV_* environment.
    csv_sources: CsvSources = Field(default_factory=env_sources)
    # The contact ledger's SQLAlchemy URL (CAMPAIGN_LEDGER_URL[_FILE]; default: data/ledger.sqlite3). Secret: it
    # may hold a database password.
    ledger_url: SecretStr = Field(default_factory=lambda: _ledger_url(os.environ))
    # Events out: the signing secret (None: a campaign with an events_url fails before upload) and allowed hosts.
    events_secret: SecretStr | None = None
    events_targets: EventTargets = Field(default_factory=EventTargets)
    # None: payloads travel as plain JSON (PAYLOAD_ENCRYPTION_KEYS / PAYLOAD_ENCRYPTION_KEYS_FILE unset).
    payload_keys: PayloadKeys | None = Field(default=None, exclude=True, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        env = os.environ if env is None else env
        key = ringg_api_key(env)
        if key is None:
            raise SettingsError(
                "RINGG_API_KEY is not set. Export your Ringg workspace API key (dashboard → API) as RINGG_API_KEY, "
                "or point RINGG_API_KEY_FILE at a file holding it."
            )
        temporal_address, temporal_namespace = _temporal_target(env)
        return cls(
            ringg_api_key=key,
            ringg_base_url=ringg_base_url(env),
            temporal_address=temporal_address,
            temporal_namespace=temporal_namespace,
            task_queue=env.get("RINGG_TASK_QUEUE", TASK_QUEUE),
            log_level=env.get("LOG_LEVEL", "INFO"),
            max_concurrent_activities=_positive_int(env, "WORKER_MAX_CONCURRENT_ACTIVITIES", MAX_CONCURRENT_ACTIVITIES),
            metrics_bind=_bind_address(env),
            confirm_window_s=float(_positive_int(env, "RINGG_CONFIRM_WINDOW_S", int(CONFIRM_WITHIN_S))),
            report_dir=report_dir_from_env(env),
            file_retention_days=file_retention_days(env),
            webhook_secret=_webhook_secret(env),
            webhook_header=header_name(env),
            large_flow=_large_flow(env),
            ringg_budget_rps=ringg_budget_rps(env),
            ringg_budget_quiet_s=ringg_budget_quiet_s(env),
            csv_sources=csv_sources(env),
            payload_keys=_payload_keys(env),
            ledger_url=_ledger_url(env),
            events_secret=events_secret(env),
            events_targets=events_targets(env),
        )
