"""Command-line client: `python starter.py start|status|watch|cancel --help`."""

from __future__ import annotations

import os
import sys

from cli.app import app
from runtime.logs import configure_logging

if __name__ == "__main__":
    # Logs (the Ringg client's, Temporal's) go to stderr, warnings and worse unless LOG_LEVEL says otherwise:
    # stdout is the command's output (tables, --json) and stays parseable.
    configure_logging(os.environ.get("LOG_LEVEL", "WARNING"), stream=sys.stderr)
    app()
