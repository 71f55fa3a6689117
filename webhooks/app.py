"""The receiver as its own service (`python -m webhooks`): the router plus a health check."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI
from temporalio.client import Client

from client.event_dedupe import Deduper
from client.event_forwarder import Forwarder
from client.webhook_ledger import WebhookLedger
from client.webhook_receiver import webhook_router
from ledger.engine import ledger_url
from ledger.store import Ledger
from runtime.webhook_settings import WebhookSettings


def create_app(settings: WebhookSettings, client: Client) -> FastAPI:
    forwarder = Forwarder(client, settings.flush_s)
    ledger = Ledger.open(ledger_url(os.environ))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await forwarder.close()
        await ledger.close()

    app = FastAPI(title="Ringg webhook receiver", lifespan=lifespan, docs_url=None, redoc_url=None)
    deduper = Deduper(settings.dedupe_ttl_s)
    app.include_router(webhook_router(settings.secret, settings.header, forwarder, deduper, WebhookLedger(ledger)))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
