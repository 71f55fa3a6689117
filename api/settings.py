"""HTTP API settings, read from the environment once, in the entry point (`python -m api`)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from contract.names import TASK_QUEUE
from domain.csv_sources import DEFAULT_UPLOAD_DIR, CsvSources, upload_dir_from_env
from domain.event_targets import EventTargets
from ledger.budget import DEFAULT_CEILING_RPS, QUIET_S
from ledger.engine import LedgerSettingsError, ledger_url
from runtime.retention import DEFAULT_RETENTION_DAYS
from runtime.settings import (
    DEFAULT_RINGG_BASE_URL,
    SettingsError,
    csv_sources,
    events_targets,
    file_retention_days,
    ringg_api_key,
    ringg_base_url,
    ringg_budget_quiet_s,
    ringg_budget_rps,
)

MIN_TOKEN_LENGTH = 16


def _token(env: Mapping[str, str]) -> SecretStr | None:
    token = env.get("API_TOKEN", "").strip()
    token_file = env.get("API_TOKEN_FILE", "").strip()
    if not token and token_file:
        try:
            token = Path(token_file).read_text().strip()
        except OSError as err:
            raise SettingsError(f"API_TOKEN_FILE={token_file!r} cannot be read: {err.strerror}") from None
    if not token:
        if env.get("API_ALLOW_NO_AUTH", "").strip() == "1":
            return None
        raise SettingsError(
            "API_TOKEN is not set. Set API_TOKEN (or API_TOKEN_FILE, a file holding it) to the bearer token "
            "clients must send; for local development only, API_ALLOW_NO_AUTH=1 serves without authentication."
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise SettingsError(
            f"API_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters; use a random one, "
            "e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    return SecretStr(token)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname other than localhost may resolve to anything


def _host(env: Mapping[str, str], token: SecretStr | None) -> str:
    host = env.get("API_HOST", "").strip() or "127.0.0.1"
    if token is None and not _is_loopback(host):
        raise SettingsError(
            f"API_ALLOW_NO_AUTH=1 serves without authentication, so it is allowed only on a loopback API_HOST "
            f"(127.0.0.1, ::1, localhost), not API_HOST={host!r}. Set API_TOKEN (or API_TOKEN_FILE) to serve "
            "other hosts, or bind to 127.0.0.1."
        )
    return host


def _port(env: Mapping[str, str]) -> int:
    raw = env.get("API_PORT", "").strip() or "8080"
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise SettingsError(f"API_PORT={raw!r} must be a port number between 1 and 65535 (default 8080).")
    return int(raw)


def _max_upload_bytes(env: Mapping[str, str]) -> int:
    raw = env.get("API_MAX_UPLOAD_MB", "").strip() or "1024"
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"API_MAX_UPLOAD_MB={raw!r} must be a whole number of 1 or more (default 1024).")
    return int(raw) * 1024 * 1024


def _ledger_url(env: Mapping[str, str]) -> SecretStr:
    try:
        url = ledger_url(env)
    except LedgerSettingsError as err:
        raise SettingsError(str(err)) from None
    return SecretStr(url.render_as_string(hide_password=False))


class ApiSettings(BaseModel):
    token: SecretStr | None  # None only with API_ALLOW_NO_AUTH=1
    host: str = "127.0.0.1"
    port: int = 8080
    upload_dir: Path = Path(DEFAULT_UPLOAD_DIR)
    max_upload_bytes: int = 1024 * 1024 * 1024
    file_retention_days: int = DEFAULT_RETENTION_DAYS
    temporal_address: str | None = None  # None: the SDK's environment configuration, else localhost:7233
    temporal_namespace: str | None = None
    task_queue: str = TASK_QUEUE
    log_level: str = "INFO"
    # Where csv_uri/numbers_uri may point and the size limits (CAMPAIGN_CSV_*; by default the upload folder and
    # data/contacts). None: this process's environment, with upload_dir (ApiContext builds it once).
    csv_sources: CsvSources | None = None
    # The contact ledger (CAMPAIGN_LEDGER_URL_FILE / CAMPAIGN_LEDGER_URL, as the workers'); secret: it may hold a
    # password. None: this process's environment.
    ledger_url: SecretStr | None = None
    # Ringg, to check a start's caller numbers before it is accepted (RINGG_API_KEY[_FILE], RINGG_BASE_URL, as the
    # workers'). None: not checked here; the workers check them before any upload.
    ringg_api_key: SecretStr | None = Field(default=None, repr=False)
    ringg_base_url: str = DEFAULT_RINGG_BASE_URL
    # The workers' Ringg request budget (CAMPAIGN_RINGG_BUDGET_RPS / _QUIET_S, on the same ledger): the check's
    # requests wait for their slots in it.
    ringg_budget_rps: float = DEFAULT_CEILING_RPS
    ringg_budget_quiet_s: float = QUIET_S
    # Where events_url may point (CAMPAIGN_EVENTS_URL_*, as the workers'). None: this process's environment.
    events_targets: EventTargets | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiSettings:
        env = os.environ if env is None else env
        token = _token(env)
        # Absolute: the path is handed to the workers as csv_uri.
        upload_dir = upload_dir_from_env(env).resolve()
        return cls(
            token=token,
            host=_host(env, token),
            port=_port(env),
            upload_dir=upload_dir,
            max_upload_bytes=_max_upload_bytes(env),
            file_retention_days=file_retention_days(env),
            temporal_address=env.get("TEMPORAL_ADDRESS", "").strip() or None,
            temporal_namespace=env.get("TEMPORAL_NAMESPACE", "").strip() or None,
            task_queue=env.get("RINGG_TASK_QUEUE", "").strip() or TASK_QUEUE,
            log_level=env.get("LOG_LEVEL", "").strip() or "INFO",
            csv_sources=csv_sources(env, upload_dir=upload_dir),
            ledger_url=_ledger_url(env),
            ringg_api_key=ringg_api_key(env),
            ringg_base_url=ringg_base_url(env),
            ringg_budget_rps=ringg_budget_rps(env),
            ringg_budget_quiet_s=ringg_budget_quiet_s(env),
            events_targets=events_targets(env),
        )
