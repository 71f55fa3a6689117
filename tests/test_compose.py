"""docker-compose.yml, the Dockerfile and .dockerignore against the code they run, without Docker (`docker compose
config` also validates the file where installed): commands, variables, search attributes, dependencies, scaling."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy import make_url
from temporalio.envconfig import ClientConfig

from client.cluster import wanted_attributes
from client.payload_keys import KEYS_FILE_ENV, new_key_entry
from codec_server.settings import CodecServerSettings
from contract.search_attributes import ALL_KEYS
from ringg_sim.__main__ import config_from_args
from ringg_sim.api import router as sim_router
from runtime import cluster_setup
from runtime.settings import DEFAULT_RINGG_BASE_URL, WorkerSettings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
SIM_ENV = ROOT / "deploy" / "sim.env"
API_PRESENT = (ROOT / "api").is_dir()
# The ledger (ledger/, runtime/ledger_setup.py) lands with its own branch: until then the compose file may name its
# setup module before it exists; once ledger/ is here, every check of it is strict.
LEDGER_PRESENT = (ROOT / "ledger").is_dir()
LEDGER_SETUP = "runtime.ledger_setup"
LEDGER_URL = "CAMPAIGN_LEDGER_URL"
# The public contract's search attributes (DESIGN.md), all Keyword.
CONTRACT_ATTRIBUTES = {"CampaignName", "CampaignStage", "BulkListId", "AgentId", "IdempotencyKey"}
TEST_ENV = {"POSTGRES_PASSWORD": "test-only-password"}
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - what a container must listen on to be reached on the compose network


# --- reading the file as compose does -----------------------------------------------------------------------------

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})")


class InterpolationError(Exception):
    pass


def interpolate_text(text: str, env: Mapping[str, str]) -> str:
    """Compose's `$$`, `${X}`, `${X:-default}`, `${X-default}`, `${X:?error}`, `${X?error}`."""

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        value = env.get(name)
        if op is None:
            return value or ""
        if op == ":-":
            return value if value else arg
        if op == "-":
            return value if value is not None else arg
        if (op == ":?" and not value) or (op == "?" and value is None):
            raise InterpolationError(f"{name}: {arg}")
        return value or ""

    return _VARIABLE.sub(substitute, text)


