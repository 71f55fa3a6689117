"""`make api-docs-screenshot`: the HTTP API's /docs (Swagger UI) and /redoc in headless Chromium with no network but
loopback, photographed and checked: rendered, every asset loaded from the API itself."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from devtools import devstack
from devtools.browser import Browser, BrowserError, Page, find_chromium

DATA_DIR = Path("data/ui-screenshot")
# What each page shows once it has rendered the OpenAPI document: Swagger UI's operation rows, ReDoc's menu items.
RENDERED_JS = {
    "docs": "document.querySelectorAll('.opblock').length",
    "redoc": "document.querySelectorAll('[role=menuitem], li[data-item-id]').length",
}
# Every resource the page asked for (scripts, styles, the OpenAPI document, images), failed ones included.
RESOURCES_JS = "[location.href, ...performance.getEntriesByType('resource').map(e => e.name)]"
# The URLs the page's Content-Security-Policy stopped before any request (recorded from the document's start).
RECORD_BLOCKED_JS = (
    "window.__blocked = []; "
    "document.addEventListener('securitypolicyviolation', e => window.__blocked.push(e.blockedURI))"
)


@dataclass
class DocsShot:
    page: str
    png: Path
    png_bytes: int
    rendered: int  # operations (Swagger UI) or menu items (ReDoc) on the page
    resources: list[str]
    foreign: list[str]  # resources asked of another host than the API's (none: the page needs nothing from outside)
    blocked: list[str]  # of those, the ones the page's policy stopped before a request was made

    @property
    def ok(self) -> bool:
        return self.rendered > 0 and not set(self.foreign) - set(self.blocked) and self.png_bytes > 20_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.api_docs_screenshot",
        description="Starts the HTTP API (python -m api) on 127.0.0.1 with a random token and no Temporal (the docs "
        "need none), opens /docs and /redoc in headless Chromium that can resolve no host name, waits until each has "
        "rendered the API's operations, saves a PNG of each and checks that every asset the page loaded came from the "
        "API itself. Prints the checks as JSON; exits 1 if one failed.",
    )
    parser.add_argument("--out-dir", type=Path, default=DATA_DIR, help="where the PNGs go (default data/ui-screenshot)")
    parser.add_argument("--chromium", help="the browser to use (default: $CHROMIUM, else /usr/bin/chromium)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds each page has to render (default 60)")
    return parser.parse_args(argv)


def _wait_rendered(page: Page, name: str, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    count = 0
    while time.monotonic() < deadline:
        count = int(page.evaluate(RENDERED_JS[name]) or 0)
        if count:
            time.sleep(0.5)  # let fonts and layout settle
            return int(page.evaluate(RENDERED_JS[name]) or 0)
        time.sleep(0.25)
    return count


def photograph(browser: Browser, base_url: str, name: str, png: Path, timeout_s: float) -> DocsShot:
    page = browser.new_page()
    page.call("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_BLOCKED_JS})
    page.navigate(f"{base_url}/{name}")
    rendered = _wait_rendered(page, name, timeout_s)
    size = page.screenshot(png)
    resources = [str(url) for url in page.evaluate(RESOURCES_JS) or []]
    local = urlsplit(base_url).netloc
    foreign = [url for url in resources if urlsplit(url).netloc != local and not url.startswith("data:")]
    blocked = [str(url) for url in page.evaluate("window.__blocked") or []]
    return DocsShot(name, png, size, rendered, resources, foreign, blocked)


def take_screenshots(args: argparse.Namespace) -> list[DocsShot]:
    chromium = find_chromium(args.chromium)
    if chromium is None:
        raise BrowserError("no Chromium: run `make setup-browser` (or set CHROMIUM=/path/to/chrome)")
    with tempfile.TemporaryDirectory(prefix="api-docs-shot-") as tmp:
        work = Path(tmp)
        port = devstack.free_port()
        env = {
            "API_TOKEN": secrets.token_urlsafe(24),
            "API_HOST": "127.0.0.1",
            "API_PORT": str(port),
            "CAMPAIGN_UPLOAD_DIR": str(work / "uploads"),
            "CAMPAIGN_LEDGER_URL": f"sqlite+aiosqlite:///{work / 'ledger.sqlite3'}",
            "TEMPORAL_ADDRESS": "127.0.0.1:1",  # nothing there: the docs need no Temporal
        }
        api = devstack.spawn("api", [sys.executable, "-m", "api"], work / "api.log", env=env, ports=(port,))
        try:
            devstack.wait_for_port(api, port)
            # localhost: the browser resolves that name alone (devtools.browser maps every other one to nothing).
            base_url = f"http://localhost:{port}"
            with Browser(chromium, log_path=work / "chromium.log", width=1400, height=1000) as browser:
                return [
                    photograph(browser, base_url, name, args.out_dir / f"api-{name}.png", args.timeout)
                    for name in ("docs", "redoc")
                ]
        finally:
            devstack.stop(api)


def main() -> int:
    args = parse_args()
    try:
        shots = take_screenshots(args)
    except (BrowserError, devstack.StackError) as err:
        print(f"api docs screenshot failed: {err}", file=sys.stderr)
        return 1
    report = [
        {
            "page": f"/{shot.page}",
            "png": str(shot.png),
            "png_bytes": shot.png_bytes,
            "rendered": shot.rendered,
            "resources": shot.resources,
            "foreign": shot.foreign,
            "blocked_by_page_policy": shot.blocked,
            "ok": shot.ok,
        }
        for shot in shots
    ]
    print(json.dumps(report, indent=2))
    return 0 if all(shot.ok for shot in shots) else 1


if __name__ == "__main__":
    sys.exit(main())
