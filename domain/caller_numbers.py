"""Whether a request's from_numbers are numbers of the Ringg workspace (by id or phone number): one rule for the
worker's check before upload and the entry points' check before a campaign is started."""

from __future__ import annotations

from collections.abc import Sequence

from ringg import WorkspaceNumber


def _digits(value: str | None) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def by_key(numbers: Sequence[WorkspaceNumber]) -> dict[str, WorkspaceNumber]:
    """The workspace's numbers by id and by the digits of the number."""
    return {n.id: n for n in numbers} | {_digits(n.number): n for n in numbers if n.number}


def find(from_number: str, known: dict[str, WorkspaceNumber]) -> WorkspaceNumber | None:
    return known.get(from_number) or known.get(_digits(from_number))


def unknown_numbers_problem(from_numbers: Sequence[str], numbers: Sequence[WorkspaceNumber]) -> str | None:
    """None when every from_number is a workspace number; else what is wrong and which numbers exist."""
    known = by_key(numbers)
    unknown = [f for f in from_numbers if find(f, known) is None]
    if not unknown:
        return None
    listed = ", ".join(f"{n.number} ({n.id})" for n in numbers[:20]) or "none"
    return (
        f"from_numbers {', '.join(unknown)} are not numbers of this Ringg workspace. "
        f"Use a number id or phone number from GET /workspace/numbers: {listed}"
    )
