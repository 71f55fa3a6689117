"""Connecting to Temporal Cloud or a TLS cluster is configuration: TEMPORAL_* variables or a TOML profile reach
`Client.connect` (through `client.connect.connect`) and the worker's settings; nothing here opens a connection."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.envconfig import ClientConfig
from temporalio.service import TLSConfig

from client import connect as temporal_client
from client.converter import DATA_CONVERTER
from client.payload_codec import EncryptionCodec
from client.payload_keys import KEYS_ENV, PayloadKeyError, new_key_entry
from runtime.settings import SettingsError, WorkerSettings

ROOT = Path(__file__).resolve().parent.parent
CLOUD = "ringg.a1b2c.tmprl.cloud:7233"


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replaces Client.connect: records its arguments instead of dialling."""
    seen: dict[str, Any] = {}

    async def fake_connect(**kwargs: Any) -> object:
        seen.update(kwargs)
        return object()

    monkeypatch.setattr(Client, "connect", fake_connect)
    return seen


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TEMPORAL_* or payload keys from the shell, and no ~/.config/temporalio/temporal.toml of the developer's."""
    for name in list(os.environ):
        if name.startswith(("TEMPORAL_", "PAYLOAD_ENCRYPTION_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "absent.toml"))


def _pem(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n")
    return cert, key


async def test_connect_passes_api_key_and_turns_tls_on(
    monkeypatch: pytest.MonkeyPatch, captured: dict[str, Any]
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", CLOUD)
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "ringg.a1b2c")
    monkeypatch.setenv("TEMPORAL_API_KEY", "cloud-key-123")

    await temporal_client.connect()

    assert captured["target_host"] == CLOUD
    assert captured["namespace"] == "ringg.a1b2c"
    assert captured["api_key"] == "cloud-key-123"
    assert captured["tls"] is True
    assert captured["data_converter"] is DATA_CONVERTER


async def test_connect_passes_mtls_cert_and_key(
    monkeypatch: pytest.MonkeyPatch, captured: dict[str, Any], tmp_path: Path
) -> None:
    cert, key = _pem(tmp_path)
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(cert))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(key))
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")

    # The worker passes its address and namespace explicitly: the credentials still come from the environment.
    await temporal_client.connect("temporal.internal:7233", "campaigns")

    assert (captured["target_host"], captured["namespace"]) == ("temporal.internal:7233", "campaigns")
    tls = captured["tls"]
    assert isinstance(tls, TLSConfig)
    assert tls.client_cert == cert.read_bytes()
    assert tls.client_private_key == key.read_bytes()
    assert tls.domain == "temporal.internal"
    assert "api_key" not in captured


async def test_connect_reads_a_toml_profile(
    monkeypatch: pytest.MonkeyPatch, captured: dict[str, Any], tmp_path: Path
) -> None:
    cert, key = _pem(tmp_path)
    config = tmp_path / "temporal.toml"
    config.write_text(
        f'[profile.cloud]\naddress = "{CLOUD}"\nnamespace = "ringg.a1b2c"\napi_key = "from-profile"\n\n'
        f'[profile.mtls]\naddress = "{CLOUD}"\nnamespace = "ringg.a1b2c"\n[profile.mtls.tls]\n'
        f'client_cert_path = "{cert}"\nclient_key_path = "{key}"\n'
    )
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))

    monkeypatch.setenv("TEMPORAL_PROFILE", "cloud")
    await temporal_client.connect()
    assert (captured["target_host"], captured["api_key"], captured["tls"]) == (CLOUD, "from-profile", True)

    captured.clear()
    monkeypatch.setenv("TEMPORAL_PROFILE", "mtls")
    await temporal_client.connect()
    assert isinstance(captured["tls"], TLSConfig) and captured["tls"].client_cert == cert.read_bytes()


async def test_connect_without_configuration_is_the_local_default(captured: dict[str, Any]) -> None:
    await temporal_client.connect()

    assert captured["target_host"] == "localhost:7233"
    assert "api_key" not in captured and "tls" not in captured


async def test_connect_encrypts_payloads_when_keys_are_configured(
    monkeypatch: pytest.MonkeyPatch, captured: dict[str, Any]
) -> None:
    # Every entry point (worker, CLI, API, webhook receiver, setup job, devtools) connects here.
    monkeypatch.setenv(KEYS_ENV, f"{new_key_entry('new')},{new_key_entry('old')}")

    await temporal_client.connect()

    converter = captured["data_converter"]
    assert isinstance(converter.payload_codec, EncryptionCodec)
    assert converter.payload_codec.keys.ids == ("new", "old")
    assert converter.payload_converter_class is DATA_CONVERTER.payload_converter_class


async def test_connect_refuses_bad_keys_before_dialling(
    monkeypatch: pytest.MonkeyPatch, captured: dict[str, Any]
) -> None:
    monkeypatch.setenv(KEYS_ENV, "k1:c2hvcnQ=")
    with pytest.raises(PayloadKeyError, match=f"{KEYS_ENV}: key 'k1' is 5 bytes"):
        await temporal_client.connect()
    assert not captured


