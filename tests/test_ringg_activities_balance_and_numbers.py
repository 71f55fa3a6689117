"""RinggActivities against a fake Ringg: the checks before a launch, check_balance (both documented answer shapes)
and check_caller_numbers (by id or number, spam reported, unknown numbers named)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError

from activities.ringg.activities import RinggActivities
from contract.ringg_steps import CallerNumbersInput
from ringg import RinggClient, make_http_client
from tests.ringg_activity_helpers import BASE, KEY, LIST_ID, FakeRingg, ref, run
from tests.ringg_activity_helpers import acts as acts  # fixtures: pytest finds them by these names
from tests.ringg_activity_helpers import ringg as ringg

# --- check_balance -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "sufficient", "status", "required", "available", "missing"),
    [
        ({"status": "draft", "message": "Sufficient balance to start the campaign"}, True, "draft", None, None, None),
        (
            {"status": "insufficient_balance", "message": "Insufficient balance: 120 additional credits required"},
            False,
            "insufficient_balance",
            None,
            None,
            None,
        ),
        (
            {"required_credits": 120, "available_credits": 500, "sufficient_balance": True},
            True,
            None,
            120.0,
            500.0,
            None,
        ),
        (
            {"required_credits": "500", "available_credits": 380.5, "sufficient_balance": False},
            False,
            None,
            500.0,
            380.5,
            119.5,
        ),
        (
            {"status": "insufficient_balance", "additional_balance_required": 42},
            False,
            "insufficient_balance",
            None,
            None,
            42.0,
        ),
    ],
    ids=["A-draft", "A-insufficient", "B-sufficient", "B-insufficient", "A-additional"],
)
async def test_check_balance_understands_both_shapes(
    ringg: FakeRingg,
    acts: RinggActivities,
    body: dict[str, Any],
    sufficient: bool,
    status: str | None,
    required: float | None,
    available: float | None,
    missing: float | None,
) -> None:
    ringg.balance = {"bulk_list_id": LIST_ID, **body}

    result = await run(acts.check_balance, ref())

    assert result.sufficient is sufficient
    assert result.status == status
    assert (result.required_credits, result.available_credits, result.missing_credits) == (
        required,
        available,
        missing,
    )
    assert result.message == body.get("message", "")
    assert ringg.routes() == [f"POST campaign/check-balance/{LIST_ID}"]


async def test_check_balance_unrecognised_answer_is_unknown(ringg: FakeRingg, acts: RinggActivities) -> None:
    ringg.balance = {"bulk_list_id": LIST_ID, "message": "call support on +91 80 4567 8901"}

    result = await run(acts.check_balance, ref())

    assert result.sufficient is None
    assert result.message == "call support on <redacted>"


# -- caller numbers ----------------------------------------------------------------------------------------


def numbers_transport() -> httpx.MockTransport:
    numbers = [
        {"id": "n-1", "number": "+912269976801", "is_spam": False, "display_name": "Main"},
        {
            "id": "n-2",
            "number": "+912269976802",
            "is_spam": True,
            "spam_message": "carrier flag",
            "display_name": "Old",
        },
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params.get("offset", "0")), int(request.url.params.get("limit", "20"))
        return httpx.Response(200, json={"workspace_numbers": numbers[offset : offset + limit]})

    return httpx.MockTransport(handler)


async def test_caller_numbers_by_id_or_number_with_spam_reported() -> None:
    async with make_http_client(BASE, SecretStr(KEY), transport=numbers_transport()) as http:
        acts = RinggActivities(RinggClient(http))
        result = await run(acts.check_caller_numbers, CallerNumbersInput(from_numbers=["n-1", "+91 22 6997 6802"]))
    assert result.spam == ["+912269976802 (Old) is flagged as spam: carrier flag"]


async def test_unknown_caller_number_fails_naming_it_and_the_known_ones() -> None:
    async with make_http_client(BASE, SecretStr(KEY), transport=numbers_transport()) as http:
        acts = RinggActivities(RinggClient(http))
        with pytest.raises(ApplicationError) as info:
            await run(acts.check_caller_numbers, CallerNumbersInput(from_numbers=["n-1", "n-404"]))
    assert info.value.type == "UnknownCallerNumber" and info.value.non_retryable
    assert "n-404" in info.value.message and "+912269976801 (n-1)" in info.value.message
