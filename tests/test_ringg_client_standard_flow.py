"""RinggClient against httpx.MockTransport: make_http_client's defaults and key handling, and the standard flow
(campaign/save multipart, campaign/start and v2/start bodies)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from ringg import RinggClient, StartRequest, StartV2Request, make_http_client
from tests.ringg_client_helpers import BASE, KEY, LIST_ID, Recorder, form, multipart, ok, ringg
from tests.ringg_client_helpers import csv_file as csv_file  # a fixture: pytest finds it by this name

# --- http client construction -------------------------------------------------------------------------


async def test_make_http_client_defaults_and_key_handling() -> None:
    rec = Recorder(ok({"workspace_info": {"id": "ws-1"}}))
    async with make_http_client(BASE + "/", SecretStr(KEY), transport=httpx.MockTransport(rec)) as http:
        assert str(http.base_url) == BASE + "/"
        assert http.timeout == httpx.Timeout(30.0, connect=10.0)
        assert http.headers["user-agent"] == "ringg-campaigns/0.1"
        # The key is added per request by the auth hook, so client-level reprs never hold it.
        assert KEY not in repr(http.headers) and KEY not in repr(http.auth) and KEY not in repr(http)
        client = RinggClient(http)
        assert KEY not in repr(client)
        await client.workspace()
    assert str(rec.last.url) == BASE + "/workspace"
    assert rec.last.headers["X-API-KEY"] == KEY
    assert rec.last.headers["user-agent"] == "ringg-campaigns/0.1"


async def test_make_http_client_custom_timeout_and_empty_key() -> None:
    timeout = httpx.Timeout(5.0)
    async with make_http_client(BASE, SecretStr(KEY), timeout=timeout) as http:
        assert http.timeout == timeout
    with pytest.raises(ValueError, match="empty"):
        make_http_client(BASE, SecretStr(""))


# --- standard flow ---------------------------------------------------------------------------------------


async def test_save_campaign_multipart_shape_and_result(csv_file: Path) -> None:
    rec = Recorder(
        ok(
            {
                "message": "Contacts imported successfully!",
                "list_id": LIST_ID,
                "custom_args_values": [{"callee_name": "John Doe", "mobile_number": "+1234567890"}],
                "total_rows": 100,
                "successful_rows": 98,
                "failed_rows": 2,
            }
        )
    )
    call_config = {"call_retry_config": {"retry_count": 3}, "call_time": {"timezone": "Asia/Kolkata"}}
    campaign = form(
        campaign_start_time="18/10/2025, 09:00",
        campaign_end_time="18/10/2025, 18:00",
        call_config=call_config,
        remove_invalid_rows=True,
    )
    async with ringg(rec) as client:
        result = await client.save_campaign(campaign, csv_file)

    req = rec.last
    assert (req.method, req.url.path) == ("POST", "/ca/api/v0/campaign/save")
    assert req.headers["X-API-KEY"] == KEY
    assert req.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert int(req.headers["content-length"]) == len(req.content)
    parts = multipart(req)
    fields = {name: data.decode() for name, (headers, data) in parts.items() if name != "file"}
    assert fields == {
        "agent_id": "agent-1",
        "campaign_name": "Renewals",
        "country_code": "+91",
        "variables_map": json.dumps({"mobile_number": "Mobile Number", "callee_name": "Name"}),
        "campaign_start_time": "18/10/2025, 09:00",
        "campaign_end_time": "18/10/2025, 18:00",
        "call_config": json.dumps(call_config),
        "remove_invalid_rows": "true",
        "transliterate_callee_name": "false",
    }
    assert json.loads(fields["variables_map"])["callee_name"] == "Name"
    file_headers, file_data = parts["file"]
    assert file_headers["filename"] == "contacts.csv"
    assert file_headers["Content-Type"] == "text/csv"
    assert file_data == csv_file.read_bytes()

    assert result.list_id == LIST_ID
    assert (result.total_rows, result.successful_rows, result.failed_rows) == (100, 98, 2)
    # The per-contact PII array is not kept, not even as an extra field.
    assert "custom_args_values" not in result.model_dump()
    assert "John Doe" not in repr(result)


async def test_start_campaign_json_body() -> None:
    rec = Recorder(ok({"status": "campaign registered successfully!", "has_ongoing_calls": False}))
    async with ringg(rec) as client:
        result = await client.start_campaign(StartRequest(agent_id="a", list_id=LIST_ID, from_numbers=["num-1"]))
    assert (rec.last.method, rec.last.url.path) == ("POST", "/ca/api/v0/campaign/start")
    assert rec.last.headers["content-type"] == "application/json"
    assert json.loads(rec.last.content) == {"agent_id": "a", "list_id": LIST_ID, "from_numbers": ["num-1"]}
    assert result.status == "campaign registered successfully!"
    assert result.has_ongoing_calls is False


async def test_start_campaign_v2_json_body() -> None:
    rec = Recorder(ok({"status": "campaign registered successfully!", "has_ongoing_calls": True}))
    req = StartV2Request(agent_id="a", list_id=LIST_ID, number_pool_id="pool-1", callback_url="https://cb.example/x")
    async with ringg(rec) as client:
        result = await client.start_campaign_v2(req)
    assert (rec.last.method, rec.last.url.path) == ("POST", "/ca/api/v0/campaign/v2/start")
    assert json.loads(rec.last.content) == {
        "agent_id": "a",
        "list_id": LIST_ID,
        "number_pool_id": "pool-1",
        "callback_url": "https://cb.example/x",
    }
    assert result.has_ongoing_calls is True
