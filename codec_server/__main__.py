"""`python -m codec_server`: serves the codec on CODEC_SERVER_HOST:CODEC_SERVER_PORT; `new-key ID` prints a new key."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

from client.payload_keys import PayloadKeyError, new_key_entry
from codec_server.app import create_app
from codec_server.settings import CodecServerSettings
from runtime.logs import configure_logging
from runtime.settings import SettingsError

DESCRIPTION = """\
Decrypts and encrypts Temporal payloads for the Temporal UI (TEMPORAL_CODEC_ENDPOINT, or the dev server's
--ui-codec-endpoint) and the temporal CLI (--codec-endpoint URL --codec-auth "Bearer TOKEN"). Configured by
environment: PAYLOAD_ENCRYPTION_KEYS or PAYLOAD_ENCRYPTION_KEYS_FILE (the workers' keys, same value), CODEC_SERVER_TOKEN
or CODEC_SERVER_TOKEN_FILE (bearer token, 16+ characters; CODEC_SERVER_ALLOW_NO_AUTH=1 serves without one, on a
loopback host only), CODEC_SERVER_HOST (127.0.0.1), CODEC_SERVER_PORT (8081), CODEC_SERVER_CORS_ORIGINS (the UI
origins, default http://localhost:8233,http://127.0.0.1:8233), CODEC_SERVER_NAMESPACES (default TEMPORAL_NAMESPACE,
else default), CODEC_SERVER_MAX_BODY_MB (16). See docs/operations.md, "Payload encryption"."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m codec_server", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the codec (the default)")
    new_key = commands.add_parser("new-key", help="print a new `id:base64key` entry for PAYLOAD_ENCRYPTION_KEYS")
    new_key.add_argument("key_id", help="a name for the key, e.g. 2025-06 (letters, digits, '.', '_', '-')")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "new-key":
        try:
            print(new_key_entry(args.key_id))
        except PayloadKeyError as err:
            print(f"no key made: {err}", file=sys.stderr)
            return 2
        return 0
    try:
        settings = CodecServerSettings.from_env()
    except SettingsError as err:
        print(f"codec server not started: {err}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, log_config=None, server_header=False
    )
    try:
        uvicorn.Server(config).run()
    except OSError as err:
        where = "CODEC_SERVER_HOST, CODEC_SERVER_PORT"
        print(f"codec server not started: {err.strerror or err} ({where})", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
