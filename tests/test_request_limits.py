"""Size and depth limits on what a caller sends (contract.limits), and the data converter that turns a payload the
worker cannot decode into a non-retryable failure naming the rule, never the values sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.exceptions import ApplicationError

from client.converter import DATA_CONVERTER
from contract.campaign import CampaignRequest
from contract.limits import MAX_FREE_FORM_DEPTH, free_form_problem, json_depth

BASE: dict[str, Any] = {"campaign_name": "Renewals", "agent_id": "agent-1", "csv_uri": "/data/contacts/c.csv"}
PHONE = "+919876543210"


def chain(levels: int) -> Any:
    value: Any = PHONE
    for _ in range(levels):
        value = {"k": value}
    return value


def test_depth_is_counted_without_recursion() -> None:
    samples: list[Any] = [1, {}, [], {"a": [1, {"b": None}]}, chain(3)]
    assert [json_depth(v) for v in samples] == [0, 1, 1, 3, 3]
    assert json_depth(chain(200_000)) == 200_000  # far past the interpreter's recursion limit


def test_free_form_fields_are_bounded_in_depth_and_size() -> None:
    assert free_form_problem("call_config", chain(MAX_FREE_FORM_DEPTH)) is None
    assert free_form_problem("call_config", chain(MAX_FREE_FORM_DEPTH + 1)) == (
        "call_config nests 9 levels deep; at most 8 are accepted"
    )
    assert "bytes as JSON; at most 65536" in str(free_form_problem("call_config", {"x": "y" * 70_000}))
    assert free_form_problem("call_config", {"when": object()}) is None  # str() of what JSON cannot hold


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"call_config": chain(9)}, "call_config nests 9 levels deep"),
        ({"variables_map": {f"v{i}": "C" for i in range(201)}}, "variables_map: Dictionary should have at most 200"),
        ({"email_completion_user_ids": ["u"] * 101}, "email_completion_user_ids: List should have at most 100"),
        ({"callback_url": "https://x/" + "a" * 5000}, "callback_url: String should have at most 4096"),
        ({"agent_id": "a" * 129}, "agent_id: String should have at most 128"),
        ({"max_balance_wait_seconds": 10**12}, "max_balance_wait_seconds: Input should be less than or equal"),
        ({"polling": {"upload_initial_s": 0.001}}, "polling.upload_initial_s: Input should be greater than or equal"),
        ({"polling": {"monitor_backoff": 0.5}}, "polling.monitor_backoff: Input should be greater than or equal to 1"),
        ({"polling": {"upload_rows_per_s": 0}}, "polling.upload_rows_per_s: Input should be greater than 0"),
        ({"polling": {"upload_rows_per_s": 1e12}}, "polling.upload_rows_per_s: Input should be less than or equal"),
    ],
)
def test_the_model_refuses_what_is_too_big_or_too_deep(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        decode({**BASE, **changes})
    assert expected in caught.value.message
    assert caught.value.non_retryable and caught.value.type == "InvalidPayload"


def decode(data: dict[str, Any]) -> CampaignRequest:
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(data).encode())
    [req] = DATA_CONVERTER.payload_converter.from_payloads([payload], [CampaignRequest])
    assert isinstance(req, CampaignRequest)
    return req


def test_an_undecodable_input_fails_without_echoing_its_values() -> None:
    too_deep = '{"campaign_name": "x", "agent_id": "a", "csv_uri": "/c", "call_config": ' + (
        '{"a": ' * 300 + f'"{PHONE}"' + "}" * 300 + "}"
    )
    for data in (too_deep.encode(), b'{"campaign_name": "' + PHONE.encode() + b'", "from_numbers": "' + PHONE.encode()):
        with pytest.raises(ApplicationError) as caught:
            DATA_CONVERTER.payload_converter.from_payloads(
                [Payload(metadata={"encoding": b"json/plain"}, data=data)], [CampaignRequest]
            )
        assert caught.value.non_retryable and caught.value.message.startswith("the CampaignRequest cannot be used:")
        assert PHONE not in caught.value.message and caught.value.__cause__ is None
    assert decode({**BASE, "call_config": chain(MAX_FREE_FORM_DEPTH - 1)}).agent_id == "agent-1"
