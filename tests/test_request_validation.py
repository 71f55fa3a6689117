"""Request checks without I/O (domain.validation), request files and flags (cli.request_files,
domain.request_input), and worker settings from the environment (runtime.settings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.request_files import load_request_file, parse_mapping
from contract.campaign import CampaignRequest
from domain.request_input import RequestInputError, build_request
from domain.validation import request_problems
from runtime.settings import SettingsError, WorkerSettings

GOOD: dict[str, Any] = {
    "campaign_name": "Diwali offers",
    "agent_id": "agent-7",
    "csv_uri": "/data/contacts.csv",
    "variables_map": {"mobile_number": "Mobile Number", "callee_name": "Name"},
    "from_numbers": ["num-1"],
    "campaign_start_time": "18/10/2026, 09:00",
    "campaign_end_time": "18/10/2026, 18:00",
    "call_config": {"call_time": {"call_start_time": "09:00", "call_end_time": "18:00", "timezone": "Asia/Kolkata"}},
    "concurrency_percentage": 50,
    "idempotency_key": "diwali-2026:batch_1.v2",
}


def request(**changes: Any) -> CampaignRequest:
    return CampaignRequest.model_validate({**GOOD, **changes})


# --- domain.validation ---------------------------------------------------------------------------------------


EXACTLY_ONE = "give exactly one of from_numbers (a non-empty list) or number_pool_id"
KEY_RULE = "idempotency_key must be 1-128 characters"
WINDOW_SHAPE = 'must look like "DD/MM/YYYY, HH:MM"'


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"number_pool_id": "pool-9"}, EXACTLY_ONE),
        ({"from_numbers": None}, EXACTLY_ONE),
        ({"from_numbers": []}, EXACTLY_ONE),
        ({"concurrency_percentage": 101}, "concurrency_percentage must be between 0 and 100, got 101"),
        ({"concurrency_percentage": -1}, "concurrency_percentage must be between 0 and 100, got -1"),
        ({"campaign_start_time": "2026-10-18 09:00"}, f"campaign_start_time {WINDOW_SHAPE}"),
        ({"campaign_start_time": "18/10/2026 09:00"}, f"campaign_start_time {WINDOW_SHAPE}"),
        ({"campaign_end_time": "31/02/2026, 18:00"}, f"campaign_end_time {WINDOW_SHAPE}"),
        ({"campaign_end_time": "18/10/2026, 25:00"}, f"campaign_end_time {WINDOW_SHAPE}"),
        ({"campaign_end_time": "6pm"}, "got '6pm'"),
        (
            {"campaign_start_time": "18/10/2026, 19:00"},
            "campaign_start_time (18/10/2026, 19:00) must be before campaign_end_time (18/10/2026, 18:00)",
        ),
        ({"campaign_start_time": "18/10/2026, 18:00"}, "must be before campaign_end_time"),
        ({"campaign_end_time": None}, "campaign_end_time is required: Ringg needs the campaign window"),
        ({"campaign_start_time": None}, "campaign_start_time is required: Ringg needs the campaign window"),
        ({"call_config": {}}, "call_config is required: Ringg needs the campaign window and call_config"),
        ({"variables_map": {"callee_name": "Name"}}, 'variables_map must map "mobile_number"'),
        ({"variables_map": {"mobile_number": "  "}}, 'variables_map must map "mobile_number"'),
        ({"campaign_name": ""}, "campaign_name is required and must not be empty"),
        ({"campaign_name": "   "}, "campaign_name is required and must not be empty"),
        ({"campaign_name": "x" * 201}, "campaign_name is longer than 200 characters"),
        ({"agent_id": ""}, "agent_id is required"),
        ({"csv_uri": " "}, "csv_uri is required"),
        ({"max_balance_wait_seconds": -1}, "max_balance_wait_seconds must be 0 or more"),
        ({"max_invalid_row_share": 1.5}, "max_invalid_row_share must be between 0 and 1"),
        ({"max_invalid_row_share": -0.01}, "max_invalid_row_share must be between 0 and 1"),
        ({"max_invalid_row_share": float("nan")}, "max_invalid_row_share must be between 0 and 1"),
        (
            {"flow": "standard", "concurrency_percentage": 25, "call_config": {"call_time": {"timezone": "UTC"}}},
            "concurrency_percentage (25) is only sent by the large flow (/campaign/make-call-async)",
        ),
        ({"idempotency_key": "has space"}, KEY_RULE),
        ({"idempotency_key": "-leading-dash"}, KEY_RULE),
        ({"idempotency_key": "a/b"}, KEY_RULE),
        ({"idempotency_key": "ключ"}, KEY_RULE),
        ({"idempotency_key": ""}, KEY_RULE),
        ({"idempotency_key": "k" * 129}, KEY_RULE),
        ({"number_types": []}, "number_types must list one or more of mobile, fixed_line_or_mobile"),
        ({"country_code": "+999"}, "country_code '+999' is not a dialling code of any country"),
    ],
    ids=lambda value: json.dumps(value, ensure_ascii=False)[:40] if isinstance(value, dict) else None,
)
def test_bad_requests_give_one_clear_problem(changes: dict[str, Any], expected: str) -> None:
    problems = request_problems(request(**changes))

    assert len(problems) == 1, problems
    assert expected in problems[0]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"from_numbers": None, "number_pool_id": "pool-9"},
        {"campaign_start_time": " 18/10/2026, 09:00 ", "campaign_end_time": "19/10/2026, 00:30"},
        {"concurrency_percentage": 0},
        {"concurrency_percentage": 100},
        {"idempotency_key": None},
        {"idempotency_key": "K" * 128},
        {"idempotency_key": "0"},
        {"campaign_name": "x" * 200},
        {"max_balance_wait_seconds": 0},
        {"max_invalid_row_share": 0.05},
        {"max_invalid_row_share": 1},
        {"flow": "large", "concurrency_percentage": 25},
        {"concurrency_percentage": 25},  # auto: refused later only if the CSV takes the standard flow
        {"flow": "standard", "concurrency_percentage": 0, "call_config": {"call_time": {"timezone": "UTC"}}},
        {"number_types": ["mobile", "fixed_line_or_mobile", "fixed_line"]},
        {"country_code": "NG"},
        {"country_code": "UK"},
    ],
)
def test_good_requests_have_no_problems(changes: dict[str, Any]) -> None:
    assert request_problems(request(**changes)) == []


@pytest.mark.parametrize("flow", ["auto", "large", "standard"])
def test_a_request_without_a_window_or_call_config_is_refused_for_every_flow(flow: str) -> None:
    """Today's large-flow request without a window: Ringg's make-call-async answers 422 without it (D-async's
    schema), so it is refused before anything is uploaded, naming the fields."""
    req = request(flow=flow, campaign_start_time=None, campaign_end_time=None, call_config={}, concurrency_percentage=0)

    [problem] = request_problems(req)

    assert problem.startswith("campaign_start_time, campaign_end_time, call_config are required")
    assert "(large or standard flow)" in problem


def test_workflows_started_before_the_rule_replay_without_it() -> None:
    req = request(flow="large", campaign_start_time=None, campaign_end_time=None, call_config={})
    assert request_problems(req, schedule_required=False) == []
    half = request(flow="large", campaign_end_time=None)
    assert request_problems(half, schedule_required=False) == ["give both ends of the window, or neither"]
    standard = request(flow="standard", call_config={})
    assert request_problems(standard, schedule_required=False) == request_problems(standard)


def test_every_problem_is_listed_at_once() -> None:
    bad = request(
        campaign_name=" ",
        variables_map={},
        from_numbers=None,
        concurrency_percentage=150,
        idempotency_key="no spaces allowed",
        campaign_start_time="tomorrow",
    )

    problems = request_problems(bad)

    assert len(problems) == 6
    assert [p.split()[0] for p in problems] == [
        "campaign_name",
        "variables_map",
        "give",
        "concurrency_percentage",
        "idempotency_key",
        "campaign_start_time",
    ]


def test_idempotency_key_with_a_trailing_newline_is_rejected() -> None:
    problems = request_problems(request(idempotency_key="key-1\n"))

    assert any("idempotency_key" in p for p in problems)


# --- cli.request_files, domain.request_input -----------------------------------------------------------------


def test_json_request_file(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(GOOD), encoding="utf-8")

    data = load_request_file(path)

    assert data == GOOD
    assert build_request(data, {}) == CampaignRequest.model_validate(GOOD)


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".YAML"])
def test_yaml_request_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"request{suffix}"
    path.write_text(
        "campaign_name: Diwali offers\n"
        "agent_id: agent-7\n"
        "csv_uri: /data/contacts.csv\n"
        "variables_map:\n"
        "  mobile_number: Mobile Number\n"
        "  callee_name: Name\n"
        "number_pool_id: pool-9\n"
        'campaign_start_time: "18/10/2026, 09:00"\n'
        'campaign_end_time: "18/10/2026, 18:00"\n'
        "call_config:\n"
        "  timezone: Asia/Kolkata\n"
        "polling:\n"
        "  monitor_initial_s: 1.5\n",
        encoding="utf-8",
    )

    req = build_request(load_request_file(path), {})

    assert req.variables_map == {"mobile_number": "Mobile Number", "callee_name": "Name"}
    assert req.number_pool_id == "pool-9" and req.from_numbers is None
    assert req.call_config == {"timezone": "Asia/Kolkata"}
    assert req.polling.monitor_initial_s == 1.5
    assert request_problems(req) == []


def test_flags_override_the_file_and_empty_flags_do_not(tmp_path: Path) -> None:
    path = tmp_path / "request.yaml"
    path.write_text(yaml.safe_dump({**GOOD, "remove_invalid_rows": True}), encoding="utf-8")
    overrides: dict[str, Any] = {
        "campaign_name": "Diwali offers (retry)",
        "concurrency_percentage": 0,
        "remove_invalid_rows": False,
        "flow": "large",
        "agent_id": None,
        "from_numbers": [],
        "call_config": {},
        "idempotency_key": None,
    }

    req = build_request(load_request_file(path), overrides)

    assert req.campaign_name == "Diwali offers (retry)"
    assert req.concurrency_percentage == 0
    assert req.remove_invalid_rows is False
    assert req.flow == "large"
    assert (req.agent_id, req.from_numbers, req.idempotency_key) == ("agent-7", ["num-1"], GOOD["idempotency_key"])


def test_flags_alone_make_a_request() -> None:
    flags = {"campaign_name": "Quick", "agent_id": "agent-7", "csv_uri": "c.csv", "from_numbers": ["num-1"]}
    schedule = {k: GOOD[k] for k in ("campaign_start_time", "campaign_end_time", "call_config")}
    req = build_request({}, flags | schedule)

    assert req.variables_map == {"mobile_number": "Mobile Number"}
    assert request_problems(req) == []
    assert request_problems(build_request({}, flags))[0].startswith("campaign_start_time, campaign_end_time, call")


def test_parse_mapping() -> None:
    mapping = parse_mapping(["mobile_number=Mobile Number", " callee_name = Full Name ", "note=a=b"])

    assert mapping == {"mobile_number": "Mobile Number", "callee_name": "Full Name", "note": "a=b"}
    assert parse_mapping([]) == {}


@pytest.mark.parametrize("pair", ["mobile_number", "=Mobile Number", "mobile_number=", " = ", ""])
def test_parse_mapping_errors(pair: str) -> None:
    with pytest.raises(RequestInputError, match="--map expects VARIABLE=CSV Column") as info:
        parse_mapping(["callee_name=Name", pair])

    assert repr(pair) in str(info.value)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"campaign_nmae": "typo"}, "campaign_nmae: Extra inputs are not permitted"),
        ({"agent_id": None}, "agent_id: Input should be a valid string"),
        ({"concurrency_percentage": "lots"}, "concurrency_percentage: Input should be a valid integer"),
        ({"flow": "fast"}, "flow: Input should be 'auto', 'standard' or 'large'"),
        ({"polling": {"upload_initial_s": "soon"}}, "polling.upload_initial_s: Input should be a valid number"),
        ({"from_numbers": "num-1"}, "from_numbers: Input should be a valid list"),
    ],
)
def test_invalid_models_give_a_readable_error(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(RequestInputError) as info:
        build_request({**GOOD, **changes}, {})

    message = str(info.value)
    assert message.startswith("the campaign request is not valid: ")
    assert expected in message
    assert "pydantic" not in message and "https://errors" not in message


def test_missing_required_fields_are_all_named() -> None:
    with pytest.raises(RequestInputError) as info:
        build_request({"campaign_name": "x"}, {})

    assert "agent_id: Field required" in str(info.value)
    assert "csv_uri: Field required" in str(info.value)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("request.json", '{"campaign_name": ', "is not valid JSON/YAML"),
        ("request.yaml", "campaign_name: [unclosed\n", "is not valid JSON/YAML"),
        ("request.json", '["a", "b"]', "must hold one object"),
        ("request.yaml", "", "must hold one object"),
        ("request.yaml", "just a string\n", "must hold one object"),
    ],
)
def test_bad_request_files(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")

    with pytest.raises(RequestInputError, match=expected) as info:
        load_request_file(path)

    assert str(path) in str(info.value)


def test_unreadable_request_file(tmp_path: Path) -> None:
    with pytest.raises(RequestInputError, match="cannot read request file") as info:
        load_request_file(tmp_path / "absent.json")

    assert "absent.json" in str(info.value)


# --- runtime.settings ----------------------------------------------------------------------------------------


def test_settings_defaults_follow_the_public_contract() -> None:
    settings = WorkerSettings.from_env({"RINGG_API_KEY": "sk-live-abc"})

    assert settings.ringg_api_key.get_secret_value() == "sk-live-abc"
    assert settings.ringg_base_url == "https://prod-api.ringg.ai/ca/api/v0"
    assert settings.temporal_address == "localhost:7233"
    assert settings.temporal_namespace == "default"
    assert settings.task_queue == "ringg-campaigns"
    assert settings.log_level == "INFO"
    assert settings.max_concurrent_activities == 50
    assert settings.metrics_bind is None


def test_settings_read_every_variable() -> None:
    settings = WorkerSettings.from_env(
        {
            "RINGG_API_KEY": "  sk-live-abc \n",
            "RINGG_BASE_URL": " http://127.0.0.1:8099/ca/api/v0 ",
            "TEMPORAL_ADDRESS": "temporal.internal:7233",
            "TEMPORAL_NAMESPACE": "campaigns",
            "RINGG_TASK_QUEUE": "ringg-campaigns-eu",
            "LOG_LEVEL": "DEBUG",
            "WORKER_MAX_CONCURRENT_ACTIVITIES": "8",
            "WORKER_METRICS_BIND": "0.0.0.0:9000",
        }
    )

    assert settings.ringg_api_key.get_secret_value() == "sk-live-abc"
    assert settings.ringg_base_url == "http://127.0.0.1:8099/ca/api/v0"
    assert (settings.temporal_address, settings.temporal_namespace) == ("temporal.internal:7233", "campaigns")
    assert settings.task_queue == "ringg-campaigns-eu"
    assert (settings.log_level, settings.max_concurrent_activities, settings.metrics_bind) == (
        "DEBUG",
        8,
        "0.0.0.0:9000",
    )


def test_metrics_bind_address_is_read_and_checked() -> None:
    base = {"RINGG_API_KEY": "sk-live-abc"}
    assert (
        WorkerSettings.from_env({**base, "METRICS_BIND_ADDRESS": " 127.0.0.1:9464 "}).metrics_bind == "127.0.0.1:9464"
    )
    both = {**base, "METRICS_BIND_ADDRESS": "0.0.0.0:9464", "WORKER_METRICS_BIND": "127.0.0.1:9000"}
    assert WorkerSettings.from_env(both).metrics_bind == "0.0.0.0:9464"
    assert WorkerSettings.from_env({**base, "METRICS_BIND_ADDRESS": "  "}).metrics_bind is None
    for bad in ("9464", "localhost", "127.0.0.1:http", "127.0.0.1:70000", ":9464"):
        with pytest.raises(SettingsError, match=r"METRICS_BIND_ADDRESS.*host:port"):
            WorkerSettings.from_env({**base, "METRICS_BIND_ADDRESS": bad})


def test_blank_base_url_falls_back_to_the_default() -> None:
    settings = WorkerSettings.from_env({"RINGG_API_KEY": "sk-live-abc", "RINGG_BASE_URL": "  "})

    assert settings.ringg_base_url == "https://prod-api.ringg.ai/ca/api/v0"


def test_settings_read_the_key_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "ringg.key"
    key_file.write_text("sk-from-file\n", encoding="utf-8")

    settings = WorkerSettings.from_env({"RINGG_API_KEY_FILE": str(key_file)})

    assert settings.ringg_api_key.get_secret_value() == "sk-from-file"


def test_the_key_variable_wins_over_the_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "ringg.key"
    key_file.write_text("sk-from-file\n", encoding="utf-8")

    settings = WorkerSettings.from_env({"RINGG_API_KEY": "sk-from-env", "RINGG_API_KEY_FILE": str(key_file)})

    assert settings.ringg_api_key.get_secret_value() == "sk-from-env"


def test_an_unreadable_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="RINGG_API_KEY_FILE") as info:
        WorkerSettings.from_env({"RINGG_API_KEY_FILE": str(tmp_path / "absent.key")})

    assert "absent.key" in str(info.value) and "No such file" in str(info.value)


@pytest.mark.parametrize(
    "env", [{}, {"RINGG_API_KEY": "   "}, {"RINGG_API_KEY_FILE": ""}], ids=["unset", "blank", "no-file"]
)
def test_a_missing_key_names_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="RINGG_API_KEY is not set"):
        WorkerSettings.from_env(env)


def test_an_empty_key_file_counts_as_missing(tmp_path: Path) -> None:
    key_file = tmp_path / "ringg.key"
    key_file.write_text("\n", encoding="utf-8")

    with pytest.raises(SettingsError, match="RINGG_API_KEY"):
        WorkerSettings.from_env({"RINGG_API_KEY_FILE": str(key_file)})


def test_from_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RINGG_BASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "RINGG_API_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RINGG_API_KEY", "sk-process-env")
    monkeypatch.setenv("RINGG_TASK_QUEUE", "queue-from-env")

    settings = WorkerSettings.from_env()

    assert settings.ringg_api_key.get_secret_value() == "sk-process-env"
    assert settings.task_queue == "queue-from-env"


def test_settings_never_show_the_key() -> None:
    settings = WorkerSettings.from_env({"RINGG_API_KEY": "sk-live-very-secret"})

    for text in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())):
        assert "sk-live-very-secret" not in text
    assert "**********" in repr(settings)


def test_a_bad_concurrency_setting_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="WORKER_MAX_CONCURRENT_ACTIVITIES"):
        WorkerSettings.from_env({"RINGG_API_KEY": "sk-live-abc", "WORKER_MAX_CONCURRENT_ACTIVITIES": "lots"})


def test_large_flow_setting_is_read_and_checked() -> None:
    base = {"RINGG_API_KEY": "sk-live-abc"}
    assert WorkerSettings.from_env(base).large_flow == "auto"
    assert WorkerSettings.from_env({**base, "RINGG_LARGE_FLOW": " OFF "}).large_flow == "off"
    assert WorkerSettings.from_env({**base, "RINGG_LARGE_FLOW": "on"}).large_flow == "on"
    with pytest.raises(SettingsError, match=r"RINGG_LARGE_FLOW='never' must be one of auto, on, off"):
        WorkerSettings.from_env({**base, "RINGG_LARGE_FLOW": "never"})


def test_runs_from_before_the_rule_replay_without_it() -> None:
    standard = request(flow="standard", concurrency_percentage=25, call_config={"call_time": {"timezone": "UTC"}})
    assert request_problems(standard, concurrency_rule=False) == []
