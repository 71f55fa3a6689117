"""`python -m codec_server` as a real process over HTTP: the codec protocol (encode, decode, any path prefix), bearer
auth and the browser session, CORS for the UI's origin, namespaces, limits, and the refusals at startup."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads

from client.payload_codec import KEY_ID_HEADER, EncryptionCodec
from client.payload_keys import KEYS_ENV, new_key_entry, parse_payload_keys
from codec_server.__main__ import main
from codec_server.auth import SESSION_COOKIE, SESSION_SECONDS, Gate
from codec_server.settings import CodecServerSettings
from devtools import devstack
from runtime.settings import SettingsError

TOKEN = "codec-test-token-6c1e2f"
UI = "http://localhost:8233"
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - the refused case
ACTIVE, OLD = new_key_entry("k2"), new_key_entry("k1")
PLAIN = Payload(metadata={"encoding": b"json/plain"}, data=b'{"campaign_name":"June","from_numbers":["+912269976801"]}')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = devstack.free_port()
    env = {
        KEYS_ENV: f"{ACTIVE},{OLD}",
        "CODEC_SERVER_TOKEN": TOKEN,
        "CODEC_SERVER_PORT": str(port),
        "CODEC_SERVER_CORS_ORIGINS": f"{UI}, https://cloud.temporal.io",
        "CODEC_SERVER_NAMESPACES": "default,campaigns",
        "CODEC_SERVER_MAX_BODY_MB": "1",
    }
    log = tmp_path_factory.mktemp("codec") / "codec.log"
    proc = devstack.spawn("codec server", [sys.executable, "-m", "codec_server"], log, env=env)
    try:
        devstack.wait_for_port(proc, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        devstack.stop(proc)
    text = log.read_text()
    assert TOKEN not in text and ACTIVE.split(":")[1] not in text and "+912269976801" not in text


def body(*payloads: Payload) -> str:
    return json_format.MessageToJson(Payloads(payloads=payloads))


def payloads_of(response: httpx.Response) -> list[Payload]:
    assert response.status_code == 200, response.text
    return list(json_format.Parse(response.text, Payloads()).payloads)


def post(url: str, content: str, **headers: str) -> httpx.Response:
    return httpx.post(url, content=content, headers={"Content-Type": "application/json", **headers}, timeout=10)


AUTH = {"Authorization": f"Bearer {TOKEN}", "X-Namespace": "default"}


async def test_encode_then_decode_over_http(server: str) -> None:
    [sealed] = payloads_of(post(f"{server}/encode", body(PLAIN), **AUTH))
    assert sealed.metadata[KEY_ID_HEADER] == b"k2" and b"+912269976801" not in sealed.data

    # The same keys in-process read what the server wrote, and the server reads what a worker with the old key wrote.
    local = EncryptionCodec(parse_payload_keys(f"{ACTIVE},{OLD}", KEYS_ENV))
    assert await local.decode([sealed]) == [PLAIN]
    [from_old_worker] = await EncryptionCodec(parse_payload_keys(OLD, KEYS_ENV)).encode([PLAIN])
    # The UI posts under its own path and adds a query; only the last path part counts.
    url = f"{server}/codec/default/decode?preserveStorageRefs=true"
    assert payloads_of(post(url, body(sealed, from_old_worker, PLAIN), **AUTH)) == [PLAIN, PLAIN, PLAIN]


async def test_decode_errors_name_the_key_id(server: str) -> None:
    [unknown] = await EncryptionCodec(parse_payload_keys(new_key_entry("retired"), KEYS_ENV)).encode([PLAIN])
    answer = post(f"{server}/decode", body(unknown), **AUTH)
    assert answer.status_code == 422 and "'retired'" in answer.json()["error"]

    [sealed] = payloads_of(post(f"{server}/encode", body(PLAIN), **AUTH))
    tampered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    answer = post(f"{server}/decode", body(tampered), **AUTH)
    assert answer.status_code == 422 and "key id 'k2' failed authentication" in answer.json()["error"]


def test_bearer_token_is_required(server: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong-token-0000000"}, {"Authorization": TOKEN}):
        answer = post(f"{server}/decode", body(PLAIN), **headers)
        assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Bearer <token>" in answer.json()["error"]
    assert post(f"{server}/decode", body(PLAIN), Authorization=f"bearer {TOKEN}").status_code == 200


def test_namespaces_limits_and_bad_bodies(server: str) -> None:
    other = post(f"{server}/decode", body(PLAIN), **{**AUTH, "X-Namespace": "payments"})
    assert other.status_code == 403 and "CODEC_SERVER_NAMESPACES" in other.json()["error"]
    assert post(f"{server}/decode", body(PLAIN), **{**AUTH, "X-Namespace": "campaigns"}).status_code == 200

    big = body(Payload(metadata={"encoding": b"json/plain"}, data=b"x" * 900_000))  # ~1.2 MB as base64
    assert post(f"{server}/encode", big, **AUTH).status_code == 413
    for bad in ("not json", '{"payloads": "x"}', "[" * 100_000):
        answer = post(f"{server}/decode", bad, **AUTH)
        assert answer.status_code == 400 and "protobuf JSON" in answer.json()["error"], bad[:20]
    assert post(f"{server}/other", body(PLAIN), **AUTH).status_code == 404
    assert httpx.get(f"{server}/decode", headers=AUTH).status_code == 405


def test_cors_preflight_and_responses_for_the_ui_origin(server: str) -> None:
    preflight = {
        "Origin": UI,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }
    answer = httpx.options(f"{server}/decode", headers=preflight)
    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == UI
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    allowed = answer.headers["Access-Control-Allow-Headers"].lower()
    assert {"authorization", "x-namespace", "content-type"} <= {h.strip() for h in allowed.split(",")}

    # Temporal Cloud's UI calling a codec server on a private address (Chrome's private network preflight).
    cloud = {**preflight, "Origin": "https://cloud.temporal.io", "Access-Control-Request-Private-Network": "true"}
    answer = httpx.options(f"{server}/decode", headers=cloud)
    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Private-Network"] == "true"

    stranger = httpx.options(f"{server}/decode", headers={**preflight, "Origin": "http://evil.example"})
    assert stranger.status_code == 400 and "Access-Control-Allow-Origin" not in stranger.headers

    # The real requests carry the header too, refusals included, so the UI can show what went wrong.
    ok = post(f"{server}/decode", body(PLAIN), Origin=UI, **AUTH)
    refused = post(f"{server}/decode", body(PLAIN), Origin=UI)
    assert ok.headers["Access-Control-Allow-Origin"] == UI == refused.headers["Access-Control-Allow-Origin"]
    assert refused.status_code == 401


def test_browser_session_for_the_ui(server: str) -> None:
    with httpx.Client(base_url=server, follow_redirects=False, timeout=10) as browser:
        page = browser.get("/")
        assert page.status_code == 200 and 'name="token"' in page.text
        assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"

        wrong = browser.post("/session", data={"token": "not-the-token-000"})
        assert wrong.status_code == 401 and SESSION_COOKIE not in browser.cookies

        signed_in = browser.post("/session", data={"token": TOKEN})
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and f"Max-Age={SESSION_SECONDS}" in cookie
        assert TOKEN not in cookie, "the browser must not hold the token"
        assert "Signed in until" in browser.get("/").text

        # What the UI does with TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true: no Authorization, the cookie goes along.
        decoded = browser.post("/decode", content=body(PLAIN), headers={"Origin": UI, "X-Namespace": "default"})
        assert payloads_of(decoded) == [PLAIN]

        forged = browser.cookies[SESSION_COOKIE].replace(".", ".0", 1)
        browser.cookies.set(SESSION_COOKIE, forged)
        assert browser.post("/decode", content=body(PLAIN)).status_code == 401

        browser.post("/session", data={"token": TOKEN})
        signed_out = browser.post("/session/end")
        assert signed_out.status_code == 303 and "Max-Age=0" in signed_out.headers["set-cookie"]


def test_sessions_expire() -> None:
    assert Gate(None).open and not Gate(None).session_valid("1.x")
    gate = Gate(SecretStr(TOKEN))
    session = gate.new_session(now=1_000_000)
    assert gate.session_valid(session, now=1_000_000 + SESSION_SECONDS - 1)
    assert not gate.session_valid(session, now=1_000_000 + SESSION_SECONDS + 1)
    assert not Gate(SecretStr(TOKEN + "x")).session_valid(session, now=1_000_000)


# --- startup ----------------------------------------------------------------------------------------------------------


def settings_env(**extra: str) -> dict[str, str]:
    return {KEYS_ENV: ACTIVE, **extra}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "CODEC_SERVER_TOKEN is not set"),
        ({"CODEC_SERVER_TOKEN": "short"}, "CODEC_SERVER_TOKEN must be 16+"),
        (
            {"CODEC_SERVER_ALLOW_NO_AUTH": "1", "CODEC_SERVER_HOST": ALL_INTERFACES},
            "needs a loopback CODEC_SERVER_HOST",
        ),
        ({"CODEC_SERVER_TOKEN": TOKEN, "CODEC_SERVER_CORS_ORIGINS": "*"}, "'*' is not allowed"),
        ({"CODEC_SERVER_TOKEN": TOKEN, "CODEC_SERVER_CORS_ORIGINS": "localhost:8233"}, "is not an origin"),
        ({"CODEC_SERVER_TOKEN": TOKEN, "CODEC_SERVER_CORS_ORIGINS": "http://ui/x"}, "is not an origin"),
        ({"CODEC_SERVER_TOKEN": TOKEN, "CODEC_SERVER_PORT": "99999"}, "CODEC_SERVER_PORT='99999'"),
        ({"CODEC_SERVER_TOKEN": TOKEN, KEYS_ENV: ""}, "no payload keys: set PAYLOAD_ENCRYPTION_KEYS"),
        ({"CODEC_SERVER_TOKEN": TOKEN, KEYS_ENV: "k1:QUJD"}, "PAYLOAD_ENCRYPTION_KEYS: key 'k1' is 3 bytes"),
    ],
)
def test_settings_refused_with_the_setting_named(env: dict[str, str], expected: str) -> None:
    with pytest.raises(SettingsError, match=expected.replace("*", r"\*").replace("?", r"\?")):
        CodecServerSettings.from_env(settings_env(**env))


def test_settings_defaults_and_loopback_without_auth() -> None:
    settings = CodecServerSettings.from_env(settings_env(CODEC_SERVER_ALLOW_NO_AUTH="1", TEMPORAL_NAMESPACE="ops"))
    assert settings.token is None and settings.host == "127.0.0.1" and settings.port == 8081
    assert settings.cors_origins == ("http://localhost:8233", "http://127.0.0.1:8233")
    assert settings.namespaces == {"ops"}
    assert (
        CodecServerSettings.from_env(settings_env(CODEC_SERVER_ALLOW_NO_AUTH="1", CODEC_SERVER_HOST="::1")).token
        is None
    )
    origins = CodecServerSettings.from_env(
        settings_env(CODEC_SERVER_TOKEN=TOKEN, CODEC_SERVER_CORS_ORIGINS="HTTPS://Cloud.Temporal.io/ ,http://a:1")
    ).cors_origins
    assert origins == ("https://cloud.temporal.io", "http://a:1")


def test_main_refuses_to_start_and_never_prints_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "k1:" + "QUJD" * 10  # 30 bytes
    monkeypatch.setenv(KEYS_ENV, bad)
    monkeypatch.setenv("CODEC_SERVER_TOKEN", TOKEN)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("codec server not started: PAYLOAD_ENCRYPTION_KEYS: key 'k1' is 30 bytes")
    assert "QUJD" not in err


def test_new_key_command_prints_a_usable_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new-key", "2025-06"]) == 0
    entry = capsys.readouterr().out.strip()
    assert parse_payload_keys(entry, KEYS_ENV).ids == ("2025-06",)
    assert main(["new-key", "bad id"]) == 2
