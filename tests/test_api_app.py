"""The HTTP API in-process (httpx ASGITransport) with Temporal unreachable: settings, bearer auth, every kind of
bad input answered with a clear 4xx body, uploads stored content-addressed, and 503 while Temporal is down."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from api.app import create_app
from api.settings import ApiSettings
from client.connect import connect
from devtools import devstack
from ringg_sim.testing import open_window
from runtime.settings import SettingsError
from runtime.webhook_settings import WebhookSettings

TOKEN = "unit-test-token-5b8e2a91"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The window and call_config every campaign carries (open now on the real clock: no simulator here).
REQUEST = {"campaign_name": "Renewals", "agent_id": "agent-1", "from_numbers": ["n1"], **open_window(time.time())}


def deep_call_config(levels: int) -> bytes:
    inner = json.dumps({**REQUEST, "csv_uri": "/c.csv", "call_config": "@"})
    return inner.replace('"@"', '{"a": ' * (levels - 1) + "{}" + "}" * (levels - 1)).encode()


async def app_client(tmp_path: Path, token: str | None = TOKEN) -> httpx.AsyncClient:
    # Port 1 on loopback: connection refused at once, so every Temporal call fails as "unavailable".
    temporal = await connect("127.0.0.1:1", lazy=True)
    settings = ApiSettings(token=SecretStr(token) if token else None, upload_dir=tmp_path / "uploads")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, temporal)), base_url="http://api")


@pytest_asyncio.fixture
async def api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with await app_client(tmp_path) as client:
        yield client


def test_settings_refuse_to_start_without_a_token(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="API_TOKEN is not set"):
        ApiSettings.from_env({})
    with pytest.raises(SettingsError, match="shorter than 16"):
        ApiSettings.from_env({"API_TOKEN": "short"})
    with pytest.raises(SettingsError, match="API_PORT"):
        ApiSettings.from_env({"API_TOKEN": TOKEN, "API_PORT": "80a"})
    assert ApiSettings.from_env({"API_ALLOW_NO_AUTH": "1"}).token is None
    for loopback in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert ApiSettings.from_env({"API_ALLOW_NO_AUTH": "1", "API_HOST": loopback}).host == loopback
    for exposed in ("0.0.0.0", "::", "10.0.0.5", "api.example.com"):  # noqa: S104 (refused: that is the point)
        with pytest.raises(SettingsError, match=r"only on a loopback API_HOST.*Set API_TOKEN"):
            ApiSettings.from_env({"API_ALLOW_NO_AUTH": "1", "API_HOST": exposed})
        assert ApiSettings.from_env({"API_TOKEN": TOKEN, "API_HOST": exposed}).host == exposed
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    settings = ApiSettings.from_env(
        {"API_TOKEN_FILE": str(token_file), "CAMPAIGN_UPLOAD_DIR": "rel/uploads", "RINGG_TASK_QUEUE": "q1"}
    )
    assert settings.token is not None and settings.token.get_secret_value() == TOKEN
    assert (settings.host, settings.port, settings.task_queue) == ("127.0.0.1", 8080, "q1")
    assert settings.upload_dir.is_absolute() and TOKEN not in repr(settings)


def test_python_m_api_refuses_to_start_without_a_token() -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(devstack.ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "api"], env=env, cwd=devstack.ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "api not started: API_TOKEN is not set" in done.stderr
    exposed = {**env, "API_ALLOW_NO_AUTH": "1", "API_HOST": "0.0.0.0"}  # noqa: S104
    done = subprocess.run(
        [sys.executable, "-m", "api"], env=exposed, cwd=devstack.ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "only on a loopback API_HOST" in done.stderr


async def test_bearer_auth_on_everything_but_health_and_docs(api: httpx.AsyncClient) -> None:
    missing = await api.get("/v1/campaigns")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in missing.json()["error"]
    for headers in ({"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": f"Basic {TOKEN}"}):
        wrong = await api.post("/v1/schedules/s1/trigger", headers=headers)
        assert wrong.status_code == 401, wrong.text
    invalid = await api.get("/v1/schedules", headers={"Authorization": "Bearer x"})
    assert 'error="invalid_token"' in invalid.headers["WWW-Authenticate"]
    # Checked before routing and body parsing: a stranger learns nothing from a bad body or an unknown path.
    malformed = await api.post("/v1/schedules", content=b"{", headers={"Content-Type": "application/json"})
    assert malformed.status_code == 401 and (await api.get("/v1/no-such-path")).status_code == 401
    assert (await api.get("/openapi.json")).status_code == 200
    assert (await api.get("/docs")).status_code == 200
    assert (await api.get("/healthz")).status_code == 503  # no auth needed; Temporal is down


async def test_temporal_down_is_503(api: httpx.AsyncClient) -> None:
    for response in (await api.get("/v1/campaigns", headers=AUTH), await api.get("/v1/schedules/s1", headers=AUTH)):
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert response.json() == {"error": "Temporal is unavailable; try again shortly.", "problems": []}


@pytest.mark.parametrize(
    ("body", "headers", "status", "expected"),
    [
        (b"{not json", {}, 400, "not valid JSON"),
        (b'{"campaign_name": NaN}', {}, 400, "not valid JSON"),
        (b'"\\ud800"', {}, 400, "not valid JSON"),
        (b"[1, 2]", {}, 422, "must be a JSON object"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "colour": "red"}).encode(), {}, 422, "colour: Extra inputs"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "continued": {}}).encode(), {}, 422, "continued is internal"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "idempotency_key": "a"}).encode(), {"Idempotency-Key": "b"}, 422,
         "Idempotency-Key header and the body's idempotency_key differ"),
        (json.dumps({**REQUEST, "csv_uri": "/no/such.csv"}).encode(), {}, 422, "outside the folders contacts may"),
        (json.dumps({**REQUEST, "csv_uri": "http://127.0.0.1:9/c.csv"}).encode(), {"Idempotency-Key": "k-1"}, 422,
         "CAMPAIGN_CSV_URL_HOSTS=(none)"),
        # Decodable here but not by the worker (pydantic's JSON parser stops at 200 levels): refused, never started.
        (deep_call_config(250), {}, 422, "call_config: Value error, call_config nests 250 levels deep; at most 8"),
        # Deeper than Python's own parser goes: was an uncaught RecursionError, a 500.
        (deep_call_config(100_000), {}, 422, "nests too deeply; free-form fields may nest at most 8 levels"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "call_config": {"x": "y" * 70_000}}).encode(), {}, 422,
         "call_config is 70009 bytes as JSON; at most 65536"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "from_numbers": ["n"] * 1001}).encode(), {}, 422,
         "from_numbers: List should have at most 1000 items"),
        (json.dumps({**REQUEST, "csv_uri": "/" + "c" * 5000}).encode(), {}, 422,
         "csv_uri: String should have at most 4096 characters"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "polling": {"monitor_max_s": 1e308}}).encode(), {}, 422,
         "polling.monitor_max_s: Input should be less than or equal to 86400"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "events_url": "https://u:pw@hooks.example.com/e"}).encode(), {},
         422, "events_url must not carry a user name or password"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "events_progress_step": 101}).encode(), {}, 422,
         "events_progress_step must be between 0 (no progress events) and 100, got 101"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "number_types": ["landline"]}).encode(), {}, 422,
         "number_types.0: Input should be 'mobile', 'fixed_line_or_mobile', 'fixed_line'"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "number_types": []}).encode(), {}, 422,
         "number_types must list one or more of mobile, fixed_line_or_mobile, fixed_line"),
        (json.dumps({**REQUEST, "csv_uri": "/c.csv", "country_code": "+999"}).encode(), {}, 422,
         "country_code '+999' is not a dialling code of any country"),
    ],
)  # fmt: skip
async def test_bad_start_bodies_are_4xx_with_a_clear_error(
    api: httpx.AsyncClient, body: bytes, headers: dict[str, str], status: int, expected: str
) -> None:
    response = await api.post(
        "/v1/campaigns", content=body, headers={**AUTH, "Content-Type": "application/json", **headers}
    )
    assert response.status_code == status, response.text
    assert expected in response.text


async def test_every_problem_is_listed(api: httpx.AsyncClient) -> None:
    bad = {
        **REQUEST,
        "csv_uri": "/c.csv",
        "number_pool_id": "pool-1",
        "concurrency_percentage": 150,
        "campaign_start_time": "01/01/2020, 09:00",
        "campaign_end_time": "01/01/2020, 18:00",
    }
    response = await api.post("/v1/campaigns", json=bad, headers=AUTH)
    assert response.status_code == 422
    body = response.json()
    assert body["error"].startswith("the campaign was not started")
    assert len(body["problems"]) == 4
    assert any("exactly one of from_numbers" in p for p in body["problems"])
    assert any("concurrency_percentage" in p for p in body["problems"])
    assert any("already past" in p for p in body["problems"])
    assert any("outside the folders" in p and "CAMPAIGN_CSV_DIRS" in p for p in body["problems"])


async def test_five_problems_come_back_in_one_422(api: httpx.AsyncClient) -> None:
    """A field the model refuses does not hide the rules' problems: they all come back in one answer."""
    bad = {
        **REQUEST,
        "colour": "blue",  # not a field
        "agent_id": "",
        "from_numbers": [],
        "csv_uri": "/elsewhere/contacts.csv",  # outside CAMPAIGN_CSV_DIRS
        "campaign_start_time": "01/01/2020, 09:00",
        "campaign_end_time": "01/01/2020, 18:00",
    }
    response = await api.post("/v1/campaigns", json=bad, headers=AUTH)
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert len(problems) == 5, problems
    assert problems[0].startswith("colour: Extra inputs are not permitted")
    for expected in ("agent_id is required", "exactly one of from_numbers", "already past", "outside the folders"):
        assert any(expected in p for p in problems), (expected, problems)
    assert "blue" not in response.text, "a refused value is never echoed"


