"""Signatures of the campaign events the worker POSTs (HMAC-SHA256 over "<timestamp>.<body>"), and their ids:
pure, so a receiver written in Python can import `verify` (docs/operations.md has a stand-alone version)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Campaign-Signature"
ID_HEADER = "X-Campaign-Event-Id"
TYPE_HEADER = "X-Campaign-Event-Type"
# A receiver refuses a signature older (or newer) than this: a captured delivery cannot be replayed later.
DEFAULT_TOLERANCE_S = 300


class SignatureInvalid(ValueError):
    """The X-Campaign-Signature header does not prove the body came from the worker; the message says why."""


def event_id(workflow_id: str, event_type: str, sequence: int) -> str:
    """The same id for every delivery (retried or replayed) of one event of one campaign."""
    digest = hashlib.sha256(f"{workflow_id}\n{event_type}\n{sequence}".encode()).hexdigest()
    return f"evt_{digest[:32]}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance_s: float = DEFAULT_TOLERANCE_S) -> int:
    """Checks a delivery's header against its raw body; returns its timestamp or raises SignatureInvalid."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    stamps = fields.get("t", [])
    if len(stamps) != 1 or not stamps[0].isdigit():
        raise SignatureInvalid("the signature header has no timestamp (t=<unix seconds>)")
    timestamp = int(stamps[0])
    if abs(now - timestamp) > tolerance_s:
        raise SignatureInvalid(f"the signature's timestamp is more than {tolerance_s:g}s away from now")
    expected = _digest(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, given) for given in fields.get("v1", [])):
        raise SignatureInvalid("no v1 signature matches the body (wrong secret, or the body was changed)")
    return timestamp


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
