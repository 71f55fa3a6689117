"""Models for the beta large-campaign flow: upload-csv, upload-status, check-balance, make-call-async."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from .common import OptFloat, OptInt, RinggRequest, RinggResponse

_COUNT_ALIASES: dict[str, tuple[str, ...]] = {
    "total": ("total_callees", "total_rows", "total_contacts"),
    "invalidated_rows_csv_url": ("invalid_entries_file",),
}


class UploadState(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    UNKNOWN = "unknown"


# Docs, OpenAPI examples and dashboard fixtures each use a different vocabulary (reference section 1.5).
_STATE_BY_STATUS: dict[str, UploadState] = {
    **dict.fromkeys(
        ("uploaded", "processing", "verifying", "in_db", "queued", "pending", "validating"),
        UploadState.PENDING,
    ),
    **dict.fromkeys(("completed", "ready", "draft", "verified", "success"), UploadState.READY),
    **dict.fromkeys(("failed", "error"), UploadState.FAILED),
}


def upload_state(status: str | None) -> UploadState:
    return _STATE_BY_STATUS.get((status or "").strip().lower(), UploadState.UNKNOWN)


class UploadCsvResult(RinggResponse):
    """`campaign/upload-csv`: persist `bulk_list_id` at once, the upload is not idempotent."""

    _aliases = {"bulk_list_id": ("campaign_id", "list_id"), **_COUNT_ALIASES}

    bulk_list_id: str
    status: str | None = None
    campaign_name: str | None = None
    message: str | None = None
    total: OptInt = None
    invalidated_rows_count: OptInt = None
    invalidated_rows_csv_url: str | None = None

    @property
    def state(self) -> UploadState:
        return upload_state(self.status)


class UploadStatus(RinggResponse):
    """`campaign/upload-status/{id}`; `status` is kept raw, `state` is its normalised meaning.

    Three vocabularies (reference section 1.5): the OpenAPI example (`total_callees`, `invalidated_rows_count`),
    the prose guidance (`total_rows`, `processed_rows`, `successful_rows`, `failed_rows`) and the dashboard
    fixture (`total_contacts`, `invalid_entries_file`). `total` is the callable contacts, `total_rows` the rows
    Ringg received: they differ by the rows it invalidated."""

    _aliases = {
        "bulk_list_id": ("campaign_id",),
        "total": ("total_callees", "total_contacts"),
        "invalidated_rows_csv_url": ("invalid_entries_file",),
    }

    bulk_list_id: str | None = None
    status: str = ""
    campaign_name: str | None = None
    total: OptInt = None
    total_rows: OptInt = None
    processed_rows: OptInt = None
    successful_rows: OptInt = None
    failed_rows: OptInt = None
    invalidated_rows_count: OptInt = None
    invalidated_rows_csv_url: str | None = None
    message: str | None = None

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        if data.get("message") is None:
            error = data.get("error")
            if isinstance(error, dict):
                error = error.get("message")
            for candidate in (error, data.get("detail")):
                if isinstance(candidate, str) and candidate:
                    data["message"] = candidate
                    break
        return data

    @property
    def state(self) -> UploadState:
        return upload_state(self.status)

    @property
    def contacts(self) -> int | None:
        """Rows Ringg will call, from whichever vocabulary the answer uses."""
        if self.total is not None:
            return self.total
        if self.successful_rows is not None:
            return self.successful_rows
        if self.total_rows is not None:
            return max(self.total_rows - (self.failed_rows or 0), 0)
        return None

    @property
    def invalid_rows(self) -> int:
        if self.invalidated_rows_count is not None:
            return self.invalidated_rows_count
        return self.failed_rows or 0

    @property
    def percent(self) -> float | None:
        """How far processing is: 100 once ready, processed/total rows while Ringg says (None when it does not)."""
        if self.state is UploadState.READY:
            return 100.0
        if self.processed_rows is not None and self.total_rows:
            return round(min(100.0, max(0.0, 100.0 * self.processed_rows / self.total_rows)), 1)
        return None


class BalanceCheck(RinggResponse):
    """`campaign/check-balance/{id}`: documented as {status, message} and as {sufficient_balance, ...}."""

    bulk_list_id: str | None = None
    status: str | None = None
    message: str | None = None
    required_credits: OptFloat = None
    available_credits: OptFloat = None
    sufficient_balance: bool | None = None
    additional_balance_required: OptFloat = None

    @property
    def is_sufficient(self) -> bool | None:
        """True/False when either documented shape says so; None when the answer is not recognisable."""
        status = (self.status or "").strip().lower()
        if self.sufficient_balance is True:
            return True
        if self.sufficient_balance is False or status == "insufficient_balance":
            return False
        if status == "draft":
            return True
        return None

    @property
    def missing_credits(self) -> float | None:
        if self.additional_balance_required is not None:
            return self.additional_balance_required
        if self.required_credits is not None and self.available_credits is not None:
            gap = self.required_credits - self.available_credits
            return gap if gap > 0 else None
        return None


class MakeCallAsyncRequest(RinggRequest):
    """`campaign/make-call-async`: country_code, the window and call_config are required (D-async's schema), and
    exactly one of `from_numbers` or `number_pool_id`, else a 422."""

    bulk_list_id: str = Field(min_length=1)
    agent_id: str = Field(min_length=1)
    country_code: str = Field(min_length=1)
    campaign_start_time: str = Field(min_length=1)
    campaign_end_time: str = Field(min_length=1)
    call_config: dict[str, Any] = Field(min_length=1)
    from_numbers: list[str] | None = Field(default=None, min_length=1)
    number_pool_id: str | None = None
    concurrency_percentage: int | None = Field(default=None, ge=0, le=100)
    callback_url: str | None = None
    email_completion_user_ids: list[str] | None = None

    @model_validator(mode="after")
    def _one_number_source(self) -> MakeCallAsyncRequest:
        if (self.from_numbers is None) == (self.number_pool_id is None):
            raise ValueError("exactly one of from_numbers or number_pool_id is required")
        return self


class MakeCallAsyncResult(RinggResponse):
    message: str | None = None
    bulk_list_id: str | None = None
    status: str | None = None
