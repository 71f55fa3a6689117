"""The process's one log configuration: JSON lines off a terminal, with plain text only (uvicorn's colour copy of
its message and any ANSI escape taken out)."""

from __future__ import annotations

import io
import json
import logging

import structlog

from runtime.logs import configure_logging


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_uvicorn_color_message_and_ansi_codes_stay_out_of_json_logs() -> None:
    out = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    saved = structlog.get_config()
    try:
        configure_logging("INFO", json=True, stream=out)
        # As uvicorn logs (its own loggers' settings belong to whichever test ran uvicorn in this process).
        logging.getLogger("tests.uvicorn_like").info(
            "Uvicorn running on %s", "http://127.0.0.1:8000", extra={"color_message": "\x1b[1m%s\x1b[0m running"}
        )
        logging.getLogger("some.lib").warning("\x1b[31mred\x1b[0m text")
        structlog.get_logger("ours").info("campaign_started", list_id="list-1")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        structlog.configure(**saved)
    lines = _lines(out)
    assert [line["event"] for line in lines] == [
        "Uvicorn running on http://127.0.0.1:8000",
        "red text",
        "campaign_started",
    ]
    assert "\x1b" not in out.getvalue() and "\\u001b" not in out.getvalue()
    assert all("color_message" not in line for line in lines)
