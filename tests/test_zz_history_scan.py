"""Runs last: scans the history of every workflow the integration tests ran on the session dev server for
API keys, contact phone numbers and contact names (DESIGN.md invariant: none may appear)."""

from __future__ import annotations

import base64
import json
import re

import pytest
from temporalio.client import Client

from devtools.sample_csv import FIRST, LAST, phone_for
from tests.stack_helpers import readable

pytestmark = pytest.mark.integration

KEY_LIKE = re.compile(r"sim-[a-z-]*key[-0-9a-f]*|sk-[A-Za-z0-9-]+")
DIGIT_RUNS = re.compile(r"\+?\d{10,13}")
CONTACT_PHONES = {phone_for(i) for i in range(1, 20_001)}
CONTACT_NAMES = {f"{first} {last}" for first in FIRST for last in LAST}


def leaks(text: str) -> list[str]:
    found = KEY_LIKE.findall(text)
    for run in DIGIT_RUNS.findall(text):
        digits = run.lstrip("+")
        if f"+{digits}" in CONTACT_PHONES or f"+91{digits}" in CONTACT_PHONES:
            found.append(run)
    found += [name for name in CONTACT_NAMES if name in text]
    return found


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


async def test_no_history_holds_a_key_phone_or_name(stack_client: Client) -> None:
    scanned, offenders = 0, {}
    async for execution in stack_client.list_workflows():
        history = await stack_client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        found = leaks(readable(history.to_json()))
        scanned += 1
        if found:
            offenders[execution.id] = sorted(set(found))[:5]
    if scanned == 0:
        pytest.skip("no workflow histories to scan: run this file after the integration tests")
    assert not offenders, f"secrets or PII in workflow history: {offenders}"
