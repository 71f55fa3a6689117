"""Ringg's refusal of a whole upload for its invalid rows (remove_invalid_rows false), as the operator's error."""

from __future__ import annotations

from temporalio.exceptions import ApplicationError

from activities.ringg.errors import redact
from contract.errors import RINGG_INVALID_ROWS
from contract.ringg_steps import UploadInput
from domain.invalid_rows import refusal_names_invalid_rows, ringg_refused_upload_message
from ringg import RinggBadRequest, RinggError, RinggValidationError


def invalid_rows_refusal(inp: UploadInput, err: RinggError) -> ApplicationError | None:
    """A 400/422 that names invalid rows, for an upload that did not ask Ringg to skip them: non-retryable, with
    the count and what to do. Any other refusal is left to the general mapping (None)."""
    if inp.remove_invalid_rows or not isinstance(err, RinggBadRequest | RinggValidationError):
        return None
    about_rows, count = refusal_names_invalid_rows(err.server_message)
    if not about_rows:
        return None
    name = inp.ringg_campaign_name.removesuffix(f" [{inp.idempotency_tag}]")
    return ApplicationError(
        ringg_refused_upload_message(name, count, redact(err.server_message)),
        type=RINGG_INVALID_ROWS,
        non_retryable=True,
    )
