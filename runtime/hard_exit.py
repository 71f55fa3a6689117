"""Ending a short command-line process without the interpreter's finalization."""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def exit_without_finalizing(code: int) -> NoReturn:
    """Flushes stdout and stderr, then exits with `code` at once. The Temporal SDK's native client threads may still
    call into Python right after a quick command's last request, and a finalizing interpreter then aborts (exit 134)
    or crashes (SIGSEGV) after the work was done. Everything written is flushed first; nothing else runs at exit."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
