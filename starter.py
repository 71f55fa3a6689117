"""Command-line client: `python starter.py start|status|watch|cancel --help`."""

from __future__ import annotations

import os
import sys

from cli.app import app
from runtime.hard_exit import exit_without_finalizing
from runtime.logs import configure_logging


def main() -> int:
    # Logs (the Ringg client's, Temporal's) go to stderr, warnings and worse unless LOG_LEVEL says otherwise:
    # stdout is the command's output (tables, --json) and stays parseable.
    configure_logging(os.environ.get("LOG_LEVEL", "WARNING"), stream=sys.stderr)
    try:
        app()
    except SystemExit as done:  # how typer ends every command
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


if __name__ == "__main__":
    exit_without_finalizing(main())