async def test_a_program_start_lists_every_problem_too(api: httpx.AsyncClient) -> None:
    bad = {**REQUEST, "csv_uri": "/c.csv", "agent_id": "", "pilot": {"rows": 0}, "colour": "blue"}
    response = await api.post("/v1/campaigns", json=bad, headers=AUTH)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"].startswith("the program was not started")
    assert any(p.startswith("colour:") for p in body["problems"]) and any("pilot" in p for p in body["problems"])
    assert any("agent_id is required" in p for p in body["problems"]), body["problems"]


async def test_bad_refs_queries_and_content_types(api: httpx.AsyncClient) -> None:
    assert (await api.get('/v1/campaigns/bad"ref', headers=AUTH)).status_code == 422
    listed = await api.get("/v1/campaigns", params={"status": "done"}, headers=AUTH)
    assert listed.status_code == 422 and "query parameter status" in listed.json()["problems"][0]
    quoted = await api.get("/v1/campaigns", params={"stage": 'x" OR 1=1'}, headers=AUTH)
    assert quoted.status_code == 422 and "double quote" in quoted.json()["error"]
    text = await api.post("/v1/campaigns", content=b"x", headers={**AUTH, "Content-Type": "text/plain"})
    assert text.status_code == 415 and "multipart/form-data" in text.json()["error"]
    assert (await api.get("/v1/nothing", headers=AUTH)).json()["error"].startswith("no such endpoint")
    not_allowed = await api.delete("/v1/campaigns", headers=AUTH)
    assert not_allowed.status_code == 405 and not_allowed.headers["Allow"] == "GET, POST"


