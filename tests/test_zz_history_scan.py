"""Runs last: scans the history of every workflow the integration tests ran on the session dev server for
API keys, contact phone numbers and contact names (DESIGN.md invariant: none may appear)."""

from __future__ import annotations

import pytest
from temporalio.client import Client

from tests.history_scan import scan_histories

pytestmark = pytest.mark.integration


async def test_no_history_holds_a_key_phone_or_name(stack_client: Client) -> None:
    scan = await scan_histories(stack_client)
    if scan.scanned == 0:
        pytest.skip("no workflow histories to scan: run this file after the integration tests")
    assert not scan.offenders, scan.report()
