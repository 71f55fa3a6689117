"""Application factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ringg_sim import admin, admin_campaigns, api, api_launch, api_monitor
from ringg_sim.config import SimConfig
from ringg_sim.errors import error_response
from ringg_sim.faults import install_log_filter
from ringg_sim.gateway import GatewayMiddleware
from ringg_sim.state import Clock, SimError, SimState
from ringg_sim.webhooks import Deliverer


def create_app(config: SimConfig, *, clock: Clock | None = None) -> FastAPI:
    """Build the simulator app. `clock` (wall epoch seconds; the simulated clock runs 1/time_scale times faster)
    may be injected by tests to avoid sleeping."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await deliverer.stop()

    app = FastAPI(title="Ringg API simulator", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    state = SimState(config, clock)
    app.state.sim = state
    deliverer = Deliverer(state)
    app.state.deliverer = deliverer

    async def on_sim_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SimError)
        return error_response(exc.status, exc.message, exc.shape)

    app.add_exception_handler(SimError, on_sim_error)
    app.include_router(api.router)
    app.include_router(api_launch.router)
    app.include_router(api_monitor.router)
    app.include_router(admin.router)
    app.include_router(admin_campaigns.router)
    app.add_middleware(GatewayMiddleware, state=state)
    install_log_filter()
    return app


def get_state(app: FastAPI) -> SimState:
    """The SimState behind an app made by create_app (for in-process tests)."""
    state = app.state.sim
    assert isinstance(state, SimState)
    return state