async def test_uploads_are_stored_content_addressed(api: httpx.AsyncClient, tmp_path: Path) -> None:
    csv = b"Mobile Number,Name\n+919876543210,A\n"
    for _ in range(2):
        response = await api.post(
            "/v1/campaigns",
            files={"request": (None, json.dumps(REQUEST)), "file": ("contacts.csv", csv, "text/csv")},
            headers=AUTH,
        )
        assert response.status_code == 503  # stored, then Temporal is down
    stored = list((tmp_path / "uploads" / "contacts").iterdir())
    assert len(stored) == 1 and stored[0].read_bytes() == csv and stored[0].suffix == ".csv"
    assert stat.S_IMODE(stored[0].stat().st_mode) & 0o007 == 0, "contacts are not world-readable"


@pytest.mark.parametrize(
    ("files", "status", "expected"),
    [
        ({"request": (None, json.dumps(REQUEST)), "file": ("c.csv", b"")}, 422, "is empty"),
        ({"request": (None, json.dumps(REQUEST))}, 422, "needs a `file` part"),
        ({"file": ("c.csv", b"x\n")}, 422, "needs a `request` part"),
        ({"request": (None, "{"), "file": ("c.csv", b"x\n")}, 400, "`request` part is not valid JSON"),
        ({"request": (None, json.dumps({**REQUEST, "csv_uri": "/x"})), "file": ("c.csv", b"x\n")}, 422, "not both"),
        ({"other": (None, "1"), "file": ("c.csv", b"x\n")}, 422, "unexpected form part 'other'"),
    ],
)
async def test_bad_forms_leave_no_partial_file(
    api: httpx.AsyncClient, tmp_path: Path, files: dict[str, tuple[str | None, str | bytes]], status: int, expected: str
) -> None:
    response = await api.post("/v1/campaigns", files=files, headers=AUTH)
    assert response.status_code == status and expected in response.json()["error"], response.text
    leftovers = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert not leftovers, "a refused upload must leave nothing on disk"


