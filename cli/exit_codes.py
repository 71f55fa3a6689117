"""The starter's exit codes, one meaning each, so a script can branch on them (shown in every command's help)."""

from __future__ import annotations

import typer

OK = 0
FAILED = 1  # the campaign failed, was cancelled or timed out; or Temporal could not be reached
BAD_INPUT = 2  # the request or an option is invalid: nothing was started or changed
NOT_FOUND = 3  # no campaign (program, schedule) matches the workflow ID, idempotency key or list id given
ALREADY_FINISHED = 4  # cancel of a campaign that has already ended: nothing to cancel

EPILOG = (
    "Exit codes: 0 done; 1 the campaign failed, was cancelled or timed out, or Temporal could not be reached; "
    "2 invalid input, nothing started or changed; 3 no such campaign, program or schedule; 4 the campaign had "
    "already ended (cancel). With --json, stdout holds only JSON; messages go to stderr."
)


def add_epilog(app: typer.Typer) -> None:
    """Every command's help ends with the exit codes (a command that sets its own epilog keeps it)."""
    for command in app.registered_commands:
        command.epilog = command.epilog or EPILOG
    for group in app.registered_groups:
        if group.typer_instance is not None:
            add_epilog(group.typer_instance)
