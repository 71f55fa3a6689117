"""The payload codec and its keys: AES-GCM round trip, rotation, tamper and unknown-key errors, plain payloads passing
through, failures encrypted, and key settings refused (by every entry point, at startup) with the setting named and
the key never shown."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from typer.testing import CliRunner

import worker
from api import __main__ as api_main
from cli.app import app as cli_app
from client.converter import DATA_CONVERTER
from client.payload_codec import ENCODING, KEY_ID_HEADER, EncryptionCodec, PayloadDecryptError, data_converter
from client.payload_keys import (
    KEYS_ENV,
    KEYS_FILE_ENV,
    PayloadKeyError,
    PayloadKeys,
    new_key_entry,
    parse_payload_keys,
    payload_keys_from_env,
)
from contract.campaign import CampaignRequest
from runtime import cluster_setup
from runtime.settings import SettingsError, WorkerSettings

PHONE = "+912269976801"
CSV_URI = "https://bucket.example/contacts.csv?X-Amz-Signature=abc123"


def keys(*ids: str) -> PayloadKeys:
    return parse_payload_keys(",".join(new_key_entry(key_id) for key_id in ids), KEYS_ENV)


def request() -> CampaignRequest:
    return CampaignRequest(
        campaign_name="Renewals June",
        agent_id="agent-1",
        csv_uri=CSV_URI,
        variables_map={"mobile_number": "Mobile Number"},
        from_numbers=[PHONE],
    )


def converter(k: PayloadKeys) -> DataConverter:
    return data_converter(k)


async def test_round_trip_encrypts_the_whole_payload() -> None:
    conv = converter(keys("k1"))
    [payload] = await conv.encode([request()])

    assert payload.metadata["encoding"] == ENCODING and payload.metadata[KEY_ID_HEADER] == b"k1"
    assert set(payload.metadata) == {"encoding", KEY_ID_HEADER}, "the inner encoding is sealed too"
    for secret in (PHONE, CSV_URI, "Renewals June", "json/plain"):
        assert secret.encode() not in payload.data
    [back] = await conv.decode([payload], [CampaignRequest])
    assert back == request()
    assert conv.payload_converter_class is DATA_CONVERTER.payload_converter_class


async def test_each_encryption_uses_a_fresh_nonce() -> None:
    conv = converter(keys("k1"))
    first, second = await conv.encode([request(), request()])
    assert first.data[:12] != second.data[:12] and first.data != second.data


async def test_rotation_new_key_encrypts_old_key_still_decrypts() -> None:
    old = keys("2025-01")
    rotated = PayloadKeys((("2025-06", os.urandom(32)), *old.keys))
    [under_old] = await converter(old).encode([request()])

    [under_new] = await converter(rotated).encode([request()])

    assert under_new.metadata[KEY_ID_HEADER] == b"2025-06"
    assert await converter(rotated).decode([under_old, under_new], [CampaignRequest, CampaignRequest]) == [
        request(),
        request(),
    ]


async def test_unknown_key_id_names_it_and_the_settings() -> None:
    [payload] = await converter(keys("gone")).encode([request()])
    codec = EncryptionCodec(keys("current"))

    with pytest.raises(PayloadDecryptError) as caught:
        await codec.decode([payload])

    message = str(caught.value)
    assert "'gone'" in message and "current" in message and KEYS_ENV in message and KEYS_FILE_ENV in message


async def test_tampered_payload_fails_authentication() -> None:
    k = keys("k1")
    codec = EncryptionCodec(k)
    [payload] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'{"a":1}')])

    flipped = bytearray(payload.data)
    flipped[-1] ^= 0x01
    truncated = payload.data[:10]
    other_key = await EncryptionCodec(PayloadKeys((("k1", os.urandom(32)),))).encode([Payload(data=b"x")])
    for data in (bytes(flipped), truncated, other_key[0].data):
        bad = Payload(metadata=dict(payload.metadata), data=data)
        with pytest.raises(PayloadDecryptError, match=r"key id 'k1' failed authentication"):
            await codec.decode([bad])


async def test_plain_payloads_pass_through_decode() -> None:
    """A raw `temporal workflow start` with JSON input: the worker's codec leaves it as it is."""
    plain = (await DATA_CONVERTER.encode([request()]))[0]
    conv = converter(keys("k1"))

    assert await EncryptionCodec(keys("k1")).decode([plain]) == [plain]
    assert await conv.decode([plain], [CampaignRequest]) == [request()]


async def test_failure_message_and_stack_are_encrypted() -> None:
    conv = converter(keys("k1"))
    failure = Failure()
    await conv.encode_failure(ApplicationError(f"cannot read {CSV_URI}", type="CsvUnreadable"), failure)

    assert CSV_URI not in failure.message and CSV_URI not in str(failure)
    assert failure.encoded_attributes.metadata[KEY_ID_HEADER] == b"k1"
    decoded = await conv.decode_failure(failure)
    assert isinstance(decoded, ApplicationError) and CSV_URI in str(decoded)


# --- key settings ---------------------------------------------------------------------------------------------------


