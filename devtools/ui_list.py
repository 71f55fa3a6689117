"""`make ui-screenshot LIST=1`: the Temporal UI's workflow list with several campaigns (some finished, some running),
their names leading their workflow IDs; the whole list and the saved view of campaigns only."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from client.launcher import start_campaign
from contract.names import CAMPAIGN_WORKFLOW
from devtools import devstack
from devtools.browser import Browser, BrowserError
from devtools.demo import demo_request
from devtools.sample_csv import CONTACTS_DIR, write_sample_csv
from devtools.ui_page import Check
from devtools.ui_stack import ShotError, connect, console

# (name, rows): the small ones finish before the screenshot, the large ones are still calling.
CAMPAIGNS = (
    ("Renewals March", 20),
    ("Win-back Q4: lapsed customers", 20),
    ("Diwali offers 🎉", 20),
    ("Onboarding follow-up", 3000),
    ("Payment reminders", 3000),
)
FINISHED_BY = 400  # rows: campaigns this small are waited for until they end
# The saved view the docs name (docs/operations.md, "Saved views"): campaigns only, no key claims or fires.
CAMPAIGNS_VIEW = f'WorkflowType="{CAMPAIGN_WORKFLOW}"'
TEXT_JS = "document.body ? document.body.innerText : ''"


@dataclass
class ListShot:
    url: str
    png: Path
    png_bytes: int
    text: str


@dataclass
class ListReport:
    """--list: the whole list (`png`) and the saved view of campaigns only (`view`)."""

    url: str
    png: Path
    png_bytes: int
    text: str  # the whole list's page text
    view: ListShot
    started: dict[str, str]
    checks: list[Check]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


async def start_campaigns(
    address: str, namespace: str, task_queue: str, sim: devstack.Proc, wait_s: float
) -> dict[str, str]:
    """Starts the campaigns (keys derived as for any request) and waits for the small ones to end; name -> ID."""
    client = await connect(address, namespace)
    started: dict[str, str] = {}
    for n, (name, rows) in enumerate(CAMPAIGNS, 1):
        csv_path = write_sample_csv(CONTACTS_DIR / f"ui-list-{n}.csv", rows)
        req = demo_request(csv_path, sim).model_copy(update={"campaign_name": name})
        outcome = await start_campaign(client, req, task_queue=task_queue)
        console.print(f"Started [bold]{name}[/] ({rows} contacts) — workflow id [cyan]{outcome.workflow_id}[/]")
        started[name] = outcome.workflow_id
    for name, rows in CAMPAIGNS:
        if rows <= FINISHED_BY:
            try:
                await asyncio.wait_for(client.get_workflow_handle(started[name]).result(), timeout=wait_s)
            except (TimeoutError, WorkflowFailureError) as err:
                raise ShotError(f"campaign {name!r} did not complete within {wait_s:.0f}s: {err}") from None
    return started


async def cancel_running(address: str, namespace: str, workflow_ids: list[str], wait_s: float = 20.0) -> None:
    """Cancels the campaigns still running (each terminated on the simulator) and waits for them to end, so a
    server that keeps its database shows them cancelled next time, not running without a worker."""
    client = await connect(address, namespace)
    handles = [client.get_workflow_handle(workflow_id) for workflow_id in workflow_ids]
    running = [h for h in handles if (await h.describe()).status == WorkflowExecutionStatus.RUNNING]
    for handle in running:
        await handle.cancel()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(h.result() for h in running), return_exceptions=True), timeout=wait_s)


def list_url(ui: str, namespace: str, query: str | None = None) -> str:
    base = f"{ui}/namespaces/{namespace}/workflows"
    return f"{base}?query={quote(query)}" if query else base


def capture_list(
    chromium: str, url: str, png: Path, *, log: Path, size: tuple[int, int], timeout_s: float, expect: list[str]
) -> ListShot:
    """Opens the list, waits until every ID in `expect` is on the page (the list refreshes from visibility), saves
    the PNG; what the page showed is returned either way (a PNG of it is saved when an ID never appeared)."""
    width, height = size
    with Browser(chromium, log_path=log, width=width, height=height) as browser:
        page = browser.new_page()
        page.navigate(url)
        deadline = time.monotonic() + timeout_s
        text = ""
        while time.monotonic() < deadline:
            text = str(page.evaluate(TEXT_JS) or "")
            if all(workflow_id in text for workflow_id in expect):
                break
            if time.monotonic() + 3 < deadline and int(deadline - time.monotonic()) % 10 == 0:
                page.navigate(url)  # the list is fetched once per load: reload while visibility catches up
            time.sleep(1.0)
        time.sleep(1.0)  # fonts and the last rows' layout
        text = str(page.evaluate(TEXT_JS) or "")
        shot = page.screenshot(png)
    if not all(workflow_id in text for workflow_id in expect):
        raise BrowserError(f"the list did not show every campaign within {timeout_s:.0f}s: {png}")
    return ListShot(url, png, shot, text)


def list_checks(shot: ListShot, started: dict[str, str], *, campaigns_only: bool) -> list[Check]:
    checks = [
        Check(f"{name!r} is listed as {workflow_id}", workflow_id in shot.text, workflow_id)
        for name, workflow_id in started.items()
    ]
    statuses = shot.text.upper()  # the UI shows statuses in capitals (CSS); innerText follows it
    checks.append(Check("some campaigns completed", "COMPLETED" in statuses, "COMPLETED"))
    checks.append(Check("some campaigns running", "RUNNING" in statuses, "RUNNING"))
    where = "the saved view" if campaigns_only else "the default list"
    checks.append(Check(f"no key claim in {where}", "zz-claim-" not in shot.text, "zz-claim-"))
    return checks
