"""Every example in README.md and docs/ runs as written: the starter.py command lines parse, the requests are what
the worker accepts, and on a kept demo stack (`make demo KEEP=1`, its try-it.env sourced, its window in place of the
examples' dates) the YAML via the starter, the raw `temporal workflow start`, the curl requests to the API, the
schedule and suppression commands all succeed. Each check is also shown failing on an example broken on purpose."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools import devstack, try_it
from domain.idempotency import workflow_id_for
from tests import readme_examples as ex
from tests.demo_process import Demo

README = (ex.ROOT / "README.md").read_text()
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # before the examples' dates (18/10/2027)
BIN = Path(sys.executable).parent


# --- the examples as text: fast, no stack ---------------------------------------------------------------------------


@pytest.mark.parametrize("doc", ex.DOCS, ids=lambda p: p.name)
def test_every_starter_command_in_the_docs_parses(doc: Path) -> None:
    text = doc.read_text()
    assert not ex.cli_problems(text, doc.name)
    if doc.name == "README.md":
        assert len(ex.starter_argvs(text)) >= 25  # the extraction finds the commands it checks


def test_a_misspelt_option_or_command_in_an_example_fails_its_check() -> None:
    broken = README.replace("starter.py start --request campaign.yaml", "starter.py start --requests campaign.yaml")
    assert any("No such option: --requests" in p for p in ex.cli_problems(broken))
    broken = README.replace("starter.py suppress count", "starter.py suppress total")
    assert any("No such command 'total'" in p for p in ex.cli_problems(broken))


def test_every_make_target_and_python_module_the_readme_names_exists() -> None:
    makefile = (ex.ROOT / "Makefile").read_text()
    targets = {line.split(":")[0] for line in makefile.splitlines() if line and not line[0].isspace() and ":" in line}
    for block in ex.blocks(README, "sh"):
        for line, command in ex.commands(block):
            if command.startswith("make "):
                assert command.split()[1] in targets, f"README.md:{line}: {command}"
            if " -m " in command:
                module = command.split(" -m ")[1].split()[0]
                assert (ex.ROOT / module).is_dir() or (ex.ROOT / f"{module.replace('.', '/')}.py").exists(), line


def test_the_readme_request_is_one_the_worker_accepts() -> None:
    data = ex.readme_request(README)
    assert ex.request_problems(data, NOW) == []
    assert data["agent_id"] == try_it.EXAMPLE_AGENT_ID and data["from_numbers"][0] in try_it.EXAMPLE_NUMBER_IDS
    assert (ex.ROOT / data["csv_uri"]).parent == ex.ROOT / "data" / "contacts"  # where the demo writes its CSV


def test_the_raw_temporal_start_is_one_the_worker_accepts_under_the_id_the_cli_would_use() -> None:
    argv = ex.temporal_start_argv(README)
    data = json.loads(ex.option(argv, "--input"))
    assert ex.request_problems(data, NOW) == []
    assert ex.option(argv, "--type") == "CampaignWorkflow" and ex.option(argv, "--task-queue") == "ringg-campaigns"
    assert ex.option(argv, "--workflow-id") == workflow_id_for(data["idempotency_key"], data["campaign_name"])


def test_the_typescript_request_is_one_the_worker_accepts_under_the_id_the_cli_would_use() -> None:
    data = ex.typescript_request(README)
    assert ex.request_problems(data, NOW) == []
    assert ex.typescript_workflow_id(README, data) == workflow_id_for(data["idempotency_key"], data["campaign_name"])


def test_the_program_and_ledger_fragments_complete_the_request() -> None:
    base = ex.readme_request(README)
    fragments = [yaml.safe_load(b.text) for b in ex.blocks(README, "yaml") if "plus any of" in b.text]
    assert len(fragments) == 2
    for fragment in fragments:
        assert ex.request_problems({**base, **fragment}, NOW) == [], fragment


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("call_config: {call_time:", "call_settings: {call_time:", "call_settings"),  # YAML: a renamed field
        ('"campaign_end_time": "18/10/2027, 18:00",', "", "campaign_end_time"),  # raw start: the window cut short
        ("agent_id: '830f767a", "agentId: '830f767a", "agentId"),  # TypeScript: camelCase
        ('"18/10/2027, 18:00"     #', '"18/10/2025, 18:00"     #', "campaign_end_time"),  # YAML: a window now past
    ],
)
def test_a_broken_request_example_fails_its_check(old: str, new: str, expected: str) -> None:
    assert old in README
    broken = README.replace(old, new)
    found = []
    for read in (ex.readme_request, lambda text: json.loads(ex.option(ex.temporal_start_argv(text), "--input"))):
        found += ex.request_problems(read(broken), NOW)
    found += ex.request_problems(ex.typescript_request(broken), NOW)
    assert any(expected in problem for problem in found), found


# --- the examples run on a kept demo stack ---------------------------------------------------------------------------


class Shell:
    """Runs the examples' commands as a user in the repository would, with the demo's try-it.env sourced."""

    def __init__(self, values: try_it.TryIt, work: Path) -> None:
        self.values, self.work = values, work
        self.env = {**os.environ, **values.env, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "200"}

    def run(self, argv: list[str], *, ok: bool = True, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            argv, cwd=ex.ROOT, env=self.env, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if ok:
            assert done.returncode == 0, f"{argv}\n{done.stdout}\n{done.stderr}"
        assert "ringg_request" not in done.stdout, done.stdout  # logs go to stderr: stdout is the output
        return done

    def starter(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run([sys.executable, "starter.py", *args], ok=ok)

    def in_window(self, text: str) -> str:
        """The example with the demo's window in place of its dates (the first is the start, the second the end)."""
        start, end = ex.dates(text)[:2]
        return text.replace(start, self.values.campaign_start_time).replace(end, self.values.campaign_end_time)

    def wait_stage(self, campaign: str, stages: set[str], timeout_s: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        progress: dict[str, Any] = {}
        while time.monotonic() < deadline:
            done = self.starter("status", campaign, "--json", ok=False)
            if done.returncode == 0 and done.stdout.strip() not in ("", "null"):
                progress = json.loads(done.stdout)
                if progress.get("stage") in stages:
                    return progress
            time.sleep(1)
        raise AssertionError(f"{campaign} did not reach {stages}: {progress}")


LAUNCHED = {"monitoring", "completed"}


@pytest.mark.integration
@pytest.mark.xdist_group("demo-stack")  # one demo CSV in data/contacts
def test_the_readme_examples_run_as_written_on_a_kept_demo(tmp_path: Path, demos: list[Demo]) -> None:
    demo = Demo(tmp_path / "demo", "--keep-running", "--time-scale", "0.005")
    demos.append(demo)
    demo.wait_kept()
    values = try_it.read(demo.data_dir)
    printed = demo.output()
    for value in (values.agent_id, *values.number_ids, values.campaign_start_time, values.campaign_end_time):
        assert value in printed, value  # the demo prints what the examples need
    assert f"source {demo.data_dir / try_it.ENV_NAME}" in printed
    sh = Shell(values, tmp_path)

    # "Start a campaign": the YAML through the starter (--wait left out: Ringg calls in the call hours, which on
    # the simulator's clock may be minutes away), then status, list and cancel as written.
    block = ex.block_with(README, "yaml", "campaign_start_time")
    request_file = tmp_path / "campaign.yaml"
    request_file.write_text(sh.in_window(block.text))
    started = sh.starter("start", "--request", str(request_file))
    workflow_id = started.stdout.split("workflow id ")[1].split()[0]
    assert workflow_id.startswith("campaign-renewal-reminders-ik-"), started.stdout
    sh.wait_stage(workflow_id, LAUNCHED)
    assert "Renewal reminders" in sh.starter("list").stdout
    sh.starter("cancel", workflow_id)

    # "Any Temporal client": the raw `temporal workflow start`, the temporal CLI reading TEMPORAL_ADDRESS.
    argv = ex.temporal_start_argv(README)
    argv[argv.index("--input") + 1] = sh.in_window(ex.option(argv, "--input"))
    sh.run(argv)
    sh.wait_stage("crm-batch-2026-11-24", LAUNCHED)

    # "HTTP API": the API as the README starts it, then its curl requests.
    port = devstack.free_port()
    sh.env["API_TOKEN"] = secrets.token_urlsafe(32)  # the README's `export API_TOKEN=…`
    api_env = {**sh.env, "API_PORT": str(port)}
    api_env["CAMPAIGN_UPLOAD_DIR"] = str(tmp_path / "uploads")  # the README's /shared/uploads: a shared mount
    with (tmp_path / "api.log").open("wb") as log:
        api = subprocess.Popen(
            [sys.executable, "-m", "api"], cwd=ex.ROOT, env=api_env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        devstack.wait_for_port(devstack.Proc("api", api, tmp_path / "api.log"), port, timeout_s=60)
        request = yaml.safe_load(sh.in_window(block.text))
        (tmp_path / "request.json").write_text(json.dumps(request))
        (tmp_path / "request-no-csv.json").write_text(json.dumps({k: v for k, v in request.items() if k != "csv_uri"}))
        curl_block = ex.block_with(README, "sh", "curl -sS -X POST")
        answers = []
        for _, command in ex.commands(curl_block):
            command = command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
            for name in ("request.json", "request-no-csv.json"):
                command = command.replace(f"@{name}", f"@{tmp_path / name}").replace(f"<{name}", f"<{tmp_path / name}")
            done = sh.run(["bash", "-c", f"set -o pipefail; {command} --fail-with-body"], ok=False)
            assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
            answers.append(json.loads(done.stdout))
        assert [a.get("state") for a in answers[:2]] == ["started", "started"], answers
        assert answers[2]["workflow_id"] == answers[0]["workflow_id"], answers
    finally:
        api.terminate()
        api.wait(timeout=30)

    # "Recurring campaigns": create, describe and delete the README's schedule (its template as renewals.yaml).
    template = tmp_path / "renewals.yaml"
    template.write_text(ex.block_with(README, "yaml", "window: {until:").text)
    schedule = ex.block_with(README, "sh", "schedule create renewals-daily")
    create = next(c for _, c in ex.commands(schedule) if "schedule create" in c).replace("renewals.yaml", str(template))
    sh.run(["bash", "-c", create])
    assert "renewals-daily" in sh.starter("schedule", "describe", "renewals-daily").stdout
    sh.starter("schedule", "delete", "renewals-daily", "--yes")

    # "Contact ledger": the suppression commands that need no file, on the demo's ledger.
    ledger = ex.block_with(README, "sh", "starter.py suppress add")
    for _, command in ex.commands(ledger):
        if "suppress" in command and "--file" not in command and "[" not in command:
            sh.run(["bash", "-c", command])
    assert sh.starter("suppress", "count").stdout.strip().startswith("1")  # two added, one removed
