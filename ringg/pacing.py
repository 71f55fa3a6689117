"""The request pacer the client awaits before every request and tells of every answer: a deployment-wide
requests-per-second budget lives behind it (ledger/budget.py); the client knows nothing of where."""

from __future__ import annotations

from typing import Protocol


class RequestPacer(Protocol):
    """`acquire` returns when the request may go (or raises `RinggBudgetBusy` when the wait would be too long);
    `on_response` hears every HTTP status (None: no response) and a 429's Retry-After in seconds."""

    async def acquire(self, endpoint: str) -> None: ...

    async def on_response(self, endpoint: str, status: int | None, retry_after: float | None) -> None: ...