def interpolate(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate_text(node, env)
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    return node


def raw_compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def compose(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    config = interpolate(raw_compose(), TEST_ENV if env is None else env)
    assert isinstance(config, dict)
    return config


def service(name: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    services = compose(env)["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    found = services[name]
    assert isinstance(found, dict)
    return found


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    assert isinstance(env, dict), "write `environment:` as a mapping"
    return {key: str(value) for key, value in env.items()}


def read_env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def interpolated_names() -> dict[str, str | None]:
    """Every variable the compose file interpolates, with its default (None: no default)."""
    names: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(COMPOSE.read_text()):
        if match["name"]:
            default = match["arg"] if match["op"] in (":-", "-") else None
            names.setdefault(match["name"], default)
    return names


def python_target(command: list[str]) -> tuple[str, str, list[str]]:
    """("module", "ringg_sim", argv) for `python -m ringg_sim ...`, ("file", "worker.py", argv) for a script."""
    assert command[0] == "python", command
    if command[1] == "-m":
        return "module", command[2], command[3:]
    return "file", command[1], command[2:]


def module_in_repo(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.origin is not None and Path(spec.origin).resolve().is_relative_to(ROOT)


def app_services() -> dict[str, dict[str, Any]]:
    """The services that run the project's own image."""
    return {name: svc for name, svc in compose()["services"].items() if "build" in svc}


def python_commands() -> Iterator[tuple[str, list[str]]]:
    """(where, command) for every command, entrypoint and healthcheck that runs Python in the project's image."""
    for name, svc in app_services().items():
        yield f"{name}.command", svc["command"]
        test = svc.get("healthcheck", {}).get("test")
        if test:
            assert test[0] == "CMD", f"{name}: an exec-form healthcheck (no shell in between)"
            yield f"{name}.healthcheck", test[1:]
    for instruction in ("CMD", "HEALTHCHECK"):
        for line in (ROOT / "Dockerfile").read_text().splitlines():
            if line.startswith(f"{instruction} ") and "[" in line:
                form = json.loads(line[line.index("[") :])
                yield f"Dockerfile {instruction}", form[1:] if form[0] == "CMD" else form


def secret_path(svc: dict[str, Any], secret: str) -> str:
    assert secret in svc.get("secrets", []), f"the service does not mount the secret {secret!r}"
    assert secret in compose()["secrets"]
    return f"/run/secrets/{secret}"


def volume_mount(svc: dict[str, Any], target_prefix: str) -> str:
    """The named volume mounted at a directory containing target_prefix."""
    for entry in svc.get("volumes", []):
        source, _, target = str(entry).partition(":")
        if target_prefix.startswith(target.split(":")[0].rstrip("/") + "/"):
            return source
    raise AssertionError(f"nothing is mounted over {target_prefix}")


def sdk_reads(name: str, value: str, tmp_path: Path) -> bool:
    base = {"TEMPORAL_CONFIG_FILE": str(tmp_path / "absent.toml")}
    return ClientConfig.load_client_connect_config(override_env_vars={**base, name: value}) != (
        ClientConfig.load_client_connect_config(override_env_vars=base)
    )


class RecordingEnv(Mapping[str, str]):
    """An environment that notes every name looked up."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


# --- the file itself ----------------------------------------------------------------------------------------------


def test_the_file_parses_and_has_the_stack() -> None:
    services = compose()["services"]

    assert set(services) == {
        "postgresql",
        "temporal-schema",
        "temporal",
        "temporal-ui",
        "temporal-setup",
        "ledger-setup",
        "worker",
        "api",
        "codec-server",
        "ringg-sim",
    }
    assert set(app_services()) == {"temporal-setup", "ledger-setup", "worker", "api", "codec-server", "ringg-sim"}
    assert {svc["image"] for svc in app_services().values()} == {"ringg-campaigns:local"}, "one image for every role"


def test_a_missing_database_password_is_an_error() -> None:
    with pytest.raises(InterpolationError, match="POSTGRES_PASSWORD"):
        compose({})


def _compose_cli() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.skipif(_compose_cli() is None, reason="neither `docker compose` nor Debian's docker-compose installed")
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    cli = _compose_cli()
    assert cli is not None
    env_file = tmp_path / "test.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in TEST_ENV.items()))
    empty = tmp_path / "empty.env"
    empty.write_text("")

    def config(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*cli, "-f", str(COMPOSE), "--project-directory", str(ROOT), *args, "config", "-q"]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    for args in (["--env-file", str(env_file)], ["--env-file", str(SIM_ENV), "--profile", "sim"]):
        done = config(*args)
        assert done.returncode == 0, f"{args}: {done.stderr}"
    refused = config("--env-file", str(empty))
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr


def test_images_are_pinned() -> None:
    for name, svc in compose()["services"].items():
        if "build" in svc:
            continue
        repository, _, tag = svc["image"].rpartition(":")
        assert repository and tag and tag != "latest" and re.match(r"\d+\.\d+", tag), f"{name}: {svc['image']}"


def test_env_example_lists_every_compose_variable_with_the_same_default() -> None:
    example = (ROOT / ".env.example").read_text()
    documented = dict(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$", example, re.MULTILINE))

    for name, default in interpolated_names().items():
        assert name in documented, f"{name} is used by docker-compose.yml but not in .env.example"
        if default is not None and documented[name]:
            assert documented[name] == default, f"{name}: .env.example says {documented[name]!r}, compose {default!r}"


def test_sim_env_sets_only_compose_variables() -> None:
    names = set(read_env_file(SIM_ENV))
    unknown = names - set(interpolated_names()) - {"COMPOSE_PROFILES"}
    assert not unknown, f"deploy/sim.env sets variables docker-compose.yml does not use: {unknown}"
    assert read_env_file(SIM_ENV)["COMPOSE_PROFILES"] == "sim"


def test_no_secret_travels_as_a_plain_variable() -> None:
    for name, svc in compose()["services"].items():
        env = environment(svc)
        for secret in (
            "RINGG_API_KEY",
            "API_TOKEN",
            "TEMPORAL_API_KEY",
            "PAYLOAD_ENCRYPTION_KEYS",
            "CODEC_SERVER_TOKEN",
        ):
            assert secret not in env, f"{name} gets {secret} as a variable: mount a secret file (*_FILE) instead"


# --- the project's commands ---------------------------------------------------------------------------------------


def test_every_command_runs_a_module_or_file_of_this_repository() -> None:
    checked = []
    for where, command in python_commands():
        kind, target, _ = python_target(command)
        if kind == "file":
            assert (ROOT / target).is_file(), f"{where}: {target} does not exist"
        elif target == "api" and not API_PRESENT:
            continue  # the HTTP API lands with its own branch; test_api_service checks it then
        elif target == LEDGER_SETUP and not LEDGER_PRESENT:
            continue  # lands with the ledger; test_ledger_setup_job_migrates_the_ledgers_own_database checks it then
        else:
            assert module_in_repo(target), f"{where}: python -m {target}: no such module in this repository"
        checked.append(target)
    assert {"worker.py", "runtime.cluster_setup", "ringg_sim", "runtime.healthcheck"} <= set(checked)


def test_worker_gets_only_variables_the_worker_reads(tmp_path: Path) -> None:
    worker = service("worker")
    assert python_target(worker["command"])[:2] == ("file", "worker.py")
    env = environment(worker)
    key_file = tmp_path / "ringg_api_key"
    key_file.write_text("sk-from-secret\n")
    assert env["RINGG_API_KEY_FILE"] == secret_path(worker, "ringg_api_key")
    recording = RecordingEnv({**env, "RINGG_API_KEY_FILE": str(key_file), KEYS_FILE_ENV: str(keys_file(tmp_path))})

    settings = WorkerSettings.from_env(recording)

    # The ledger's URL is read by the ledger's own settings: test_worker_and_api_use_the_ledger_the_job_migrated.
    unread = {name for name in set(env) - recording.read - {LEDGER_URL} if not sdk_reads(name, env[name], tmp_path)}
    assert not unread, f"docker-compose.yml sets {sorted(unread)} for the worker, but nothing reads them"
    # The public contract's variables are all there, and the values are usable.
    assert {"RINGG_BASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "RINGG_TASK_QUEUE"} <= set(env)
    assert settings.ringg_api_key.get_secret_value() == "sk-from-secret"
    assert settings.ringg_base_url == DEFAULT_RINGG_BASE_URL
    assert settings.temporal_address == "temporal:7233"
    assert "7233" in str(service("temporal")["ports"][0]).rsplit(":", 1)[-1]
    assert settings.metrics_bind is not None
    assert worker["healthcheck"]["test"][-1] == f"http://127.0.0.1:{settings.metrics_bind.rsplit(':', 1)[1]}/metrics"
    assert volume_mount(worker, str(settings.report_dir)) == "campaign-data"
    assert settings.payload_keys is not None and settings.payload_keys.ids == ("compose-test",)


def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "payload_encryption_keys"
    path.write_text(new_key_entry("compose-test") + "\n")
    return path


def test_every_temporal_client_encrypts_payloads_with_the_keys_secret() -> None:
    """The workers, the API, the setup job and the codec server: one secret, read through the same setting."""
    clients = {name for name, svc in app_services().items() if "TEMPORAL_ADDRESS" in environment(svc)}
    assert clients == {"temporal-setup", "worker", "api"}
    for name in (*clients, "codec-server"):
        svc = service(name)
        assert environment(svc)[KEYS_FILE_ENV] == secret_path(svc, "payload_encryption_keys"), name
    assert KEYS_FILE_ENV not in environment(service("ringg-sim")), "the simulator stands apart"


def test_codec_server_serves_the_ui_and_reads_every_variable_it_gets(tmp_path: Path) -> None:
    codec, ui = service("codec-server"), service("temporal-ui")
    assert python_target(codec["command"])[:2] == ("module", "codec_server")
    assert module_in_repo("codec_server")
    env = environment(codec)
    assert env["CODEC_SERVER_TOKEN_FILE"] == secret_path(codec, "codec_server_token")
    token = tmp_path / "codec_server_token"
    token.write_text("a-codec-token-from-a-secret\n")
    recording = RecordingEnv({**env, KEYS_FILE_ENV: str(keys_file(tmp_path)), "CODEC_SERVER_TOKEN_FILE": str(token)})

    settings = CodecServerSettings.from_env(recording)

    assert not set(env) - recording.read, f"set for the codec server but not read: {sorted(set(env) - recording.read)}"
    assert settings.host == ALL_INTERFACES and settings.token is not None
    assert str(codec["ports"][0]).endswith(f":{settings.port}")
    assert codec["healthcheck"]["test"][-1] == f"tcp://127.0.0.1:{settings.port}"
    assert settings.namespaces == {environment(service("worker"))["TEMPORAL_NAMESPACE"]}
    # The browser calls the codec server at its published port and the UI's origin is allowed; the session cookie
    # reaches it only when both use the same host name.
    ui_env = environment(ui)
    endpoint = urlsplit(ui_env["TEMPORAL_CODEC_ENDPOINT"])
    assert str(codec["ports"][0]).rsplit(":", 1)[0].endswith(f":{endpoint.port}"), "the endpoint is the published port"
    ui_port = str(ui["ports"][0]).split(":")[1]
    assert f"http://{endpoint.hostname}:{ui_port}" in settings.cors_origins
    assert ui_env["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"


def test_worker_scales() -> None:
    for name, svc in compose()["services"].items():
        assert "container_name" not in svc, f"{name}: container_name prevents scaling and parallel projects"
    worker = raw_compose()["services"]["worker"]
    assert "ports" not in worker and "hostname" not in worker
    assert "deploy" not in worker or "replicas" not in worker["deploy"], "scale with --scale, not a fixed count"
    assert int(str(worker["stop_grace_period"]).rstrip("s")) > 20, "longer than the worker's 20 s graceful shutdown"


def test_simulator_runs_behind_the_sim_profile_with_flags_its_parser_accepts() -> None:
    sim = service("ringg-sim")
    kind, module, argv = python_target(sim["command"])
    assert (kind, module) == ("module", "ringg_sim")

    try:
        config = config_from_args(argv)
    except SystemExit:
        pytest.fail(f"ringg_sim/__main__.py's parser refuses the compose command's flags {argv}")

    assert sim["profiles"] == ["sim"]
    assert config.host == ALL_INTERFACES
    assert sim["healthcheck"]["test"][-1] == f"tcp://127.0.0.1:{config.port}"
    assert str(sim["ports"][0]).endswith(f":{config.port}")
    # deploy/sim.env points the workers at it, with its key.
    sim_env = read_env_file(SIM_ENV)
    sim_worker = service("worker", sim_env)
    url = urlsplit(environment(sim_worker)["RINGG_BASE_URL"])
    assert (url.hostname, url.port, url.path) == ("ringg-sim", config.port, sim_router.prefix)
    assert url.path == urlsplit(DEFAULT_RINGG_BASE_URL).path
    key_file = ROOT / compose(sim_env)["secrets"]["ringg_api_key"]["file"]
    assert key_file.read_text().strip() == config.api_key
    assert (ROOT / compose(sim_env)["secrets"]["api_token"]["file"]).read_text().strip()
    sim_keys = ROOT / compose(sim_env)["secrets"]["payload_encryption_keys"]["file"]
    sim_token = ROOT / compose(sim_env)["secrets"]["codec_server_token"]["file"]
    sim_codec = CodecServerSettings.from_env({KEYS_FILE_ENV: str(sim_keys), "CODEC_SERVER_TOKEN_FILE": str(sim_token)})
    assert sim_codec.keys.ids == ("sim-dev",)


def test_setup_job_registers_the_workflows_search_attributes() -> None:
    setup = service("temporal-setup")
    kind, module, argv = python_target(setup["command"])
    assert (kind, module) == ("module", "runtime.cluster_setup")
    args = cluster_setup.parse_args(argv)
    assert args.retention_days == 30

    assert set(wanted_attributes()) == {key.name for key in ALL_KEYS} == CONTRACT_ATTRIBUTES
    env = environment(setup)
    assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert env["TEMPORAL_NAMESPACE"] == environment(service("worker"))["TEMPORAL_NAMESPACE"]
    assert setup["restart"] == "no"


def ledger_source() -> str:
    return "\n".join(path.read_text() for d in ("ledger", "runtime") for path in ROOT.glob(f"{d}/**/*.py"))


def test_ledger_setup_job_migrates_the_ledgers_own_database() -> None:
    job, postgres = service("ledger-setup"), service("postgresql")
    assert python_target(job["command"]) == ("module", LEDGER_SETUP, [])
    assert job["restart"] == "no"
    assert job["healthcheck"] == {"disable": True}, "a one-shot job: the image's healthcheck does not apply"
    assert not job.get("ports") and not job.get("secrets")

    url = make_url(environment(job)[LEDGER_URL])
    assert url.drivername == "postgresql+asyncpg"
    assert (url.host, url.port, url.database) == ("postgresql", 5432, "campaign_ledger")
    assert url.username == postgres["environment"]["POSTGRES_USER"]
    assert url.password == postgres["environment"]["POSTGRES_PASSWORD"] == TEST_ENV["POSTGRES_PASSWORD"]
    # Its own database, never one of Temporal's.
    assert url.database not in ("temporal", "temporal_visibility", "postgres")
    named = make_url(environment(service("ledger-setup", {**TEST_ENV, "LEDGER_DATABASE": "ledger_b"}))[LEDGER_URL])
    assert named.database == "ledger_b"
    with pytest.raises(InterpolationError, match="POSTGRES_PASSWORD"):
        service("ledger-setup", {"LEDGER_DATABASE": "ledger_b"})

    if not LEDGER_PRESENT:
        pytest.skip(f"the ledger (ledger/, {LEDGER_SETUP}) is not on this branch yet: the URL's reader is unchecked")
    assert importlib.util.find_spec(LEDGER_SETUP) is not None, f"python -m {LEDGER_SETUP}: no such module"
    assert module_in_repo(LEDGER_SETUP)
    assert f'"{LEDGER_URL}"' in ledger_source(), f"nothing in ledger/ or runtime/ reads {LEDGER_URL}"


def test_worker_and_api_use_the_ledger_the_job_migrated() -> None:
    job_url = environment(service("ledger-setup"))[LEDGER_URL]
    for name in ("worker", "api"):
        svc = service(name)
        assert environment(svc)[LEDGER_URL] == job_url, f"{name} and the ledger-setup job name other ledgers"
        assert svc["depends_on"]["ledger-setup"] == {"condition": "service_completed_successfully"}, name
    users = {name for name, svc in app_services().items() if LEDGER_URL in environment(svc)}
    assert users == {"ledger-setup", "worker", "api"}, "the ledger's password goes only where the ledger is used"


def test_cloud_docs_register_the_same_search_attributes() -> None:
    docs = (ROOT / "docs" / "operations.md").read_text()
    deploy = docs[docs.index("## Deploy") :]
    assert set(re.findall(r"--search-attribute \"?([A-Za-z]+)=Keyword", deploy)) == CONTRACT_ATTRIBUTES


def test_api_service_wiring() -> None:
    api = service("api")
    assert python_target(api["command"])[:2] == ("module", "api")
    env = environment(api)
    port = env["API_PORT"]
    assert env["API_HOST"] == ALL_INTERFACES
    assert str(api["ports"][0]).endswith(f":{port}")
    assert api["healthcheck"]["test"][-1].endswith(f":{port}") or f":{port}/" in api["healthcheck"]["test"][-1]
    assert env["API_TOKEN_FILE"] == secret_path(api, "api_token")
    # Uploads land where the workers read them: the same volume.
    assert volume_mount(api, env["CAMPAIGN_UPLOAD_DIR"] + "/x") == volume_mount(service("worker"), "/data/reports")
    worker_env = environment(service("worker"))
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "RINGG_TASK_QUEUE"):
        assert env[name] == worker_env[name], f"the API and the workers must agree on {name}"


@pytest.mark.skipif(not API_PRESENT, reason="the HTTP API (api/) is not on this branch yet")
def test_api_service_matches_the_api_package(tmp_path: Path) -> None:
    api = service("api")
    assert module_in_repo("api"), "python -m api: no api package in this repository"
    source = "\n".join(
        path.read_text()
        for path in [p for d in ("api", "client", "runtime", "domain", "ledger") for p in ROOT.glob(f"{d}/**/*.py")]
    )
    for name, value in environment(api).items():
        if name == LEDGER_URL and not LEDGER_PRESENT:
            continue  # read by the ledger's settings, which land with ledger/
        assert f'"{name}"' in source or sdk_reads(name, value, tmp_path), f"the API does not read {name}"


# --- Temporal on PostgreSQL ---------------------------------------------------------------------------------------


def test_dependencies_wait_for_the_right_condition() -> None:
    services = compose()["services"]
    conditions = {
        (name, dependency): spec["condition"]
        for name, svc in services.items()
        for dependency, spec in svc.get("depends_on", {}).items()
    }

    assert conditions == {
        ("temporal-schema", "postgresql"): "service_healthy",
        ("temporal", "postgresql"): "service_healthy",
        ("temporal", "temporal-schema"): "service_completed_successfully",
        ("temporal-ui", "temporal"): "service_healthy",
        ("temporal-setup", "temporal"): "service_healthy",
        ("worker", "temporal-setup"): "service_completed_successfully",
        ("api", "temporal-setup"): "service_completed_successfully",
        ("ledger-setup", "postgresql"): "service_healthy",
        ("worker", "ledger-setup"): "service_completed_successfully",
        ("api", "ledger-setup"): "service_completed_successfully",
    }
    for (_, dependency), condition in conditions.items():
        target = services[dependency]
        if condition == "service_healthy":
            assert target.get("healthcheck", {}).get("test"), f"{dependency} has no healthcheck to wait for"
        if condition == "service_completed_successfully":
            assert target.get("restart") == "no", f"{dependency} is a one-shot job: restart 'no'"


def test_schema_job_runs_temporal_sql_tool_from_admin_tools_for_both_databases() -> None:
    services = compose()["services"]
    assert not [n for n, s in services.items() if "auto-setup" in s.get("image", "")], "auto-setup is deprecated"
    job = services["temporal-schema"]
    assert job["image"].startswith("temporalio/admin-tools:")
    assert job["image"].rpartition(":")[2] == services["temporal"]["image"].rpartition(":")[2], "schema = server"
    host, container = next((v.split(":")[0], v.split(":")[1]) for v in job["volumes"] if v.endswith(".sh:ro"))
    assert job["entrypoint"] == ["/bin/sh", container]
    script = (ROOT / host).read_text()

    assert "PLUGIN=postgres12" in script and "temporal-sql-tool --plugin" in script
    assert "SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12" in script
    assert 'sql --db "$1" create' in script
    assert 'sql --db "$1" setup-schema -v 0.0' in script
    assert 'sql --db "$1" update-schema -d "$SCHEMA_ROOT/$2/versioned"' in script
    assert "setup_database temporal temporal\n" in script
    assert "setup_database temporal_visibility visibility\n" in script
    for name in re.findall(r"\$\{([A-Z_]+):\?", script):
        assert name in job["environment"], f"the script needs {name}"
    assert job["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert subprocess.run(["sh", "-n", str(ROOT / host)], capture_output=True, timeout=30).returncode == 0


def test_server_uses_postgres12_with_the_schema_jobs_database() -> None:
    services = compose()["services"]
    server, postgres, job = services["temporal"], services["postgresql"], services["temporal-schema"]
    env = environment(server)

    assert server["image"].startswith("temporalio/server:")
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == job["environment"]["POSTGRES_SEEDS"] == "postgresql"
    assert env["POSTGRES_USER"] == postgres["environment"]["POSTGRES_USER"] == job["environment"]["POSTGRES_USER"]
    assert env["POSTGRES_PWD"] == postgres["environment"]["POSTGRES_PASSWORD"] == job["environment"]["SQL_PASSWORD"]
    assert env["BIND_ON_IP"] == ALL_INTERFACES
    host, container = server["volumes"][0].split(":")[:2]
    assert env["DYNAMIC_CONFIG_FILE_PATH"].startswith(container + "/")
    dynamic = ROOT / host / env["DYNAMIC_CONFIG_FILE_PATH"].removeprefix(container + "/")
    assert isinstance(yaml.safe_load(dynamic.read_text()), dict)
    assert "forceSearchAttributesCacheRefreshOnRead" not in dynamic.read_text().replace("(e.g. system.force", "")
    assert volume_mount(postgres, "/var/lib/postgresql/data/x") == "postgres-data"
    assert environment(service("temporal-ui"))["TEMPORAL_ADDRESS"] == "temporal:7233"


# --- the image ----------------------------------------------------------------------------------------------------


def test_dockerfile() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", text, re.MULTILINE)
    assert base and base[1].startswith("python:3.11-slim") and "FROM ${PYTHON_IMAGE}" in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "the image runs as a non-root user"
    assert re.search(r"pip install .*requirements\.lock", text), "dependencies pinned by requirements.lock"
    assert text.index("requirements.lock ./") < text.index("COPY . ."), "dependencies before the code (layer cache)"
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    secrets = re.compile(r"(KEY|TOKEN|PASSWORD|SECRET|PWD)", re.IGNORECASE)
    for line in lines:
        if line.startswith(("ENV ", "ARG ")):
            assert not secrets.search(line.split("=")[0]), f"no secret in the image: {line}"


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or one of its parent directories wins."""
    ignored = False
    parents = ["/".join(path.split("/")[: i + 1]) for i in range(path.count("/") + 1)]
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.removeprefix("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        if any(re.fullmatch(regex, candidate) for candidate in parents):
            ignored = not negate
    return ignored


def test_build_context_has_the_code_and_no_secrets() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    needed = ["pyproject.toml", "requirements.lock", "api/__main__.py"]
    for _, command in python_commands():
        kind, target, _ = python_target(command)
        needed.append(target if kind == "file" else target.replace(".", "/") + ".py")
    # Every top-level package of the code (not tests, benchmarks or developer tools): a new one must be added to
    # .dockerignore.
    dev_only = ("tests", "bench", "devtools")
    packages = [p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in dev_only]
    assert {"contract", "domain", "ringg", "activities", "workflows", "client", "runtime", "cli", "api"} <= set(
        packages
    )
    assert {"webhooks", "ringg_sim"} <= set(packages)
    for package in packages:
        needed += [str(p.relative_to(ROOT)) for p in (ROOT / package).rglob("*.py")]
    for path in needed:
        candidates = [path, path.removesuffix(".py") + "/__main__.py"]
        assert any(not _ignored(c, patterns) for c in candidates), f"{path} is left out of the image"

    for path in (
        ".env",
        "secrets/ringg_api_key",
        "deploy/sim/ringg_api_key",
        "deploy/sim.env",
        ".git/config",
        ".venv/bin/python",
        "data/reports/x.csv",
        "tests/test_compose.py",
        "runtime/__pycache__/settings.cpython-311.pyc",
        "runtime/client.pem",
        "devtools/demo.py",
    ):
        assert _ignored(path, patterns), f"{path} would be sent to the image build"
