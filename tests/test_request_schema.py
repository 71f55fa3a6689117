"""`starter.py schema`: the JSON Schema other services build CampaignRequests from (no internal fields)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli.app import app
from contract.campaign import CampaignRequest
from contract.request_schema import request_json_schema


def test_schema_command_prints_the_public_request_schema() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"campaign_name", "agent_id", "csv_uri"}
    assert "continued" not in schema["properties"] and "ContinuedState" not in schema["$defs"]
    assert set(schema["properties"]) == set(CampaignRequest.model_fields) - {"continued"}
    assert all(prop.get("description") for prop in schema["properties"].values())
    assert schema["properties"]["concurrency_percentage"]["maximum"] == 100


def test_the_schema_says_which_kinds_of_number_are_called() -> None:
    number_types = request_json_schema()["properties"]["number_types"]
    assert number_types["default"] == ["mobile", "fixed_line_or_mobile", "fixed_line"]
    assert number_types["minItems"] == 1 and number_types["uniqueItems"] is True
    assert {"fixed_line", "toll_free", "premium_rate"} <= set(number_types["items"]["enum"])
    assert (
        "fixed_line (landlines)" in number_types["description"]
        and '["mobile"] calls mobiles only' in number_types["description"]
    )


def test_schema_refs_follow_the_template() -> None:
    schema = request_json_schema("#/components/schemas/{model}")
    assert schema["properties"]["polling"]["$ref"] == "#/components/schemas/PollingConfig"
