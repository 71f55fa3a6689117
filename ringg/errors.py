"""Typed errors raised by the Ringg client, built from HTTP responses and transport failures. No message here
may carry the API key: server text is scrubbed and httpx objects are never kept or chained."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

MAX_MESSAGE_CHARS = 500


class RinggError(Exception):
    """Base error: `endpoint` is "METHOD path/template" (no query string), `status_code` the HTTP status."""

    def __init__(self, endpoint: str, status_code: int | None, server_message: str) -> None:
        self.endpoint = endpoint
        self.status_code = status_code
        self.server_message = truncate(server_message)
        super().__init__(endpoint, status_code, self.server_message)

    def __str__(self) -> str:
        return f"{self.endpoint} -> {self.status_code}: {self.server_message}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep pickling/copying working for subclasses with extra constructor arguments.
        return (type(self), (self.endpoint, self.status_code, self.server_message))


class RinggClientError(RinggError):
    """Any 4xx: the request itself is wrong, retrying it unchanged will not help (except 429)."""


class RinggBadRequest(RinggClientError):
    """400."""


class RinggUnauthorized(RinggClientError):
    """401: missing, invalid or rotated API key."""


class RinggPaymentRequired(RinggClientError):
    """402: insufficient credits."""


class RinggForbidden(RinggClientError):
    """403."""


class RinggNotFound(RinggClientError):
    """404."""


class RinggConflict(RinggClientError):
    """409."""


class RinggValidationError(RinggClientError):
    """422 (FastAPI-style validation failure)."""


class RinggRateLimited(RinggClientError):
    """429; `retry_after` is in seconds when the server said so."""

    def __init__(
        self, endpoint: str, status_code: int | None, server_message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(endpoint, status_code, server_message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.endpoint, self.status_code, self.server_message, self.retry_after))


class RinggBudgetBusy(RinggError):
    """Not sent: the deployment's request budget for Ringg has no free slot within the wait this call may take.
    `wait_s` is how long the next free slot is away; retry after it."""

    def __init__(self, endpoint: str, wait_s: float) -> None:
        super().__init__(endpoint, None, f"request budget busy: next free slot in {wait_s:.1f}s")
        self.wait_s = wait_s

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.endpoint, self.wait_s))


class RinggServerError(RinggError):
    """5xx: Ringg or its upstream provider failed; retry with backoff."""


class RinggTransportError(RinggError):
    """No HTTP response. `maybe_committed` is True when the request may have reached the server."""

    def __init__(self, endpoint: str, server_message: str, *, maybe_committed: bool) -> None:
        super().__init__(endpoint, None, server_message)
        self.maybe_committed = maybe_committed

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_transport_error,
            (type(self), self.endpoint, self.server_message, self.maybe_committed),
        )


class RinggProtocolError(RinggError):
    """A 2xx whose body is not JSON or does not fit the expected model."""


def _rebuild_transport_error(
    cls: type[RinggTransportError], endpoint: str, message: str, maybe_committed: bool
) -> RinggTransportError:
    return cls(endpoint, message, maybe_committed=maybe_committed)


_BY_STATUS: dict[int, type[RinggClientError]] = {
    400: RinggBadRequest,
    401: RinggUnauthorized,
    402: RinggPaymentRequired,
    403: RinggForbidden,
    404: RinggNotFound,
    409: RinggConflict,
    422: RinggValidationError,
}

# Failures raised before any byte of the request can have reached Ringg.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
)


def truncate(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def scrub(text: str, secret: str | None) -> str:
    """Remove the API key if a server (or library) echoed it back."""
    if secret:
        return text.replace(secret, "***")
    return text


def _detail_text(detail: Any) -> str | None:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        # FastAPI: [{"loc": ["body", "x"], "msg": "...", "input": ...}]; "input" may hold PII, so skip it.
        parts = []
        for item in detail:
            if isinstance(item, dict) and "msg" in item:
                loc = ".".join(str(p) for p in item.get("loc") or [])
                parts.append(f"{loc}: {item['msg']}" if loc else str(item["msg"]))
            else:
                parts.append(str(item))
        return "; ".join(parts) or None
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    return None


def extract_server_message(response: httpx.Response) -> str:
    """Best-effort human message from an error response (body must already be read)."""
    text = response.text.strip()
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        found = _detail_text(body.get("detail")) if "detail" in body else None
        error = body.get("error")
        if found is None and isinstance(error, dict) and isinstance(error.get("message"), str):
            found = error["message"]
        if found is None and isinstance(body.get("message"), str):
            found = body["message"]
        if found is None and isinstance(error, str):
            found = error
        if found:
            return truncate(found)
    if text:
        return truncate(text)
    return response.reason_phrase


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP-date (RFC 9110 section 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_from_response(endpoint: str, response: httpx.Response, secret: str | None = None) -> RinggError:
    status = response.status_code
    message = scrub(extract_server_message(response), secret)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RinggRateLimited(endpoint, status, message, retry_after)
    if status in _BY_STATUS:
        return _BY_STATUS[status](endpoint, status, message)
    if 400 <= status < 500:
        return RinggClientError(endpoint, status, message)
    if status >= 500:
        return RinggServerError(endpoint, status, message)
    # 1xx/3xx reaching us means a redirect we do not follow or a broken proxy.
    return RinggProtocolError(endpoint, status, f"unexpected status: {message}")


def transport_error(endpoint: str, exc: httpx.RequestError, secret: str | None = None) -> RinggTransportError:
    detail = str(exc) or type(exc).__name__
    message = scrub(f"{type(exc).__name__}: {detail}", secret)
    return RinggTransportError(endpoint, message, maybe_committed=not isinstance(exc, _NOT_SENT))
