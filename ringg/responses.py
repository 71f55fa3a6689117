"""Turning 2xx responses into models, and walking offset-paginated listings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .errors import RinggProtocolError

M = TypeVar("M", bound=BaseModel)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


def parse_response(response: httpx.Response, model: type[M], endpoint: str) -> M:
    failure: RinggProtocolError
    try:
        # Some endpoints may answer 200/204 with no body; models with only optional fields still parse.
        payload = response.json() if response.content.strip() else {}
    except ValueError:
        failure = RinggProtocolError(endpoint, response.status_code, f"{model.__name__}: response body is not JSON")
    else:
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            failure = RinggProtocolError(endpoint, response.status_code, f"{model.__name__}: {_summary(exc)}")
    raise failure from None


def _summary(exc: ValidationError) -> str:
    # Locations and messages only: `input` values could be PII or the workspace key.
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in errors[:5]]
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid response: " + "; ".join(parts) + more


async def collect_pages(
    fetch: Callable[[int, int], Awaitable[tuple[list[T], int | None]]], page_size: int, max_pages: int
) -> list[T]:
    """Offset pagination, deduplicated by id (rows can shift between pages while the set grows)."""
    seen: dict[str, T] = {}
    offset = 0
    for _ in range(max_pages):
        items, total = await fetch(page_size, offset)
        fresh = [item for item in items if item.id not in seen]
        seen.update((item.id, item) for item in fresh)
        offset += len(items)
        # No fresh ids means the server ignores `offset`; continuing would only repeat the same page.
        if len(items) < page_size or not fresh or (total is not None and offset >= total):
            break
    return list(seen.values())
