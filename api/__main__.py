"""Runs the HTTP API: `python -m api` (API_TOKEN or API_TOKEN_FILE, API_HOST, API_PORT, CAMPAIGN_UPLOAD_DIR,
TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, RINGG_TASK_QUEUE, CAMPAIGN_LEDGER_URL; see README "HTTP API")."""

from __future__ import annotations

import asyncio
import os
import sys

import uvicorn

from api.app import create_app
from api.settings import ApiSettings
from client.connect import connect
from client.payload_keys import PayloadKeyError, payload_keys_from_env
from runtime.logs import configure_logging
from runtime.retention import prune_forever
from runtime.settings import SettingsError
from runtime.webhook_settings import WebhookConfigError, WebhookSettings, read_secret


async def serve(settings: ApiSettings, webhooks: WebhookSettings | None) -> None:
    # Lazy: the API starts while Temporal is down and answers 503 (and /healthz says so) until it is back.
    client = await connect(settings.temporal_address, settings.temporal_namespace, lazy=True)
    app = create_app(settings, client, webhooks=webhooks)
    # log_config=None: uvicorn's loggers go through the structlog handler configured once, below.
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None, server_header=False)
    pruner = asyncio.create_task(prune_forever(settings.upload_dir, settings.file_retention_days, "uploads"))
    try:
        await uvicorn.Server(config).serve()
    finally:
        pruner.cancel()


def main() -> int:
    try:
        settings = ApiSettings.from_env()
        # With WEBHOOK_SECRET set, the API also receives Ringg's webhooks (as `python -m webhooks` does).
        webhooks = WebhookSettings.from_env() if read_secret(os.environ) is not None else None
        payload_keys_from_env()  # refused here, not at the first request
    except (SettingsError, WebhookConfigError, PayloadKeyError) as err:
        print(f"api not started: {err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings, webhooks))
    except OSError as err:
        print(f"api not started: {err.strerror or err} (CAMPAIGN_UPLOAD_DIR, API_HOST, API_PORT)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
