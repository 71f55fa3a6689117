"""`python -m webhooks`: serves POST /webhooks/ringg (see client/webhook_receiver.py) on WEBHOOK_HOST:WEBHOOK_PORT."""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from client.connect import connect
from client.payload_keys import PayloadKeyError
from runtime.logs import configure_logging
from runtime.webhook_settings import WebhookConfigError, WebhookSettings
from webhooks.app import create_app


async def serve() -> None:
    settings = WebhookSettings.from_env()
    client = await connect(settings.temporal_address, settings.temporal_namespace)
    config = uvicorn.Config(create_app(settings, client), host=settings.host, port=settings.port, log_level="warning")
    await uvicorn.Server(config).serve()


def main() -> None:
    configure_logging()
    try:
        asyncio.run(serve())
    except (WebhookConfigError, PayloadKeyError) as err:
        print(f"webhook receiver not started: {err}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
