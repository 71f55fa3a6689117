"""Codec server settings, read from the environment once, in the entry point (`python -m codec_server`)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr

from client.payload_keys import KEYS_ENV, KEYS_FILE_ENV, PayloadKeyError, PayloadKeys, payload_keys_from_env
from runtime.settings import SettingsError

MIN_TOKEN_LENGTH = 16
DEFAULT_PORT = 8081
# The dev server's UI and the compose stack's (TEMPORAL_UI_PUBLISH), under both loopback names.
DEFAULT_ORIGINS = ("http://localhost:8233", "http://127.0.0.1:8233")
DEFAULT_MAX_BODY_MB = 16


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _token(env: Mapping[str, str], host: str) -> SecretStr | None:
    token = env.get("CODEC_SERVER_TOKEN", "").strip()
    token_file = env.get("CODEC_SERVER_TOKEN_FILE", "").strip()
    if token and token_file:
        raise SettingsError("CODEC_SERVER_TOKEN and CODEC_SERVER_TOKEN_FILE are both set; set one of them.")
    if token_file:
        try:
            token = Path(token_file).read_text().strip()
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) else "it is not text"
            raise SettingsError(f"CODEC_SERVER_TOKEN_FILE={token_file!r} cannot be read: {reason}") from None
    if token:
        if len(token) < MIN_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
            raise SettingsError(
                f"CODEC_SERVER_TOKEN must be {MIN_TOKEN_LENGTH}+ printable ASCII characters; use a random one, "
                "e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
            )
        return SecretStr(token)
    if env.get("CODEC_SERVER_ALLOW_NO_AUTH", "").strip() != "1":
        raise SettingsError(
            "CODEC_SERVER_TOKEN is not set: the codec server decrypts payloads for whoever calls it, so it needs the "
            "bearer token its clients send (or CODEC_SERVER_TOKEN_FILE). On your own machine only, "
            "CODEC_SERVER_ALLOW_NO_AUTH=1 with a loopback CODEC_SERVER_HOST serves without one."
        )
    if not is_loopback(host):
        raise SettingsError(
            f"CODEC_SERVER_ALLOW_NO_AUTH=1 needs a loopback CODEC_SERVER_HOST (127.0.0.1, ::1, localhost), not "
            f"{host!r}: without a token, anyone who reaches the port could decrypt payloads. Set CODEC_SERVER_TOKEN."
        )
    return None


def _origin(raw: str) -> str:
    parts = urlsplit(raw)
    bad = (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    )
    if bad:
        raise SettingsError(
            f"CODEC_SERVER_CORS_ORIGINS: {raw!r} is not an origin; write scheme://host[:port] of the Temporal UI as "
            "the browser shows it, e.g. http://localhost:8233 or https://cloud.temporal.io"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _origins(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("CODEC_SERVER_CORS_ORIGINS", "").strip()
    if not raw:
        return DEFAULT_ORIGINS
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if "*" in items:
        raise SettingsError(
            "CODEC_SERVER_CORS_ORIGINS: '*' is not allowed (the UI sends credentials); list the UI origins instead."
        )
    return tuple(dict.fromkeys(_origin(item) for item in items))


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name}={raw!r} must be a whole number from {low} to {high} (default {default}).")
    return int(raw)


def _keys(env: Mapping[str, str]) -> PayloadKeys:
    try:
        keys = payload_keys_from_env(env)
    except PayloadKeyError as err:
        raise SettingsError(str(err)) from None
    if keys is None:
        raise SettingsError(
            f"no payload keys: set {KEYS_ENV} or {KEYS_FILE_ENV} to the workers' keys (the same value), "
            "or the codec server has nothing to decrypt with."
        )
    return keys


class CodecServerSettings(BaseModel):
    keys: PayloadKeys = Field(exclude=True, repr=False)
    token: SecretStr | None  # None only with CODEC_SERVER_ALLOW_NO_AUTH=1 on a loopback host
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    cors_origins: tuple[str, ...] = DEFAULT_ORIGINS
    namespaces: frozenset[str] = frozenset({"default"})
    max_body_bytes: int = DEFAULT_MAX_BODY_MB * 1024 * 1024
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CodecServerSettings:
        env = os.environ if env is None else env
        host = env.get("CODEC_SERVER_HOST", "").strip() or "127.0.0.1"
        served = env.get("CODEC_SERVER_NAMESPACES", "").strip() or env.get("TEMPORAL_NAMESPACE", "").strip()
        return cls(
            keys=_keys(env),
            token=_token(env, host),
            host=host,
            port=_whole(env, "CODEC_SERVER_PORT", DEFAULT_PORT, 1, 65535),
            cors_origins=_origins(env),
            namespaces=frozenset(n.strip() for n in (served or "default").split(",") if n.strip()),
            max_body_bytes=_whole(env, "CODEC_SERVER_MAX_BODY_MB", DEFAULT_MAX_BODY_MB, 1, 1024) * 1024 * 1024,
            log_level=env.get("LOG_LEVEL", "").strip() or "INFO",
        )