def test_keys_parse_from_commas_newlines_and_comments(tmp_path: Path) -> None:
    a, b = new_key_entry("a"), new_key_entry("b.2")
    assert payload_keys_from_env({KEYS_ENV: f" {a} , {b} "}).ids == ("a", "b.2")  # type: ignore[union-attr]
    file = tmp_path / "keys"
    file.write_text(f"# active first\n{b}\n\n{a}\n")
    loaded = payload_keys_from_env({KEYS_FILE_ENV: str(file)})
    assert loaded is not None and loaded.ids == ("b.2", "a") and loaded.active_id == "b.2"
    assert loaded.source == KEYS_FILE_ENV
    # URL-safe base64 without padding is accepted too.
    raw = os.urandom(32)
    urlsafe = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    assert parse_payload_keys(f"u:{urlsafe}", KEYS_ENV).keys == (("u", raw),)


def test_no_setting_means_encryption_off() -> None:
    assert payload_keys_from_env({}) is None
    assert payload_keys_from_env({KEYS_ENV: "  ", KEYS_FILE_ENV: ""}) is None
    assert data_converter(None) is DATA_CONVERTER


SHORT_KEY = base64.b64encode(b"0123456789abcdef").decode()  # 16 bytes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("k1" + SHORT_KEY, "entry 1 is not `id:base64key`"),
        (f"bad id!:{SHORT_KEY}", "entry 1: the key id must be"),
        (f"k1:{SHORT_KEY}", "key 'k1' is 16 bytes, AES-256 needs 32"),
        ("k1:not*base64*at*all", "key 'k1' is not base64"),
        (f"{new_key_entry('k1')},{new_key_entry('k1')}", "key 'k1' appears twice"),
        (" , ,", "holds no key"),
    ],
    ids=lambda value: None if "," not in value else value[:40] if "=" not in value else "two random k1 keys",
)
def test_bad_key_material_is_refused_without_showing_it(value: str, expected: str) -> None:
    with pytest.raises(PayloadKeyError) as caught:
        parse_payload_keys(value, KEYS_ENV)
    message = str(caught.value)
    assert expected in message and KEYS_ENV in message
    for part in value.replace(",", ":").split(":"):
        if len(part.strip()) > 8:
            assert part.strip() not in message, "the key material is in the error"


def test_key_settings_conflicts_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(PayloadKeyError, match=f"{KEYS_ENV} and {KEYS_FILE_ENV} are both set"):
        payload_keys_from_env({KEYS_ENV: new_key_entry("a"), KEYS_FILE_ENV: "/x"})
    with pytest.raises(PayloadKeyError, match=f"{KEYS_FILE_ENV}=.*cannot be read: No such file"):
        payload_keys_from_env({KEYS_FILE_ENV: str(tmp_path / "absent")})
    empty = tmp_path / "empty"
    empty.write_text("# nothing yet\n")
    with pytest.raises(PayloadKeyError, match=f"{KEYS_FILE_ENV} holds no key"):
        payload_keys_from_env({KEYS_FILE_ENV: str(empty)})


def test_worker_refuses_to_start_on_bad_keys_and_never_prints_them() -> None:
    secret = base64.b64encode(b"x" * 31).decode()
    with pytest.raises(SettingsError, match=f"{KEYS_ENV}: key 'k1' is 31 bytes") as caught:
        WorkerSettings.from_env({"RINGG_API_KEY": "sk-test", KEYS_ENV: f"k1:{secret}"})
    assert secret not in str(caught.value)

    settings = WorkerSettings.from_env({"RINGG_API_KEY": "sk-test", KEYS_ENV: new_key_entry("k1")})
    assert settings.payload_keys is not None and settings.payload_keys.ids == ("k1",)
    shown = repr(settings) + settings.model_dump_json() + repr(settings.payload_keys)
    key_text = base64.b64encode(settings.payload_keys.keys[0][1]).decode()
    assert key_text not in shown and "k1" in repr(settings.payload_keys)


# --- every entry point refuses bad keys at startup ------------------------------------------------------------------

BAD_KEYS = "k1:" + base64.b64encode(b"s" * 20).decode()  # 20 bytes


@pytest.fixture
def bad_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("TEMPORAL_", "PAYLOAD_ENCRYPTION_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv(KEYS_ENV, BAD_KEYS)
    monkeypatch.setenv("TEMPORAL_ADDRESS", "127.0.0.1:1")  # never dialled: the keys are refused first


EXPECTED = f"{KEYS_ENV}: key 'k1' is 20 bytes, AES-256 needs 32"


def assert_refused(text: str) -> None:
    assert EXPECTED in " ".join(text.split()) and BAD_KEYS.split(":")[1] not in text


@pytest.mark.usefixtures("bad_keys")
def test_worker_api_and_setup_job_refuse_bad_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RINGG_API_KEY", "sk-test")
    monkeypatch.setenv("API_TOKEN", "an-api-token-of-16-chars")
    assert worker.main() == 2
    assert_refused(capsys.readouterr().err)
    assert api_main.main() == 2
    assert_refused(capsys.readouterr().err)
    assert cluster_setup.main([]) == 1
    assert_refused(capsys.readouterr().err)


@pytest.mark.usefixtures("bad_keys")
def test_cli_refuses_bad_keys() -> None:
    result = CliRunner().invoke(cli_app, ["status", "campaign-x"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert_refused(result.output)
