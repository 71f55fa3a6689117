"""The Temporal codec server protocol over the payload codec: `POST …/encode` and `POST …/decode` take and return
Payloads as protobuf JSON; CORS lets the Temporal UI's origins call it from the browser."""

from __future__ import annotations

import structlog
from google.protobuf import json_format
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.api.common.v1 import Payloads

from client.payload_codec import EncryptionCodec, PayloadDecryptError
from codec_server.auth import Gate
from codec_server.pages import session_routes
from codec_server.settings import CodecServerSettings

log = structlog.get_logger()

# What the UI sends (it adds Authorization and Authorization-Extras when it passes its users' access tokens).
ALLOWED_HEADERS = ["Content-Type", "X-Namespace", "Authorization", "Authorization-Extras"]
_REALM = 'Bearer realm="codec-server"'


class BodyTooLarge(Exception):
    pass


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def create_app(settings: CodecServerSettings) -> Starlette:
    codec = EncryptionCodec(settings.keys)
    gate = Gate(settings.token)

    async def apply(request: Request) -> Response:
        # The protocol: only the last part of the path says which; the endpoints may sit under any prefix.
        action = request.url.path.rstrip("/").rpartition("/")[2]
        if action not in ("encode", "decode"):
            return _error(404, "not a codec endpoint: POST …/encode or …/decode")
        namespace = request.headers.get("x-namespace", "")
        bound = log.bind(action=action, namespace=namespace or None)
        if not gate.allows(request):
            bound.warning("codec_refused", reason="unauthenticated")
            return _error(401, "send the codec token: `Authorization: Bearer <token>`", **{"WWW-Authenticate": _REALM})
        if namespace and namespace not in settings.namespaces:
            bound.warning("codec_refused", reason="namespace")
            return _error(403, f"namespace {namespace[:100]!r} is not served here (CODEC_SERVER_NAMESPACES)")
        try:
            payloads = json_format.Parse(await _body(request, settings.max_body_bytes), Payloads())
        except BodyTooLarge:
            limit_mb = settings.max_body_bytes // 2**20
            return _error(413, f"the body is larger than {limit_mb} MB (CODEC_SERVER_MAX_BODY_MB)")
        except (json_format.ParseError, UnicodeDecodeError, RecursionError):
            return _error(400, 'the body is not Temporal Payloads as protobuf JSON: {"payloads": [...]}')
        try:
            result = await (codec.encode if action == "encode" else codec.decode)(payloads.payloads)
        except PayloadDecryptError as err:
            bound.warning("codec_failed", payloads=len(payloads.payloads), error=str(err))
            return _error(422, str(err))
        bound.info("codec_served", payloads=len(payloads.payloads))
        return Response(json_format.MessageToJson(Payloads(payloads=result)), media_type="application/json")

    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["POST"],
        allow_headers=ALLOWED_HEADERS,
        allow_private_network=True,  # Chrome's preflight for a public UI (Temporal Cloud) calling a codec on loopback
        max_age=600,
    )
    routes = [*session_routes(gate), Route("/{path:path}", apply, methods=["POST"])]
    return Starlette(routes=routes, middleware=[cors])
