"""A campaign triggered with nothing but the `temporal` CLI, run by `python worker.py` as a real process: the
result carries the contract's fields, and `temporal workflow show` holds no API key and no CSV phone number."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, sample_phones_and_names, write_sample_csv
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.stack_helpers import readable

pytestmark = pytest.mark.integration

SIM_KEY = "sim-raw-cli-key-91d2"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


def temporal(dev_server: devstack.Proc, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [devstack.temporal_binary(), *args, "--address", dev_server.extra["address"]],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"temporal {' '.join(args[:2])} failed: {done.stderr}"
    return done.stdout


def test_raw_temporal_cli_start_completes_without_leaking(
    dev_server: devstack.Proc, sim: RunningSimulator, tmp_path: Path
) -> None:
    task_queue = f"raw-{uuid.uuid4()}"
    worker = devstack.start_worker(
        tmp_path,
        env={
            "RINGG_API_KEY": SIM_KEY,
            "RINGG_BASE_URL": sim.base_url,
            "TEMPORAL_ADDRESS": dev_server.extra["address"],
            "RINGG_TASK_QUEUE": task_queue,
        },
    )
    try:
        csv_path = write_sample_csv(tmp_path / "contacts.csv", 5200, invalid_every=1000)  # removed by pre-flight
        request = {
            "campaign_name": "Raw CLI campaign",
            "agent_id": "agent-raw",
            "csv_uri": str(csv_path),
            "variables_map": DEFAULT_MAP,
            "from_numbers": [NUMBER_ID],
            "remove_invalid_rows": True,
            "polling": {"upload_initial_s": 0.5, "upload_max_s": 1, "monitor_initial_s": 0.5, "monitor_max_s": 2},
        }
        with SimAdmin(sim) as admin:
            request |= admin.window()  # the large flow's window and call_config, open now on the simulator's clock
        workflow_id = f"raw-{uuid.uuid4()}"
        temporal(
            dev_server,
            "workflow",
            "start",
            "--type",
            "CampaignWorkflow",
            "--task-queue",
            task_queue,
            "--workflow-id",
            workflow_id,
            "--input",
            json.dumps(request),
        )
        out = temporal(dev_server, "workflow", "result", "--workflow-id", workflow_id, "--output", "json", timeout=180)
        result = json.loads(out)["result"]
        assert result["flow"] == "large" and result["status"] == "completed" and result["list_id"]
        assert sum(result["calls_by_status"].values()) == 5195 and result["unusable_rows"] == 5

        shown = readable(temporal(dev_server, "workflow", "show", "--workflow-id", workflow_id, "--output", "json"))
        phones, names = sample_phones_and_names(csv_path)
        assert SIM_KEY not in shown
        assert not [p for p in phones if p in shown]
        assert not [n for n in names if n in shown]
        worker_log = (tmp_path / "worker.log").read_text()
        assert SIM_KEY not in worker_log and not [p for p in phones if p in worker_log]
    finally:
        devstack.stop(worker)
