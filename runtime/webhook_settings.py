"""The receiver's configuration, from the environment (the secret may come from a file, like the API key). The
worker reads the same secret to put it in Ringg's event subscription (`starter.py webhooks subscribe`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

DEFAULT_HEADER = "X-Webhook-Secret"


class WebhookConfigError(ValueError):
    """The receiver cannot start; the message says which variable to set."""


def shared_secret(env: Mapping[str, str], name: str, why: str = "") -> SecretStr | None:
    """A shared secret setting: the content of `<name>_FILE` (it wins), else `<name>`; None when neither is set.
    Raises WebhookConfigError for an unreadable file or a secret under 16 characters (`why` says what it signs)."""
    secret = env.get(name, "").strip()
    secret_file = env.get(f"{name}_FILE", "").strip()
    if secret_file:
        try:
            secret = Path(secret_file).read_text(encoding="utf-8").strip()
        except OSError as err:
            raise WebhookConfigError(f"{name}_FILE={secret_file!r} cannot be read: {err.strerror}") from None
    if not secret:
        return None
    if len(secret) < 16:
        raise WebhookConfigError(f"{name} must be a random string of 16 characters or more{why}")
    return SecretStr(secret)


def read_secret(env: Mapping[str, str]) -> SecretStr | None:
    """WEBHOOK_SECRET, or the content of WEBHOOK_SECRET_FILE; None when neither is set."""
    return shared_secret(env, "WEBHOOK_SECRET")


def header_name(env: Mapping[str, str]) -> str:
    return env.get("WEBHOOK_SECRET_HEADER", "").strip() or DEFAULT_HEADER


@dataclass(frozen=True)
class WebhookSettings:
    secret: SecretStr
    header: str = DEFAULT_HEADER
    flush_s: float = 1.0
    dedupe_ttl_s: float = 900.0
    temporal_address: str | None = None
    temporal_namespace: str | None = None
    host: str = "127.0.0.1"
    port: int = 8090

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookSettings:
        env = os.environ if env is None else env
        secret = read_secret(env)
        if secret is None:
            raise WebhookConfigError(
                "set WEBHOOK_SECRET (or WEBHOOK_SECRET_FILE) to a random string of 16+ characters: Ringg echoes it "
                "in a header with every event, and events without it are refused"
            )
        return cls(
            secret=secret,
            header=header_name(env),
            flush_s=float(env.get("WEBHOOK_FLUSH_S", "") or 1.0),
            dedupe_ttl_s=float(env.get("WEBHOOK_DEDUPE_TTL_S", "") or 900.0),
            temporal_address=env.get("TEMPORAL_ADDRESS") or None,
            temporal_namespace=env.get("TEMPORAL_NAMESPACE") or None,
            host=env.get("WEBHOOK_HOST", "").strip() or "127.0.0.1",
            port=int(env.get("WEBHOOK_PORT", "") or 8090),
        )
