"""RinggClient against httpx.MockTransport: HTTP statuses, transport failures and bad bodies mapped to typed errors,
and the API key kept out of errors and logs."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from ringg import (
    MakeCallAsyncRequest,
    RinggBadRequest,
    RinggClientError,
    RinggConflict,
    RinggError,
    RinggForbidden,
    RinggNotFound,
    RinggPaymentRequired,
    RinggProtocolError,
    RinggRateLimited,
    RinggServerError,
    RinggTransportError,
    RinggUnauthorized,
    RinggValidationError,
)
from tests.ringg_client_helpers import LIST_ID, SCHEDULE, Recorder, form, ok, ringg
from tests.ringg_client_helpers import csv_file as csv_file  # a fixture: pytest finds it by this name

FASTAPI_422 = {
    "detail": [
        {
            "loc": ["body", "from_numbers"],
            "msg": "exactly one of from_numbers or number_pool_id",
            "input": "+9198",
        },
        {"loc": ["body", "agent_id"], "msg": "field required"},
    ]
}

ERROR_CASES: list[tuple[httpx.Response, type[RinggError], str]] = [
    (
        httpx.Response(400, json={"detail": "campaign already started"}),
        RinggBadRequest,
        "campaign already started",
    ),
    (
        httpx.Response(401, json={"error": {"message": "Invalid API key"}}),
        RinggUnauthorized,
        "Invalid API key",
    ),
    (
        httpx.Response(402, json={"message": "Insufficient credits"}),
        RinggPaymentRequired,
        "Insufficient credits",
    ),
    (
        httpx.Response(403, json={"error": "forbidden for workspace"}),
        RinggForbidden,
        "forbidden for workspace",
    ),
    (httpx.Response(404, text="Not Found"), RinggNotFound, "Not Found"),
    (httpx.Response(409, json={"detail": {"message": "duplicate"}}), RinggConflict, "duplicate"),
    (
        httpx.Response(422, json=FASTAPI_422),
        RinggValidationError,
        "body.from_numbers: exactly one of from_numbers or number_pool_id; body.agent_id: field required",
    ),
    (httpx.Response(418, json={"unexpected": True}), RinggClientError, '{"unexpected":true}'),
    (httpx.Response(500), RinggServerError, "Internal Server Error"),
    (httpx.Response(503, text="<html>upstream down</html>"), RinggServerError, "<html>upstream down</html>"),
]


@pytest.mark.parametrize(("response", "error_type", "message"), ERROR_CASES)
async def test_error_mapping(response: httpx.Response, error_type: type[RinggError], message: str) -> None:
    req = MakeCallAsyncRequest(bulk_list_id=LIST_ID, agent_id="a", number_pool_id="p", country_code="+91", **SCHEDULE)
    async with ringg(Recorder(response)) as client:
        with pytest.raises(error_type) as info:
            await client.make_call_async(req)
    err = info.value
    assert type(err) is error_type
    assert isinstance(err, RinggClientError) == (400 <= response.status_code < 500)
    assert err.endpoint == "POST campaign/make-call-async"
    assert err.status_code == response.status_code
    assert err.server_message == message
    assert str(err) == f"POST campaign/make-call-async -> {response.status_code}: {message}"
    assert "+9198" not in str(err)  # FastAPI `input` values are never copied


async def test_error_messages_are_truncated() -> None:
    async with ringg(Recorder(httpx.Response(503, text="x" * 5000))) as client:
        with pytest.raises(RinggServerError) as info:
            await client.upload_status(LIST_ID)
    assert len(info.value.server_message) == 500
    assert info.value.endpoint == "GET campaign/upload-status/{bulk_list_id}"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "http-date:+120"}, 120.0),
        ({"Retry-After": "http-date:-60"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
async def test_rate_limited_retry_after(headers: dict[str, str], expected: float | None) -> None:
    # HTTP dates are made when the test runs (parametrize values are built at collection time).
    value = headers.get("Retry-After", "")
    if value.startswith("http-date:"):
        when = datetime.now(UTC) + timedelta(seconds=float(value.removeprefix("http-date:")))
        headers = {"Retry-After": format_datetime(when, usegmt=True)}
    rec = Recorder(httpx.Response(429, json={"message": "Rate limit exceeded"}, headers=headers))
    async with ringg(rec) as client:
        with pytest.raises(RinggRateLimited) as info:
            await client.list_campaigns()
    assert isinstance(info.value, RinggClientError) and info.value.status_code == 429
    assert info.value.server_message == "Rate limit exceeded"
    if expected is None:
        assert info.value.retry_after is None
    else:
        assert info.value.retry_after == pytest.approx(expected, abs=5)


@pytest.mark.parametrize(
    ("exc", "maybe_committed"),
    [
        (httpx.ConnectError("connection refused"), False),
        (httpx.ConnectTimeout("connect timed out"), False),
        (httpx.PoolTimeout("pool exhausted"), False),
        (httpx.ReadTimeout("read timed out"), True),
        (httpx.WriteTimeout("write timed out"), True),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), True),
        (httpx.ReadError("connection reset"), True),
    ],
)
async def test_transport_errors(exc: httpx.RequestError, maybe_committed: bool) -> None:
    async with ringg(Recorder(exc)) as client:
        with pytest.raises(RinggTransportError) as info:
            await client.make_call_async(
                MakeCallAsyncRequest(
                    bulk_list_id=LIST_ID, agent_id="a", number_pool_id="p", country_code="+91", **SCHEDULE
                )
            )
    err = info.value
    assert err.maybe_committed is maybe_committed
    assert err.status_code is None and err.endpoint == "POST campaign/make-call-async"
    assert type(exc).__name__ in err.server_message
    # The httpx exception (whose request holds the X-API-KEY header) is neither cause nor context.
    assert err.__cause__ is None and err.__context__ is None


@pytest.mark.parametrize(
    ("response", "fragment"),
    [
        (httpx.Response(200, text="<html>maintenance</html>"), "UploadStatus: response body is not JSON"),
        (httpx.Response(200, json=["not", "an", "object"]), "UploadStatus: invalid response"),
        (
            httpx.Response(200, json={"status": 5, "total": "+919800000001x"}),
            "UploadStatus: invalid response: total",
        ),
    ],
)
async def test_success_with_bad_body_is_protocol_error(response: httpx.Response, fragment: str) -> None:
    async with ringg(Recorder(response)) as client:
        with pytest.raises(RinggProtocolError) as info:
            await client.upload_status(LIST_ID)
    err = info.value
    assert fragment in str(err) and err.status_code == 200
    assert "maintenance" not in str(err) and "+919800000001" not in str(err)
    assert err.__cause__ is None and err.__context__ is None


async def test_missing_required_field_is_protocol_error(csv_file: Path) -> None:
    async with ringg(Recorder(ok({"message": "ok", "custom_args_values": [{"mobile_number": "+91"}]}))) as client:
        with pytest.raises(RinggProtocolError, match=r"SaveResult: invalid response: list_id: Field required"):
            await client.save_campaign(form(), csv_file)


async def test_api_key_never_leaks_from_errors_or_logs(csv_file: Path) -> None:
    secret = "sk-SECRET-123"
    replies: list[httpx.Response | Exception] = [
        httpx.Response(code, json={"detail": f"bad key {secret}"}) for code in (400, 401, 402, 403, 404, 409, 422)
    ]
    replies += [
        httpx.Response(418, text=f"teapot {secret}"),
        httpx.Response(429, json={"error": {"message": secret}}, headers={"Retry-After": "1"}),
        httpx.Response(500, json={"message": f"trace: X-API-KEY={secret}"}),
        httpx.Response(503),
        httpx.ConnectError(f"refused {secret}"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.Response(200, text=f"not json {secret}"),
        httpx.Response(200, json={"api_key": secret}),
    ]
    rec = Recorder(*replies)
    errors: list[RinggError] = []
    with capture_logs() as logs:
        async with ringg(rec, key=secret) as client:
            for _ in range(len(replies) - 1):
                with pytest.raises(RinggError) as info:
                    await client.upload_status(LIST_ID)
                errors.append(info.value)
            with pytest.raises(RinggError) as info:
                await client.workspace()
            errors.append(info.value)
    assert all(r.headers["X-API-KEY"] == secret for r in rec.requests)
    assert {type(e) for e in errors} >= {
        RinggBadRequest,
        RinggUnauthorized,
        RinggPaymentRequired,
        RinggForbidden,
        RinggNotFound,
        RinggConflict,
        RinggValidationError,
        RinggClientError,
        RinggRateLimited,
        RinggServerError,
        RinggTransportError,
        RinggProtocolError,
    }
    for err in errors:
        rendered = [str(err), repr(err), repr(err.args), "".join(traceback.format_exception(err))]
        assert not any(secret in text for text in rendered), type(err)
    assert "***" in errors[0].server_message
    assert len(logs) == len(replies)
    assert secret not in repr(logs)


async def test_one_debug_log_line_per_request() -> None:
    rec = Recorder(ok({"status": "ready", "to_number": "+919800000001"}), httpx.ConnectError("refused"))
    with capture_logs() as logs:
        async with ringg(rec) as client:
            await client.upload_status(LIST_ID)
            with pytest.raises(RinggTransportError):
                await client.upload_status(LIST_ID)
    assert [set(entry) for entry in logs] == [{"event", "log_level", "method", "path", "status", "elapsed_ms"}] * 2
    first, second = logs
    assert (first["event"], first["log_level"], first["method"]) == ("ringg_request", "debug", "GET")
    assert first["path"] == "campaign/upload-status/{bulk_list_id}" and first["status"] == 200
    assert second["status"] is None and isinstance(second["elapsed_ms"], float)
    assert LIST_ID not in repr(logs) and "+919800000001" not in repr(logs)
