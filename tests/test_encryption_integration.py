"""Payload encryption on real parts (dev server, simulator over HTTP, workers, the codec server, the `temporal` CLI):
histories hold no phone number, from_numbers value or csv_uri; a raw JSON start still runs; keys rotate mid-campaign."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.worker import Worker

from client.launcher import start_campaign
from client.payload_codec import KEY_ID_HEADER, EncryptionCodec, PayloadDecryptError, data_converter, is_encrypted
from client.payload_keys import KEYS_ENV, PayloadKeys, new_key_entry, parse_payload_keys
from contract.campaign import CampaignRequest, CampaignResult, PollingConfig
from devtools import devstack
from devtools.sample_csv import DEFAULT_MAP, sample_phones_and_names, write_sample_csv
from ringg import RinggClient, make_http_client
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from runtime.worker_app import build_worker
from tests.crash_helpers import Diagnostics, Handle, stage_of, wait_until
from tests.history_scan import leaks
from tests.stack_helpers import REPORT_DIR, readable

pytestmark = pytest.mark.integration

SIM_KEY = "sim-codec-key-4a9d"
CALLER = "+912269976801"  # a caller number of the simulator's workspace, given as a phone number, not its id
FAST = PollingConfig(upload_initial_s=0.3, upload_max_s=1, monitor_initial_s=0.3, monitor_max_s=1)
KEY_A, KEY_B = new_key_entry("2025-01"), new_key_entry("2025-06")


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.01) as running:
        yield running


def keys(*entries: str) -> PayloadKeys:
    return parse_payload_keys(",".join(entries), KEYS_ENV)


def encrypting(client: Client, payload_keys: PayloadKeys) -> Client:
    config = client.config()
    config["data_converter"] = data_converter(payload_keys)
    return Client(**config)


@contextlib.asynccontextmanager
async def worker_on(client: Client, sim: RunningSimulator, task_queue: str) -> AsyncIterator[Worker]:
    """The production worker wiring on a given task queue (a restarted worker polls the same one)."""
    async with make_http_client(sim.base_url, SecretStr(SIM_KEY)) as http:
        worker = build_worker(client, RinggClient(http), task_queue, report_dir=REPORT_DIR)
        async with worker:
            yield worker


def campaign(csv_path: Path, sim: RunningSimulator, **overrides: Any) -> dict[str, Any]:
    with SimAdmin(sim) as admin:
        window = admin.window()  # open now on the simulator's clock
    return {
        "campaign_name": f"Encrypted {uuid.uuid4().hex[:8]}",
        "agent_id": "agent-codec",
        "csv_uri": str(csv_path),
        "variables_map": DEFAULT_MAP,
        "from_numbers": [CALLER],
        **window,
        "polling": FAST.model_dump(),
        **overrides,
    }


def payloads_in(history: WorkflowHistory) -> list[Payload]:
    """Every payload of the history the codec handles (inputs, results, side-effect markers, summaries, failures'
    encoded attributes): all but the search attributes, which the server must read, and the patch markers."""
    found: list[Payload] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("markerName") == "core_patch":
                return  # a workflow.patched marker: the patch id, written by the SDK's core outside any codec
            if isinstance(node.get("data"), str) and "metadata" in node:
                found.append(json_format.ParseDict(node, Payload()))
            for key, value in node.items():
                if key != "searchAttributes":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history.to_json()))
    return found


async def decrypted(history: WorkflowHistory, codec: EncryptionCodec) -> str:
    plain = await codec.decode(payloads_in(history))
    return "\n".join(p.data.decode("utf-8", "replace") for p in plain)


async def test_history_holds_no_phone_caller_number_or_csv_uri(
    stack_client: Client, sim: RunningSimulator, tmp_path: Path
) -> None:
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 40)
    payload_keys = keys(KEY_A)
    client = encrypting(stack_client, payload_keys)
    req = CampaignRequest.model_validate(campaign(csv_path, sim))
    async with worker_on(client, sim, f"codec-{uuid.uuid4()}") as worker:
        outcome = await start_campaign(client, req, task_queue=worker.task_queue)
        result = await outcome.handle.result()
    assert result.status == "completed" and result.total_calls == 40

    # What anyone with read access to Temporal gets: the raw history, and the visibility record.
    history = await stack_client.get_workflow_handle(outcome.workflow_id).fetch_history()
    raw = readable(history.to_json())
    phones, names = sample_phones_and_names(csv_path)
    assert not leaks(raw), leaks(raw)
    assert CALLER not in raw and CALLER.lstrip("+") not in raw, "the from_numbers value is readable"
    assert str(csv_path) not in raw and "contacts.csv" not in raw, "the csv_uri is readable"
    assert not [p for p in phones if p in raw] and not [n for n in names if n in raw]
    described = await stack_client.get_workflow_handle(outcome.workflow_id).describe()
    attributes = json.dumps({k: list(v) for k, v in described.search_attributes.items()})
    assert req.campaign_name in attributes, "search attributes stay readable (by design)"
    assert CALLER not in attributes and str(csv_path) not in attributes

    # The scan could have found them: decrypted, the same history shows both.
    payloads = payloads_in(history)
    assert payloads and all(is_encrypted(p) for p in payloads), "a payload went out unencrypted"
    text = await decrypted(history, EncryptionCodec(payload_keys))
    assert CALLER in text and str(csv_path) in text


def temporal(address: str, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [devstack.temporal_binary(), *args, "--address", address], capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"temporal {' '.join(args[:2])} failed: {done.stderr}"
    return done.stdout


def test_raw_json_start_runs_on_an_encrypting_worker(
    dev_server: devstack.Proc, sim: RunningSimulator, tmp_path: Path
) -> None:
    """Another service starts a campaign with the plain `temporal` CLI; `python worker.py` with keys runs it, writes
    only ciphertext, and `temporal workflow result --codec-endpoint … --codec-auth …` reads the result."""
    address, task_queue, token = dev_server.extra["address"], f"codec-raw-{uuid.uuid4()}", "raw-cli-codec-token-77"
    env = {
        "RINGG_API_KEY": SIM_KEY,
        "RINGG_BASE_URL": sim.base_url,
        "TEMPORAL_ADDRESS": address,
        "RINGG_TASK_QUEUE": task_queue,
        KEYS_ENV: f"{KEY_B},{KEY_A}",
    }
    worker = devstack.start_worker(tmp_path, env=env)
    codec = devstack.start_codec_server(tmp_path, env={KEYS_ENV: f"{KEY_B},{KEY_A}", "CODEC_SERVER_TOKEN": token})
    try:
        csv_path = write_sample_csv(tmp_path / "contacts.csv", 30)
        workflow_id = f"raw-codec-{uuid.uuid4()}"
        request = json.dumps(campaign(csv_path, sim, campaign_name="Raw start, encrypting worker"))
        start = ["workflow", "start", "--type", "CampaignWorkflow", "--task-queue", task_queue]
        temporal(address, *start, "--workflow-id", workflow_id, "--input", request)
        decoding = ["--codec-endpoint", codec.extra["url"], "--codec-auth", f"Bearer {token}"]
        out = temporal(address, "workflow", "result", "--workflow-id", workflow_id, "--output", "json", *decoding)
        result = json.loads(out)["result"]
        assert result["status"] == "completed" and result["total_calls"] == 30 and result["list_id"]

        shown = json.loads(temporal(address, "workflow", "show", "--workflow-id", workflow_id, "--output", "json"))
        events = shown["events"]
        started = events[0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
        assert base64.b64decode(started["metadata"]["encoding"]) == b"json/plain", "the caller's input, as sent"
        finished = events[-1]["workflowExecutionCompletedEventAttributes"]["result"]["payloads"][0]
        metadata = {key: base64.b64decode(value) for key, value in finished["metadata"].items()}
        assert metadata == {"encoding": b"binary/encrypted", KEY_ID_HEADER: b"2025-06"}, "the active key encrypts"
        later = readable(json.dumps(events[1:]))
        assert str(csv_path) not in later and CALLER not in later, "the worker wrote plaintext"
        assert "payload_encryption" in (tmp_path / "worker.log").read_text()
    finally:
        devstack.stop(codec)
        devstack.stop(worker)


async def past_validation(handle: Handle) -> bool:
    return await stage_of(handle) not in (None, "validating")


async def test_keys_rotate_while_a_campaign_runs(stack_client: Client, sim: RunningSimulator, tmp_path: Path) -> None:
    """Started under key A; the worker restarts with B (active) and A; the campaign finishes, its history holds
    payloads under both keys, and B alone could not read it."""
    task_queue = f"codec-rotate-{uuid.uuid4()}"
    csv_path = write_sample_csv(tmp_path / "contacts.csv", 200)
    req = CampaignRequest.model_validate(campaign(csv_path, sim))
    before, after = encrypting(stack_client, keys(KEY_A)), encrypting(stack_client, keys(KEY_B, KEY_A))
    diag = Diagnostics(sim)

    async with worker_on(before, sim, task_queue):
        outcome = await start_campaign(before, req, task_queue=task_queue)
        await wait_until(lambda: past_validation(outcome.handle), "the campaign is past validation", diag)
    assert (await outcome.handle.describe()).status == WorkflowExecutionStatus.RUNNING
    async with worker_on(after, sim, task_queue):
        result = await after.get_workflow_handle(outcome.workflow_id, result_type=CampaignResult).result()
    assert result.status == "completed" and result.total_calls == 200

    history = await stack_client.get_workflow_handle(outcome.workflow_id).fetch_history()
    key_ids = {p.metadata[KEY_ID_HEADER].decode() for p in payloads_in(history)}
    assert key_ids == {"2025-01", "2025-06"}, key_ids
    with pytest.raises(PayloadDecryptError, match="'2025-01'"):
        await decrypted(history, EncryptionCodec(keys(KEY_B)))
    assert str(csv_path) in await decrypted(history, EncryptionCodec(keys(KEY_B, KEY_A)))
