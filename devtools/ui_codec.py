"""`python -m devtools.ui_screenshot --codec`: the UI shows a campaign's input decrypted by the codec server while the
raw history holds only ciphertext; the Input card is photographed in headless Chromium and both are checked."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from client.connect import connect_when_ready
from client.converter import DATA_CONVERTER
from client.payload_codec import KEY_ID_HEADER, is_encrypted
from devtools.browser import Browser, Page
from devtools.ui_page import SETTLE_JS, Check, flat

# The workflow page's Input and Result cards (code editors) and the UI's codec status icon.
INPUT_JS = (
    "(() => { const box = document.querySelector('[data-testid=\"input-and-result\"]');"
    " const code = box ? [...box.querySelectorAll('.cm-content')].map(e => e.innerText) : [];"
    " const status = [...document.querySelectorAll('[data-testid^=\"data-encoder-status\"]')]"
    ".map(e => e.getAttribute('data-testid'));"
    " return { input: code[0] ?? null, result: code[1] ?? null, status }; })()"
)
STATUS_OK = "data-encoder-status-success"


@dataclass(frozen=True)
class InputState:
    input: str | None
    result: str | None
    statuses: tuple[str, ...]

    @classmethod
    def from_js(cls, value: object) -> InputState:
        raw = value if isinstance(value, dict) else {}
        texts = {key: raw.get(key) if isinstance(raw.get(key), str) else None for key in ("input", "result")}
        statuses = raw.get("status")
        found = tuple(s for s in statuses if isinstance(s, str)) if isinstance(statuses, list) else ()
        return cls(texts["input"], texts["result"], found)

    def settled(self) -> bool:
        """The Input card shows something and the UI has heard back from the codec server (success or error)."""
        return bool(flat(self.input)) and any(s.endswith(("-success", "-error")) for s in self.statuses)


@dataclass
class CodecReport:
    url: str
    png: Path
    png_bytes: int
    state: InputState
    checks: list[Check]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


@dataclass(frozen=True)
class SignIn:
    """--codec-token: what an operator of the compose stack does once per browser."""

    codec_url: str
    token: str
    ui: str


def _wait_for(page: Page, condition: str, deadline: float) -> bool:
    while not page.evaluate(condition):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def sign_in(page: Page, how: SignIn, deadline: float) -> Check:
    """Signs in on the codec server's page (its session cookie is then this browser's), and sets the UI's own codec
    setting as its "Codec Server" dialog does: this endpoint, with cross-origin credentials (the compose stack sets
    the same for every browser with TEMPORAL_CODEC_ENDPOINT and TEMPORAL_CODEC_INCLUDE_CREDENTIALS)."""
    page.navigate(f"{how.codec_url}/")
    _wait_for(page, "document.querySelector('input[name=token]') !== null", deadline)
    page.evaluate(
        "(() => { const form = document.querySelector('form');"
        f" form.querySelector('input[name=token]').value = {json.dumps(how.token)}; form.submit(); return true; }})()"
    )
    signed = _wait_for(page, "document.body !== null && document.body.innerText.includes('Signed in until')", deadline)
    page.navigate(f"{how.ui}/")
    _wait_for(page, f"location.origin === {json.dumps(how.ui)} && document.readyState === 'complete'", deadline)
    page.evaluate(
        f"localStorage.setItem('endpoint', {json.dumps(json.dumps(how.codec_url))});"
        " localStorage.setItem('includeCredentials', 'true');"
        " localStorage.setItem('overrideRemoteCodecConfiguration', 'true'); true"
    )
    return Check("signed in on the codec server's page with its token", signed, "session cookie set" if signed else "")


def capture_input(
    chromium: str,
    url: str,
    png: Path,
    *,
    log: Path,
    size: tuple[int, int],
    timeout_s: float,
    signing_in: SignIn | None = None,
) -> tuple[int, InputState, list[Check]]:
    """Opens the workflow page (after signing in, with `signing_in`), waits until the Input card has settled (the
    same twice in a row) and saves a PNG."""
    width, height = size
    with Browser(chromium, log_path=log, width=width, height=height) as browser:
        page = browser.new_page()
        deadline = time.monotonic() + timeout_s
        signed = [sign_in(page, signing_in, deadline)] if signing_in else []
        page.navigate(url)
        previous, state = None, InputState.from_js(page.evaluate(INPUT_JS))
        while not (state.settled() and state == previous) and time.monotonic() < deadline:
            time.sleep(0.5)
            previous, state = state, InputState.from_js(page.evaluate(INPUT_JS))
        page.evaluate(SETTLE_JS)
        return page.screenshot(png), state, signed


def _seen(text: str | None, needle: str) -> str:
    body = flat(text)
    at = body.find(needle)
    return (body[at : at + 90] if at >= 0 else body[:90]) or "(empty)"


def input_checks(state: InputState, campaign_name: str, csv_uri: str) -> list[Check]:
    """The editor renders the lines in view only: the first fields of the input."""
    text = flat(state.input)
    return [
        Check("the UI reached the codec server", STATUS_OK in state.statuses, ", ".join(state.statuses) or "(none)"),
        Check(
            "Input shows the decrypted campaign_name",
            f'"campaign_name": "{campaign_name}"' in text,
            _seen(state.input, '"campaign_name"'),
        ),
        Check("Input shows the decrypted csv_uri", f'"csv_uri": "{csv_uri}"' in text, _seen(state.input, '"csv_uri"')),
    ]


async def raw_history_checks(
    address: str, namespace: str, workflow_id: str, run_id: str, campaign_name: str, csv_uri: str
) -> list[Check]:
    """What anyone with read access to Temporal sees, without the keys: ciphertext."""
    plain = await connect_when_ready(address, namespace, timeout_s=5, converter=DATA_CONVERTER)
    history = await plain.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    [start] = history.events[0].workflow_execution_started_event_attributes.input.payloads
    key_id = start.metadata.get(KEY_ID_HEADER, b"").decode()
    encoding = start.metadata.get("encoding", b"").decode()
    return [
        Check(
            "raw history: the input is ciphertext",
            is_encrypted(start) and campaign_name.encode() not in start.SerializeToString(),
            f"encoding {encoding}, key id {key_id or '(none)'}",
        ),
        Check(
            "raw history: csv_uri is nowhere in it",
            csv_uri.encode() not in raw,
            f"{len(history.events)} events, {len(raw):,} bytes searched",
        ),
    ]
