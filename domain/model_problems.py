"""pydantic's validation errors as `field.path: what is wrong` lines, never with the values sent."""

from __future__ import annotations

from pydantic import ValidationError


def model_problems(err: ValidationError, limit: int | None = None) -> list[str]:
    """One line per error, at most `limit`; the values are left out (they may hold phone numbers or secrets)."""
    errors = err.errors(include_input=False, include_url=False, include_context=False)
    return [f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in errors[:limit]]
