"""Maps the Ringg client's typed errors to Temporal retry semantics (DESIGN.md principle 3)."""

from __future__ import annotations

import re
from datetime import timedelta

from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from contract.errors import (
    INSUFFICIENT_BALANCE,
    RINGG_AUTH,
    RINGG_BAD_RESPONSE,
    RINGG_BUDGET_BUSY,
    RINGG_RATE_LIMITED,
    RINGG_REJECTED,
    RINGG_SERVER_ERROR,
    RINGG_UNAVAILABLE,
)
from ringg import (
    RinggBudgetBusy,
    RinggClientError,
    RinggError,
    RinggForbidden,
    RinggPaymentRequired,
    RinggRateLimited,
    RinggServerError,
    RinggTransportError,
    RinggUnauthorized,
)

_PHONE_LIKE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def redact(text: str) -> str:
    """Masks anything that looks like a phone number: server messages end up in workflow history."""
    return _PHONE_LIKE.sub("<redacted>", text)


def map_ringg_error(err: RinggError, *, doing: str) -> ApplicationError:
    """One place decides retryable vs not; messages say what happened and what to do."""
    detail = redact(err.server_message)
    where = err.endpoint
    if isinstance(err, RinggUnauthorized | RinggForbidden):
        return ApplicationError(
            f"Ringg refused the API key while {doing} ({where} -> {err.status_code}: {detail}). "
            "Check RINGG_API_KEY (or RINGG_API_KEY_FILE) on the worker, then restart it.",
            type=RINGG_AUTH,
            non_retryable=True,
        )
    if isinstance(err, RinggPaymentRequired):
        return ApplicationError(
            f"Ringg reports insufficient credits while {doing} ({where}): {detail}",
            type=INSUFFICIENT_BALANCE,
            non_retryable=True,
        )
    if isinstance(err, RinggRateLimited):
        delay = timedelta(seconds=err.retry_after) if err.retry_after else None
        return ApplicationError(
            f"Ringg rate-limited {where} while {doing}; retrying"
            + (f" after {err.retry_after:g}s as asked" if err.retry_after else " with backoff"),
            type=RINGG_RATE_LIMITED,
            next_retry_delay=delay,
        )
    if isinstance(err, RinggBudgetBusy):
        return ApplicationError(
            f"The deployment's Ringg request budget (CAMPAIGN_RINGG_BUDGET_RPS) is busy: {where} not sent while "
            f"{doing}; retrying in {err.wait_s:.0f}s",
            type=RINGG_BUDGET_BUSY,
            category=ApplicationErrorCategory.BENIGN,  # expected under load: not logged as a failure
            next_retry_delay=timedelta(seconds=max(1.0, err.wait_s)),
        )
    if isinstance(err, RinggClientError):
        return ApplicationError(
            f"Ringg rejected the request while {doing} ({where} -> {err.status_code}): {detail}",
            type=RINGG_REJECTED,
            non_retryable=True,
        )
    if isinstance(err, RinggServerError):
        return ApplicationError(
            f"Ringg server error while {doing} ({where} -> {err.status_code}): {detail}; retrying",
            type=RINGG_SERVER_ERROR,
        )
    if isinstance(err, RinggTransportError):
        return ApplicationError(
            f"Ringg unreachable while {doing} ({where}): {detail}; retrying", type=RINGG_UNAVAILABLE
        )
    return ApplicationError(f"Unexpected answer from Ringg while {doing} ({where}): {detail}", type=RINGG_BAD_RESPONSE)