def test_worker_settings_take_address_and_namespace_from_the_profile(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text(f'[profile.default]\naddress = "{CLOUD}"\nnamespace = "ringg.a1b2c"\napi_key = "k"\n')
    env = {"RINGG_API_KEY": "sk-live-abc", "TEMPORAL_CONFIG_FILE": str(config)}

    settings = WorkerSettings.from_env(env)
    assert (settings.temporal_address, settings.temporal_namespace) == (CLOUD, "ringg.a1b2c")

    # The variables win over the profile, each on its own.
    settings = WorkerSettings.from_env({**env, "TEMPORAL_NAMESPACE": "other"})
    assert (settings.temporal_address, settings.temporal_namespace) == (CLOUD, "other")


def test_worker_settings_name_a_broken_profile(tmp_path: Path) -> None:
    env = {"RINGG_API_KEY": "sk-live-abc", "TEMPORAL_CONFIG_FILE": str(_pem(tmp_path)[0]), "TEMPORAL_PROFILE": "x"}

    with pytest.raises(SettingsError, match="TEMPORAL_CONFIG_FILE"):
        WorkerSettings.from_env(env)


# Every TEMPORAL_* variable the docs and .env.example tell people to set, with a value the SDK must react to.
# A name the SDK ignores (misspelt, or dropped by a new temporalio) fails here.
def _samples(tmp_path: Path) -> dict[str, str]:
    cert, key = _pem(tmp_path)
    profile = tmp_path / "profiles.toml"
    profile.write_text('[profile.default]\naddress = "d:7233"\n\n[profile.cloud]\naddress = "p:7233"\n')
    return {
        "TEMPORAL_ADDRESS": CLOUD,
        "TEMPORAL_NAMESPACE": "ringg.a1b2c",
        "TEMPORAL_API_KEY": "k",
        "TEMPORAL_TLS": "true",
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(cert),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(key),
        "TEMPORAL_TLS_CLIENT_CERT_DATA": cert.read_text(),
        "TEMPORAL_TLS_CLIENT_KEY_DATA": key.read_text(),
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(cert),
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA": cert.read_text(),
        "TEMPORAL_TLS_SERVER_NAME": "temporal.internal",
        "TEMPORAL_CONFIG_FILE": str(profile),
        "TEMPORAL_PROFILE": "cloud",
    }


# The codec server's callers: the Temporal UI (its docker image's TEMPORAL_CODEC_*) and the temporal CLI
# (TEMPORAL_CODEC_ENDPOINT / TEMPORAL_CODEC_AUTH). Documented, but not client settings of the SDK.
UI_AND_CLI_ONLY = {
    "TEMPORAL_CODEC_ENDPOINT",
    "TEMPORAL_CODEC_AUTH",
    "TEMPORAL_CODEC_INCLUDE_CREDENTIALS",
    "TEMPORAL_CODEC_PASS_ACCESS_TOKEN",
}


def _documented_temporal_names() -> set[str]:
    text = (ROOT / "docs" / "operations.md").read_text() + (ROOT / ".env.example").read_text()
    names = set(re.findall(r"\bTEMPORAL_[A-Z_]*[A-Z]\b", text))
    # Variables only the compose file interpolates (server shards, image versions, retention) are not client settings.
    compose = ROOT / "docker-compose.yml"
    if compose.exists():
        text = compose.read_text()
        interpolated = set(re.findall(r"\$\{(TEMPORAL_[A-Z_]*[A-Z])", text))
        passed_on = set(re.findall(r"^\s+(TEMPORAL_[A-Z_]*[A-Z]):", text, re.MULTILINE))
        names -= interpolated - passed_on
    return names - UI_AND_CLI_ONLY


def test_documented_temporal_variables_are_read_by_the_sdk(tmp_path: Path) -> None:
    samples = _samples(tmp_path)
    documented = _documented_temporal_names()
    assert {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY"} <= documented

    unknown = sorted(documented - set(samples))
    assert not unknown, f"documented but not checked against the SDK (add a sample value): {unknown}"
    base = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml")}
    # Some names only act with a companion: a profile name needs its file, a client key needs its certificate.
    companions = {
        "TEMPORAL_PROFILE": {"TEMPORAL_CONFIG_FILE": samples["TEMPORAL_CONFIG_FILE"]},
        "TEMPORAL_TLS_CLIENT_KEY_PATH": {"TEMPORAL_TLS_CLIENT_CERT_PATH": samples["TEMPORAL_TLS_CLIENT_CERT_PATH"]},
        "TEMPORAL_TLS_CLIENT_KEY_DATA": {"TEMPORAL_TLS_CLIENT_CERT_DATA": samples["TEMPORAL_TLS_CLIENT_CERT_DATA"]},
    }
    for name in sorted(UI_AND_CLI_ONLY):
        read = ClientConfig.load_client_connect_config(override_env_vars={**base, name: "http://localhost:8081"})
        assert read == ClientConfig.load_client_connect_config(override_env_vars=base), f"the SDK now reads {name}"
    for name in sorted(documented):
        without = {**base, **companions.get(name, {})}
        with_it = {**without, name: samples[name]}
        assert ClientConfig.load_client_connect_config(override_env_vars=with_it) != (
            ClientConfig.load_client_connect_config(override_env_vars=without)
        ), f"the SDK ignores {name}"