async def test_a_refused_request_deletes_its_upload_but_not_an_accepted_copy(
    api: httpx.AsyncClient, tmp_path: Path
) -> None:
    csv = b"Mobile Number,Name\n+919876543210,A\n"
    refused = {**REQUEST, "agent_id": "", "concurrency_percentage": 150}
    for request in (refused, {**REQUEST, "call_config": {"x": "y" * 70_000}}):
        response = await api.post(
            "/v1/campaigns",
            files={"request": (None, json.dumps(request)), "file": ("contacts.csv", csv, "text/csv")},
            headers=AUTH,
        )
        assert response.status_code == 422, response.text
        assert not [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()], "the refused upload stayed"
    accepted = await api.post(
        "/v1/campaigns", files={"request": (None, json.dumps(REQUEST)), "file": ("c.csv", csv)}, headers=AUTH
    )
    assert accepted.status_code == 503  # accepted and stored, then Temporal is down
    again = await api.post(
        "/v1/campaigns", files={"request": (None, json.dumps(refused)), "file": ("c.csv", csv)}, headers=AUTH
    )
    assert again.status_code == 422
    [kept] = [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    assert kept.read_bytes() == csv, "a refused request must not delete the same bytes another request stored"


async def test_a_truncated_form_is_refused(api: httpx.AsyncClient, tmp_path: Path) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n\r\nMobile Number\n+9198'
    response = await api.post(
        "/v1/campaigns", content=body, headers={**AUTH, "Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 400 and "ended in the middle" in response.json()["error"]
    assert not list((tmp_path / "uploads").rglob("*.csv")) and not list((tmp_path / "uploads").rglob(".incoming-*"))


async def test_without_auth_only_when_allowed_explicitly(tmp_path: Path) -> None:
    async with await app_client(tmp_path, token=None) as api:
        assert (await api.get("/v1/campaigns")).status_code == 503  # no 401: API_ALLOW_NO_AUTH=1


async def test_openapi_documents_both_bodies_and_the_public_request(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    start = document["paths"]["/v1/campaigns"]["post"]
    assert set(start["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert {"200", "201", "401", "422", "503"} <= set(start["responses"])
    request = document["components"]["schemas"]["CampaignRequest"]
    assert "continued" not in request["properties"] and "ContinuedState" not in document["components"]["schemas"]
    number_types = request["properties"]["number_types"]
    assert number_types["default"] == ["mobile", "fixed_line_or_mobile", "fixed_line"]
    assert "fixed_line" in number_types["items"]["enum"]
    assert "landlines" in number_types["description"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "security" not in document["paths"]["/healthz"]["get"]


async def test_with_a_webhook_secret_the_api_receives_ringg_webhooks_outside_bearer_auth(tmp_path: Path) -> None:
    temporal = await connect("127.0.0.1:1", lazy=True)
    settings = ApiSettings(token=SecretStr(TOKEN), upload_dir=tmp_path / "uploads")
    hooks = WebhookSettings(secret=SecretStr("webhook-secret-0123456789"))
    app = create_app(settings, temporal, webhooks=hooks)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        event = {"event_type": "call_started", "call_id": "c1"}
        refused = await client.post("/webhooks/ringg", json=event)
        accepted = await client.post(
            "/webhooks/ringg", json=event, headers={"X-Webhook-Secret": hooks.secret.get_secret_value()}
        )
        unavailable = await client.post(
            "/webhooks/ringg",
            json={**event, "event_type": "call_completed", "status": "completed", "bulk_list_id": "list-1"},
            headers={"X-Webhook-Secret": hooks.secret.get_secret_value()},
        )
    assert refused.status_code == 401 and accepted.status_code == 200 and accepted.json()["status"] == "ignored"
    assert unavailable.status_code == 503, "Temporal down: Ringg must retry the event"
    without = create_app(settings, temporal)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=without), base_url="http://api") as client:
        assert (await client.post("/webhooks/ringg", json=event)).status_code == 404
