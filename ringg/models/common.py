"""Shared pydantic bases and lenient field types for Ringg's loosely documented JSON."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator


class RinggRequest(BaseModel):
    """Request bodies: typos in field names fail loudly instead of being silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RinggResponse(BaseModel):
    """Response bodies: unknown fields survive (Ringg's schemas drift), ids may arrive as numbers."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)

    # field -> other names Ringg uses for it; the first non-null value wins (docs and fixtures disagree).
    _aliases: ClassVar[dict[str, tuple[str, ...]]] = {}
    # keys never kept on the model, not even as extras (bulk PII, secrets).
    _dropped: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def _prepare(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Hook for subclasses: reshape the raw dict (a copy) before keys are dropped and aliases resolved."""
        return data

    @classmethod
    def _wrap(cls, data: Any) -> Any:
        """Hook for subclasses that also accept a non-dict body (e.g. a bare list)."""
        return data

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        data = cls._wrap(data)
        if not isinstance(data, dict):
            return data
        data = cls._prepare(dict(data))
        for key in cls._dropped:
            data.pop(key, None)
        for name, aliases in cls._aliases.items():
            value = first_present(data, name, *aliases)
            for alias in aliases:
                data.pop(alias, None)
            if value is not None:
                data[name] = value
        return data

    def __repr_args__(self) -> Iterator[tuple[str, Any]]:
        # Only declared, repr-enabled fields: extras can hold anything, including callee PII.
        for name, field in type(self).model_fields.items():
            if field.repr:
                yield name, getattr(self, name)


def _blank_to_none(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def _lenient_int(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            # Let pydantic reject it with its own message: ours would quote the (possibly PII) input.
            return value
        return int(number) if math.isfinite(number) and number.is_integer() else value
    return value


def _lenient_float(value: Any) -> Any:
    value = _blank_to_none(value)
    return value.strip() if isinstance(value, str) else value


_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})


def _lenient_bool(value: Any) -> Any:
    """A flag Ringg may send as a bool, 0/1 or a word; anything else reads as unknown (None), never an error."""
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None


def _lower(value: Any) -> Any:
    value = _blank_to_none(value)
    return value.strip().lower() if isinstance(value, str) else value


# Counts and credits: accept "12", "12.0", "" (as None) as well as numbers.
OptInt = Annotated[int | None, BeforeValidator(_lenient_int)]
OptFloat = Annotated[float | None, BeforeValidator(_lenient_float)]
# Informational flags (e.g. has_ongoing_calls): an unexpected value must not fail the whole response.
OptBool = Annotated[bool | None, BeforeValidator(_lenient_bool)]
# Status vocabularies are open-ended and inconsistently cased; compare them lower-cased.
LowerStr = Annotated[str | None, BeforeValidator(_lower)]


def first_present(data: dict[str, Any], *keys: str) -> Any:
    """The first key whose value is not None (used where aliases may coexist with nulls)."""
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None
