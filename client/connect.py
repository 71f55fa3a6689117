"""One way to connect to Temporal for every entry point: the SDK's environment configuration (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, profiles) plus the product's data converter, encrypting payloads when
PAYLOAD_ENCRYPTION_KEYS(_FILE) is set."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.envconfig import ClientConfig

from client.payload_codec import data_converter
from client.payload_keys import payload_keys_from_env


async def connect(
    address: str | None = None,
    namespace: str | None = None,
    *,
    converter: DataConverter | None = None,
    **extra: Any,
) -> Client:
    """`converter` defaults to the one the environment configures (raises `PayloadKeyError` on bad key settings)."""
    config: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    config.setdefault("target_host", "localhost:7233")
    if address:
        config["target_host"] = address
    if namespace:
        config["namespace"] = namespace
    config.update(extra)
    converter = converter or data_converter(payload_keys_from_env())
    return await Client.connect(**config, data_converter=converter)


async def connect_when_ready(
    address: str | None = None,
    namespace: str | None = None,
    *,
    timeout_s: float = 60.0,
    converter: DataConverter | None = None,
) -> Client:
    """Connects to a server that is still starting (its port opens before its frontend is healthy), retrying the
    SDK's connection error until `timeout_s`."""
    converter = converter or data_converter(payload_keys_from_env())
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            return await connect(address, namespace, converter=converter)
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.25)
