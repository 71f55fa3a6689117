"""The FastAPI application: `create_app(settings, client)` wires the routes, bearer auth, error bodies and the
OpenAPI document (with CampaignRequest's public schema)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from temporalio.client import Client

from api.auth import BearerMiddleware, bearer_auth
from api.campaign_contacts import campaign_contacts_router
from api.campaigns import campaigns_router
from api.context import ApiContext
from api.docs_pages import install_docs
from api.errors import ErrorBody, error_response, install_error_handlers, temporal_failure
from api.ledger_access import LedgerAccess
from api.programs import programs_router
from api.schedules import schedules_router
from api.settings import ApiSettings
from api.store import UploadStore
from api.suppressions import suppressions_router
from client.caller_numbers import WorkspaceNumbers
from client.event_dedupe import Deduper
from client.event_forwarder import Forwarder
from client.start_checks import StartChecks
from client.webhook_ledger import WebhookLedger
from client.webhook_receiver import webhook_router
from contract.request_schema import program_json_schema, request_json_schema
from ledger.engine import URL_ENV, ledger_url
from ringg import RinggClient, make_http_client
from runtime.ringg_pacer import ringg_pacer
from runtime.settings import csv_sources, events_targets
from runtime.webhook_settings import WebhookSettings

DESCRIPTION = """Start, inspect, list and cancel Ringg campaigns running on Temporal, manage recurring campaigns,
the contact ledger's suppression list, and read a campaign's contacts as the ledger recorded them. Every route but
/healthz and the docs needs `Authorization: Bearer <API_TOKEN>`. Errors answer `{"error": ..., "problems": [...]}`."""


class Health(BaseModel):
    status: str = "ok"
    temporal: str = "reachable"
    namespace: str


class CampaignApi(FastAPI):
    def openapi(self) -> dict[str, Any]:
        """FastAPI's document, plus the CampaignRequest schema that POST /v1/campaigns takes as JSON (read by hand:
        the same route also takes a form)."""
        if self.openapi_schema is None:
            schema = get_openapi(
                title=self.title, version=self.version, description=self.description, routes=self.routes
            )
            request_schema = request_json_schema("#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(request_schema.pop("$defs", {}))
            components["CampaignRequest"] = request_schema
            program_schema = program_json_schema("#/components/schemas/{model}")
            components.update(program_schema.pop("$defs", {}))
            components["ProgramRequest"] = program_schema
            self.openapi_schema = schema
        return self.openapi_schema


# How long the API's caller-number check waits for a slot in the Ringg budget; when busy, the worker checks.
CHECK_WAIT_S = 2.0


def create_app(settings: ApiSettings, client: Client, *, webhooks: WebhookSettings | None = None) -> FastAPI:
    """The API; with `webhooks`, it also receives Ringg's webhooks at /webhooks/ringg (their own shared secret,
    not the bearer token: Ringg sends the headers its subscription holds)."""
    store = UploadStore(settings.upload_dir, settings.max_upload_bytes)
    store.prepare()
    sources = settings.csv_sources or csv_sources(os.environ, upload_dir=settings.upload_dir)
    events = settings.events_targets or events_targets(os.environ)
    # The given URL, through the same rules as CAMPAIGN_LEDGER_URL (a plain postgresql: URL gets the async driver).
    given = {URL_ENV: settings.ledger_url.get_secret_value()} if settings.ledger_url else os.environ
    ledger = LedgerAccess(ledger_url(given))
    # Ringg, for the caller-number check of a start, when this process has the workspace's key: in the workers'
    # request budget (a busy budget leaves the check to the worker), read once for a burst of starts.
    ringg_http = make_http_client(settings.ringg_base_url, settings.ringg_api_key) if settings.ringg_api_key else None
    numbers = None
    if ringg_http is not None and settings.ringg_api_key is not None:
        pacer = ringg_pacer(
            settings.ringg_api_key,
            settings.ringg_budget_rps,
            settings.ringg_budget_quiet_s,
            ledger.ledger.engine,
            wait_bound=lambda: CHECK_WAIT_S,
        )
        numbers = WorkspaceNumbers(RinggClient(ringg_http, pacer=pacer))
    checks = StartChecks(sources, events, numbers)
    ctx = ApiContext(client=client, settings=settings, store=store, sources=sources, checks=checks)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await ledger.open()
        try:
            yield
        finally:
            await ledger.close()
            if ringg_http is not None:
                await ringg_http.aclose()

    # /docs and /redoc are served offline by install_docs (FastAPI's own pages load their assets from a CDN).
    app = CampaignApi(
        title="Ringg campaigns API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    install_error_handlers(app)
    auth = []
    if settings.token:
        app.add_middleware(BearerMiddleware, token=settings.token)
        auth = [Depends(bearer_auth(settings.token))]
    app.include_router(campaigns_router(ctx), dependencies=auth)
    app.include_router(programs_router(ctx), dependencies=auth)
    app.include_router(schedules_router(ctx), dependencies=auth)
    app.include_router(campaign_contacts_router(ledger), dependencies=auth)
    app.include_router(suppressions_router(ledger), dependencies=auth)
    if webhooks is not None:
        forwarder = Forwarder(client, webhooks.flush_s)
        # Each call result is also recorded in the ledger, as `python -m webhooks` does.
        deduper, recorder = Deduper(webhooks.dedupe_ttl_s), WebhookLedger(ledger.ledger)
        app.include_router(webhook_router(webhooks.secret, webhooks.header, forwarder, deduper, recorder))

    @app.get(
        "/healthz",
        operation_id="healthz",
        tags=["health"],
        response_model=Health,
        responses={503: {"model": ErrorBody, "description": "Temporal is unavailable"}},
    )
    async def healthz() -> Health | JSONResponse:
        """Liveness and Temporal connectivity (no authentication)."""
        try:
            await client.service_client.check_health(timeout=timedelta(seconds=3))
        except Exception as err:
            failure = temporal_failure(err)
            if failure is None:
                raise
            return error_response(503, "Temporal is unavailable", headers={"Retry-After": "5"})
        return Health(namespace=client.namespace)

    return app
