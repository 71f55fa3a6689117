"""The starter's exit codes, one meaning each, so a script can branch on them (shown in every command's help)."""

from __future__ import annotations

OK = 0
FAILED = 1  # the campaign failed, was cancelled or timed out; or Temporal could not be reached
BAD_INPUT = 2  # the request or an option is invalid: nothing was started or changed
NOT_FOUND = 3  # no campaign matches the workflow ID, idempotency key or list id given
ALREADY_FINISHED = 4  # cancel of a campaign that has already ended: nothing to cancel

EPILOG = (
    "Exit codes: 0 done; 1 the campaign failed, was cancelled or timed out, or Temporal could not be reached; "
    "2 invalid input, nothing started or changed; 3 no such campaign; 4 the campaign had already ended."
)
