"""Command-line client: `python starter.py start|status|watch|cancel --help`."""

from __future__ import annotations

from cli.app import app

if __name__ == "__main__":
    app()
