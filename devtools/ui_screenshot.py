"""`make ui-screenshot`: the campaign as an operator sees it in the Temporal UI, photographed and checked in a
real browser (`python -m devtools.ui_screenshot --help`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devtools import devstack
from devtools.browser import BrowserError, find_chromium
from devtools.ui_capture import capture
from devtools.ui_codec import CodecReport, SignIn, capture_input, input_checks, raw_history_checks
from devtools.ui_list import (
    CAMPAIGNS_VIEW,
    ListReport,
    cancel_running,
    capture_list,
    list_checks,
    list_url,
    start_campaigns,
)
from devtools.ui_page import Check, PageState, page_checks
from devtools.ui_program import existing_program_target, start_pilot_program, wait_awaiting_approval
from devtools.ui_stack import (
    UI_CHECK_CSV,
    ShotError,
    Target,
    cancel,
    console,
    existing_target,
    stack,
    start,
    wait_for_ui,
    wait_monitoring,
)

DATA_DIR = Path("data/ui-screenshot")


@dataclass
class ShotReport:
    url: str
    png: Path
    png_bytes: int
    state: PageState
    checks: list[Check]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.ui_screenshot",
        description="`make ui-screenshot`: the campaign as an operator sees it in the Temporal UI, in a real browser. "
        "Starts the embedded stack as the demo does (dev server with its UI, Ringg simulator, a worker; or reuses a "
        "Temporal server with --address/--ui-url), starts a campaign slow enough to be running, waits until it is "
        "monitoring with calls counted, opens its User Metadata tab in headless Chromium, waits for the summary, "
        "details and current details (progress table) to render, checks them against the campaign, saves a PNG "
        "and prints what it checked. Then it cancels the campaign and stops what it started. --workflow-id only "
        "photographs an existing campaign. --codec encrypts the payloads instead (a fresh key), runs the codec server "
        "on loopback with the dev server's UI pointed at it, photographs the workflow's Input card as the UI decrypts "
        "it and checks that the raw history holds only ciphertext. --program starts a campaign program instead (a "
        "pilot wave approved by hand), waits until its pilot has run and it is awaiting approval, and checks that "
        "the current details show the stage, the approve-by deadline and the pilot's figures. --list starts five "
        "campaigns instead, waits until the three small ones have completed, and photographs the workflow list (their "
        'names lead their workflow IDs) and the saved view of campaigns only (WorkflowType="CampaignWorkflow").',
    )
    parser.add_argument(
        "--out", type=Path, help="PNG to write (default: <data-dir>/campaign-ui.png; --program: program-ui.png)"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=DATA_DIR, help=f"logs and SQLite (default {DATA_DIR}); the CSV: data/contacts"
    )
    parser.add_argument("--rows", type=int, help="contacts in the campaign (default 1500; --program: 60)")
    parser.add_argument("--time-scale", type=float, help="simulator time scale (default 0.05; --program: 0.005)")
    parser.add_argument("--address", help="reuse this Temporal server (host:port) instead of starting one")
    parser.add_argument("--ui-url", help="its Web UI, e.g. http://localhost:8233 (with --address)")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--workflow-id", help="photograph this existing campaign (needs --address and --ui-url)")
    parser.add_argument("--chromium", help="browser executable (default: $CHROMIUM or /usr/bin/chromium)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for each wait (default 60)")
    parser.add_argument("--codec", action="store_true", help="encrypted payloads, decrypted by the UI's codec server")
    parser.add_argument(
        "--codec-token",
        action="store_true",
        help="with --codec: the codec server requires a token, as in the compose stack; the browser signs in on its "
        "page and the UI (its codec setting 'include cross-origin credentials') sends the session cookie",
    )
    parser.add_argument("--program", action="store_true", help="a program awaiting approval of its pilot wave")
    parser.add_argument(
        "--list",
        action="store_true",
        help="the workflow list: several campaigns, some completed, their names in the IDs",
    )
    parser.add_argument("--pilot-rows", type=int, default=12, help="with --program: the pilot's contacts (default 12)")
    args = parser.parse_args(argv)
    args.rows = args.rows or (60 if args.program else 1500)
    args.time_scale = args.time_scale or (0.005 if args.program or args.list else 0.05)
    if args.list and (args.program or args.codec or args.workflow_id):
        parser.error("--list is a screenshot of its own: drop --program, --codec and --workflow-id")
    if args.program and args.codec:
        parser.error("--program and --codec are separate screenshots: pick one")
    if args.program and not 0 < args.pilot_rows < args.rows:
        parser.error("--pilot-rows must be at least 1 and fewer than --rows (the rest wait for approval)")
    if args.codec_token and not args.codec:
        parser.error("--codec-token goes with --codec")
    if args.codec and args.address:
        parser.error("--codec starts its own dev server (its UI must point at the codec server): drop --address")
    if (args.address is None) != (args.ui_url is None):
        parser.error("--address and --ui-url go together")
    if args.workflow_id and not args.address:
        parser.error("--workflow-id needs --address and --ui-url")
    return args


# --- the screenshot --------------------------------------------------------------------------------------------


def _chromium(args: argparse.Namespace) -> str:
    chromium = find_chromium(args.chromium)
    if chromium is None:
        tried = args.chromium or os.environ.get("CHROMIUM") or "/usr/bin/chromium"
        raise ShotError(f"no Chromium at {tried}: `sudo apt-get install chromium` (`make setup-browser`) or --chromium")
    return chromium


def take_screenshot(args: argparse.Namespace) -> ShotReport:
    chromium = _chromium(args)
    data: Path = args.data_dir
    data.mkdir(parents=True, exist_ok=True)
    png: Path = args.out or data / ("program-ui.png" if args.program else "campaign-ui.png")
    if args.workflow_id:
        existing = existing_program_target if args.program else existing_target
        target = asyncio.run(existing(args.address, args.namespace, args.workflow_id))
        return _photograph(chromium, args, args.ui_url.rstrip("/"), target, png, data)
    with stack(args, data) as running:
        address, queue = running.address, running.task_queue
        if args.program:
            workflow_id = asyncio.run(
                start_pilot_program(address, args.namespace, args.rows, args.pilot_rows, queue, running.sim)
            )
        else:
            workflow_id = asyncio.run(start(address, args.namespace, data, args.rows, queue, running.sim))
        try:
            wait = wait_awaiting_approval if args.program else wait_monitoring
            target = asyncio.run(wait(address, args.namespace, workflow_id, args.timeout))
            return _photograph(chromium, args, running.ui, target, png, data)
        finally:
            asyncio.run(cancel(running.address, args.namespace, workflow_id))


def take_codec_screenshot(args: argparse.Namespace) -> CodecReport:
    """--codec: the workflow page's Input card, decrypted by the UI through the codec server; the raw history
    checked for ciphertext."""
    chromium = _chromium(args)
    data: Path = args.data_dir
    data.mkdir(parents=True, exist_ok=True)
    png: Path = args.out or data / "campaign-ui-codec.png"
    with stack(args, data) as running:
        address, namespace, keys = running.address, args.namespace, running.keys
        workflow_id = asyncio.run(start(address, namespace, data, args.rows, running.task_queue, running.sim, keys))
        try:
            target = asyncio.run(wait_monitoring(address, namespace, workflow_id, args.timeout, keys))
            url = f"{running.ui}/namespaces/{namespace}/workflows/{target.workflow_id}/{target.run_id}/history"
            wait_for_ui(running.ui, args.timeout)
            console.print(f"Opening {url}")
            codec = running.codec
            how = SignIn(codec.url, codec.token, running.ui) if codec and codec.token else None
            size, state, signed = capture_input(
                chromium,
                url,
                png,
                log=data / "chromium.log",
                size=(args.width, args.height),
                timeout_s=args.timeout,
                signing_in=how,
            )
            name, csv_uri = target.expected.campaign_name, str(UI_CHECK_CSV.resolve())
            raw = asyncio.run(raw_history_checks(address, namespace, target.workflow_id, target.run_id, name, csv_uri))
            report = CodecReport(url, png, size, state, [*signed, *input_checks(state, name, csv_uri), *raw])
            png.with_suffix(".json").write_text(json.dumps({**asdict(report), "png": str(png)}, indent=2, default=str))
            return report
        finally:
            asyncio.run(cancel(address, namespace, workflow_id, keys=keys))


def take_list_screenshot(args: argparse.Namespace) -> ListReport:
    """--list: the workflow list with the campaigns this starts (some completed, some running), then the saved
    view of campaigns only."""
    chromium = _chromium(args)
    data: Path = args.data_dir
    data.mkdir(parents=True, exist_ok=True)
    png: Path = args.out or data / "workflow-list.png"
    view_png = png.with_name(png.stem + "-campaigns.png")
    with stack(args, data) as running:
        started = asyncio.run(
            start_campaigns(running.address, args.namespace, running.task_queue, running.sim, args.timeout)
        )
        try:
            wait_for_ui(running.ui, args.timeout)
            expect, size = list(started.values()), (args.width, args.height)
            shots = []
            for shot_png, query in ((png, None), (view_png, CAMPAIGNS_VIEW)):
                url = list_url(running.ui, args.namespace, query)
                console.print(f"Opening {url}")
                log = data / "chromium.log"
                shots.append(
                    capture_list(chromium, url, shot_png, log=log, size=size, timeout_s=args.timeout, expect=expect)
                )
        finally:
            asyncio.run(cancel_running(running.address, args.namespace, list(started.values())))
    whole, view = shots
    checks = [*list_checks(whole, started, campaigns_only=False), *list_checks(view, started, campaigns_only=True)]
    notes = [f"saved view {CAMPAIGNS_VIEW}: {view.png}"]
    report = ListReport(whole.url, whole.png, whole.png_bytes, whole.text, view, started, checks, notes)
    png.with_suffix(".json").write_text(json.dumps(asdict(report), indent=2, default=str))
    return report


def _photograph(chromium: str, args: argparse.Namespace, ui: str, target: Target, png: Path, data: Path) -> ShotReport:
    url = f"{ui}/namespaces/{args.namespace}/workflows/{target.workflow_id}/{target.run_id}/user-metadata"
    wait_for_ui(ui, args.timeout)
    console.print(f"Opening {url}")
    size, state = capture(
        chromium, url, png, log=data / "chromium.log", size=(args.width, args.height), timeout_s=args.timeout
    )
    notes = []
    if target.continued:
        notes.append(
            "this run was continued as new: the Python SDK's continue_as_new takes no static summary/details, "
            "so they stay on the campaign's first run"
        )
    report = ShotReport(url, png, size, state, page_checks(state, target.expected), notes)
    png.with_suffix(".json").write_text(json.dumps({**asdict(report), "png": str(png)}, indent=2, default=str))
    return report


def run(args: argparse.Namespace) -> int:
    try:
        report: ShotReport | CodecReport | ListReport = (
            take_codec_screenshot(args)
            if args.codec
            else take_list_screenshot(args)
            if args.list
            else take_screenshot(args)
        )
    except (ShotError, BrowserError, devstack.StackError) as err:
        console.print(f"[bold red]ui-screenshot failed:[/] {err}")
        return 2
    for check in report.checks:
        mark = "[green]✓[/]" if check.ok else "[bold red]✗[/]"
        console.print(f" {mark} {check.what}: [dim]{check.seen}[/]")
    for note in report.notes:
        console.print(f" [yellow]note:[/] {note}")
    console.print(
        f"Screenshot: {report.png} ({report.png_bytes:,} bytes); page text: {report.png.with_suffix('.json')}"
    )
    return 0 if report.ok else 1


def main() -> None:
    sys.exit(run(parse_args()))


if __name__ == "__main__":
    main()
