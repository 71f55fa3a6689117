"""The history leak detector that conftest.py's dev_server fixture runs over the session dev server at session end:
what it finds, in payloads as Temporal stores them, and how it reports each leaking workflow id."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from temporalio.client import Client, WorkflowHistory

from contract import search_attributes as sa
from devtools.sample_csv import phone_for
from tests.history_scan import leaks, scan_histories
from tests.stack_helpers import readable

GOLDEN = Path(__file__).parent / "histories"


def test_leak_detector_detects_what_it_looks_for() -> None:
    assert leaks(f'{{"x": "{phone_for(42)}", "k": "sim-test-key-7f3a", "n": "Asha Sharma"}}')
    assert leaks(phone_for(7).lstrip("+"))
    # History JSON keeps payloads base64-encoded: the scan reads them decoded.
    payload = base64.b64encode(json.dumps({"to": phone_for(9)}).encode()).decode()
    encoded = json.dumps(
        {"events": [{"input": {"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": payload}]}}]}
    )
    assert not leaks(encoded) and leaks(readable(encoded))
    assert not leaks('{"eventTime": "2026-11-23T16:59:01.123456789Z", "list_id": "e3e70682-c209"}')


@dataclass
class Execution:
    id: str
    run_id: str


class FakeClient:
    """What scan_histories uses of a Temporal client, over recorded histories: (workflow id, run id) -> history."""

    def __init__(self, histories: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.histories = histories

    async def list_workflows(self, query: str | None = None) -> AsyncIterator[Execution]:
        """The default list holds every workflow but the key claims, which only their division's query lists."""
        for workflow_id, run_id in self.histories:
            if workflow_id.startswith("zz-claim-") == (query == sa.CLAIMS_QUERY):
                yield Execution(workflow_id, run_id)

    def get_workflow_handle(self, workflow_id: str, *, run_id: str) -> FakeHandle:
        return FakeHandle(workflow_id, self.histories[workflow_id, run_id])


@dataclass
class FakeHandle:
    workflow_id: str
    history: dict[str, Any]

    async def fetch_history(self) -> WorkflowHistory:
        return WorkflowHistory.from_json(self.workflow_id, self.history)


def golden(name: str, **input_changes: Any) -> dict[str, Any]:
    """A recorded history, its workflow input (a base64 payload, as stored) changed by `input_changes`."""
    history: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    payload = history["events"][0]["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    request = json.loads(base64.b64decode(payload["data"])) | input_changes
    payload["data"] = base64.b64encode(json.dumps(request).encode()).decode()
    return history


async def test_scan_names_each_leaking_workflow_id_and_what_it_holds() -> None:
    client = FakeClient(
        {
            ("clean-standard", "run-1"): golden("standard_flow"),
            ("clean-large", "run-1"): golden("large_flow"),
            ("leaky", "run-1"): golden("standard_flow", campaign_name=f"Call {phone_for(1)}"),
            ("leaky", "run-2"): golden("large_flow", agent_id="sim-test-key-7f3a"),
            ("named", "run-1"): golden("large_flow", campaign_name="Renewal for Asha Sharma"),
            # Out of the default list (a key claim's namespace division): scanned all the same.
            ("zz-claim-ik-1", "run-1"): golden("standard_flow", campaign_name="Renewal for Asha Sharma"),
        }
    )

    scan = await scan_histories(cast(Client, client))

    assert scan.scanned == 6
    assert scan.offenders == {
        "leaky": sorted([phone_for(1), "sim-test-key-7f3a"]),
        "named": ["Asha Sharma"],
        "zz-claim-ik-1": ["Asha Sharma"],
    }
    report = scan.report()
    assert "3 workflow id(s) of 6 workflow histories" in report
    assert f"  leaky: {', '.join(sorted([phone_for(1), 'sim-test-key-7f3a']))}" in report.splitlines()
    assert "  named: Asha Sharma" in report.splitlines()
    assert "clean-" not in report


async def test_scan_of_clean_or_no_histories_finds_nothing() -> None:
    clean = await scan_histories(cast(Client, FakeClient({("clean", "run-1"): golden("balance_topped_up")})))
    assert (clean.scanned, clean.offenders) == (1, {})
    assert "1 workflow histories" in clean.report() and "no API key" in clean.report()

    empty = await scan_histories(cast(Client, FakeClient({})))
    assert (empty.scanned, empty.offenders) == (0, {})
    assert "nothing to scan" in empty.report()
