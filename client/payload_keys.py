"""The payload encryption keys (PAYLOAD_ENCRYPTION_KEYS or PAYLOAD_ENCRYPTION_KEYS_FILE): `id:base64key` entries, the
first one active; an error names the setting and the entry, never the key."""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

KEYS_ENV = "PAYLOAD_ENCRYPTION_KEYS"
KEYS_FILE_ENV = "PAYLOAD_ENCRYPTION_KEYS_FILE"
KEY_BYTES = 32  # AES-256
KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
NEW_KEY_HINT = "make one with `python -m codec_server new-key <id>`"


class PayloadKeyError(ValueError):
    """A payload key setting is wrong; the message names the setting and the entry (by position and id)."""


@dataclass(frozen=True)
class PayloadKeys:
    """Key id -> AES-256 key, in the configured order: the first encrypts, every one decrypts."""

    keys: tuple[tuple[str, bytes], ...] = field(repr=False)
    source: str = KEYS_ENV  # the setting they came from, for error messages

    def __post_init__(self) -> None:
        if not self.keys:
            raise PayloadKeyError(f"{self.source} holds no key; {NEW_KEY_HINT}")

    @property
    def active_id(self) -> str:
        return self.keys[0][0]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(key_id for key_id, _ in self.keys)

    def __repr__(self) -> str:
        return f"PayloadKeys(ids={list(self.ids)}, source={self.source!r})"


def _key_bytes(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; None when it is not base64."""
    text = text.replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def parse_payload_keys(text: str, source: str) -> PayloadKeys:
    """`id:base64key` entries separated by commas or newlines (`#` starts a comment line in a file)."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    entries = [entry.strip() for entry in re.split(r"[,\n]", "\n".join(lines)) if entry.strip()]
    keys: list[tuple[str, bytes]] = []
    for position, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        key_id = key_id.strip()
        where = f"{source}: entry {position}"
        if not sep:
            raise PayloadKeyError(f"{where} is not `id:base64key` (no ':'); {NEW_KEY_HINT}")
        if not KEY_ID.fullmatch(key_id):
            raise PayloadKeyError(
                f"{where}: the key id must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        where = f"{source}: key {key_id!r}"
        if key_id in dict(keys):
            raise PayloadKeyError(f"{where} appears twice; each key id must name one key")
        key = _key_bytes(encoded.strip())
        if key is None:
            raise PayloadKeyError(f"{where} is not base64; {NEW_KEY_HINT}")
        if len(key) != KEY_BYTES:
            raise PayloadKeyError(f"{where} is {len(key)} bytes, AES-256 needs {KEY_BYTES}; {NEW_KEY_HINT}")
        keys.append((key_id, key))
    return PayloadKeys(tuple(keys), source)


def payload_keys_from_env(env: Mapping[str, str] | None = None) -> PayloadKeys | None:
    """The configured keys, or None (encryption off) when neither setting is set."""
    env = os.environ if env is None else env
    inline = env.get(KEYS_ENV, "").strip()
    path = env.get(KEYS_FILE_ENV, "").strip()
    if inline and path:
        raise PayloadKeyError(f"{KEYS_ENV} and {KEYS_FILE_ENV} are both set; set one of them")
    if inline:
        return parse_payload_keys(inline, KEYS_ENV)
    if not path:
        return None
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "it is not text"
        raise PayloadKeyError(f"{KEYS_FILE_ENV}={path!r} cannot be read: {reason}") from None
    return parse_payload_keys(text, KEYS_FILE_ENV)


def new_key_entry(key_id: str) -> str:
    """A fresh `id:base64key` entry (32 random bytes)."""
    if not KEY_ID.fullmatch(key_id):
        raise PayloadKeyError(f"key id {key_id!r}: use 1-64 letters, digits, '.', '_' or '-'")
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"
