"""The history leak detector: API keys, contact phone numbers and contact names in workflow histories (DESIGN.md
invariant: none may appear). conftest.py's dev_server fixture scans the session dev server with it at session end."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from temporalio.client import Client, WorkflowExecution

from contract import search_attributes as sa
from devtools.sample_csv import FIRST, LAST, phone_for
from tests.stack_helpers import readable

KEY_LIKE = re.compile(r"sim-[a-z-]*key[-0-9a-f]*|sk-[A-Za-z0-9-]+")
DIGIT_RUNS = re.compile(r"\+?\d{10,13}")
CONTACT_PHONES = {phone_for(i) for i in range(1, 20_001)}
CONTACT_NAMES = {f"{first} {last}" for first in FIRST for last in LAST}
SHOWN_PER_WORKFLOW = 5


def leaks(text: str) -> list[str]:
    found = KEY_LIKE.findall(text)
    for run in DIGIT_RUNS.findall(text):
        digits = run.lstrip("+")
        if f"+{digits}" in CONTACT_PHONES or f"+91{digits}" in CONTACT_PHONES:
            found.append(run)
    found += [name for name in CONTACT_NAMES if name in text]
    return found


@dataclass(frozen=True)
class HistoryScan:
    scanned: int  # workflow runs
    offenders: dict[str, list[str]]  # workflow id -> what its histories hold (the first few, sorted)

    def report(self) -> str:
        if not self.scanned:
            return "history scan: no workflow histories on the session dev server, nothing to scan"
        if not self.offenders:
            return (
                f"history scan: {self.scanned} workflow histories on the session dev server, "
                "no API key, contact phone number or contact name"
            )
        lines = [
            f"history scan: {len(self.offenders)} workflow id(s) of {self.scanned} workflow histories on the session "
            "dev server hold an API key, a contact phone number or a contact name (DESIGN.md: none may appear):",
            *(f"  {workflow_id}: {', '.join(found)}" for workflow_id, found in sorted(self.offenders.items())),
        ]
        return "\n".join(lines)


async def _every_workflow(client: Client) -> AsyncIterator[WorkflowExecution]:
    """The default list, then the key claims (kept out of it by their namespace division)."""
    async for execution in client.list_workflows():
        yield execution
    async for execution in client.list_workflows(sa.CLAIMS_QUERY):
        yield execution


async def scan_histories(client: Client) -> HistoryScan:
    """Reads the history of every workflow run the server lists, payloads decoded."""
    scanned = 0
    found: dict[str, set[str]] = {}
    async for execution in _every_workflow(client):
        history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        scanned += 1
        if hits := leaks(readable(history.to_json())):
            found.setdefault(execution.id, set()).update(hits)
    offenders = {workflow_id: sorted(hits)[:SHOWN_PER_WORKFLOW] for workflow_id, hits in found.items()}
    return HistoryScan(scanned, offenders)
