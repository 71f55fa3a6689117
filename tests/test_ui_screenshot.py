"""The UI inspection in a real browser along `python -m devtools.ui_screenshot`'s path: the PNG is a real screenshot
and the page shows the summary, the details and the progress table; with --program, a program awaiting approval with
its pilot's figures; with --codec, the input the UI decrypts through the codec server while the raw history holds
ciphertext; with --list, the workflow list with campaign names leading their IDs. Skipped where Chromium is not
installed."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from devtools.browser import find_chromium
from devtools.try_it import EXAMPLE_AGENT_ID
from devtools.ui_screenshot import parse_args, take_codec_screenshot, take_list_screenshot, take_screenshot
from devtools.ui_stack import UI_CHECK_CSV
from domain.idempotency import campaign_slug

pytestmark = [
    pytest.mark.integration,
    # One xdist worker runs the browser checks one after another: two Chromiums and UIs at once on this
    # 2-core machine once left a page unrendered after 60 s.
    pytest.mark.xdist_group("chromium"),
    pytest.mark.skipif(
        find_chromium() is None,
        reason="no Chromium (/usr/bin/chromium): `make setup-browser` or `apt-get install chromium` runs this test",
    ),
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_screenshot_shows_summary_and_progress(tmp_path: Path) -> None:
    out = tmp_path / "shot" / "campaign-ui.png"
    report = take_screenshot(parse_args(["--data-dir", str(tmp_path), "--out", str(out), "--rows", "1200"]))

    data = out.read_bytes()
    assert report.png == out and report.png_bytes == len(data) > 40_000, "a blank page is a few kB"
    width, height = png_size(data)
    assert width == 1400 and 1000 <= height <= 4000
    assert report.ok, [c for c in report.checks if not c.ok]

    summary, details, current = report.state.frames()
    assert "Ringg campaign" in summary and "UI check" in summary, summary
    assert "Campaign UI check" in details and f"agent {EXAMPLE_AGENT_ID}" in details, details
    for row in ("Stage: monitoring", "list id", "Ringg status", "contacts", "polls"):
        assert row in current, (row, current)
    calls = report.state.calls()
    assert calls is not None and calls > 0, current
    assert "RUNNING" in report.state.page and out.with_suffix(".json").exists()


def test_program_screenshot_shows_the_pilot_awaiting_approval(tmp_path: Path) -> None:
    out = tmp_path / "shot" / "program-ui.png"
    report = take_screenshot(parse_args(["--program", "--data-dir", str(tmp_path), "--out", str(out)]))

    data = out.read_bytes()
    assert report.png == out and report.png_bytes == len(data) > 40_000, "a blank page is a few kB"
    assert png_size(data)[0] == 1400
    assert report.ok, [c for c in report.checks if not c.ok]
    assert any(c.what.startswith("current details: failures ") for c in report.checks), "no failed pilot call"

    summary, details, current = report.state.frames()
    assert "Ringg campaign program" in summary and "pilot: 12 contacts, approval manual" in details, details
    assert "Stage: awaiting approval" in current and "approve or reject by" in current, current
    for row in ("Pilot: 12 contacts, 12 dialled", "connect rate", "failure rate", "failures by sub-status", "cost"):
        assert row in current, (row, current)
    assert "main: 48 contacts, planned" in current, current  # nothing beyond the pilot launched
    assert "RUNNING" in report.state.page and out.with_suffix(".json").exists()


def test_list_screenshot_shows_campaign_names_in_the_ids(tmp_path: Path) -> None:
    """The workflow list: five campaigns (three completed), each ID led by its name's slug; the saved view of
    campaigns only holds no key claim."""
    out = tmp_path / "shot" / "workflow-list.png"
    report = take_list_screenshot(parse_args(["--list", "--data-dir", str(tmp_path), "--out", str(out)]))

    assert report.ok, [c for c in report.checks if not c.ok]
    assert report.png_bytes == len(out.read_bytes()) > 40_000 and png_size(out.read_bytes()) == (1400, 1000)
    assert png_size(report.view.png.read_bytes()) == (1400, 1000)
    for name, workflow_id in report.started.items():
        assert workflow_id.startswith(f"campaign-{campaign_slug(name)}-ik-"), (name, workflow_id)
        assert workflow_id in report.view.text
    assert "campaign-diwali-offers-ik-" in report.view.text  # the emoji is left out, the words stay
    assert "zz-claim-" not in report.text and "zz-claim-" not in report.view.text  # claims: in their own division
    assert out.with_suffix(".json").exists()


CODEC_CHECKS = {
    "the UI reached the codec server",
    "Input shows the decrypted campaign_name",
    "Input shows the decrypted csv_uri",
    "raw history: the input is ciphertext",
    "raw history: csv_uri is nowhere in it",
}


def test_codec_screenshot_shows_the_decrypted_input(tmp_path: Path) -> None:
    """The dev server's UI with --ui-codec-endpoint at the codec server on loopback (no token)."""
    out = tmp_path / "shot" / "campaign-ui-codec.png"
    report = take_codec_screenshot(
        parse_args(["--codec", "--data-dir", str(tmp_path), "--out", str(out), "--rows", "1200"])
    )

    data = out.read_bytes()
    assert report.png_bytes == len(data) > 40_000 and png_size(data) == (1400, 1000)
    assert report.ok, [c for c in report.checks if not c.ok]
    assert {c.what for c in report.checks} == CODEC_CHECKS
    assert report.state.input is not None and '"campaign_name": "UI check' in report.state.input
    assert str(UI_CHECK_CSV.resolve()) in report.state.input


def test_codec_screenshot_with_a_token_and_the_browser_session(tmp_path: Path) -> None:
    """As in the compose stack: the codec server requires its token, the browser signs in on its page, and the UI
    sends the session cookie with its codec requests (include cross-origin credentials)."""
    args = ["--codec", "--codec-token", "--data-dir", str(tmp_path), "--rows", "1200"]
    report = take_codec_screenshot(parse_args(args))

    assert report.ok, [c for c in report.checks if not c.ok]
    assert {c.what for c in report.checks} == {*CODEC_CHECKS, "signed in on the codec server's page with its token"}
    log = (tmp_path / "codec-server.log").read_text()
    assert '"POST /session HTTP/1.1\\" 303' in log and "codec_served" in log and "codec_refused" not in log
