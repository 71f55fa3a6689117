"""The codec server's own page: sign in with the token once, and the browser's Temporal UI can decode payloads (its
session cookie goes along with TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Literal

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from codec_server.auth import SESSION_COOKIE, SESSION_SECONDS, Gate

MAX_FORM_BYTES = 4096
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_STYLE = "body{font:15px system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}input{font:inherit}"


def _page(body: str, status: int = 200) -> HTMLResponse:
    text = f"<!doctype html><title>Codec server</title><style>{_STYLE}</style><h1>Payload codec server</h1>{body}"
    return HTMLResponse(text, status_code=status, headers=_HEADERS)


_FORM = (
    '<form method="post" action="session"><label>Codec token <input type="password" name="token" '
    'autocomplete="current-password" required></label> <button>Sign in</button></form>'
    "<p>The Temporal UI then shows decrypted payloads in this browser for 12 hours.</p>"
)


def session_routes(gate: Gate) -> list[BaseRoute]:
    def set_session(response: Response, request: Request, value: str, max_age: int) -> None:
        # Over https the UI may be on another site (Temporal Cloud): the cookie must cross sites, and only over TLS.
        # Over http only a UI on the same host name (any port) gets it: http://localhost:8233 and :8081 are one site.
        secure = request.url.scheme == "https"
        samesite: Literal["none", "strict"] = "none" if secure else "strict"
        response.set_cookie(
            SESSION_COOKIE, value, max_age=max_age, path="/", httponly=True, secure=secure, samesite=samesite
        )

    async def home(request: Request) -> Response:
        if gate.open:
            return _page("<p>No token is configured (loopback only): the Temporal UI decodes without signing in.</p>")
        expires = gate.session_expiry(request)
        if expires is None:
            return _page(_FORM)
        until = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return _page(
            f"<p>Signed in until {html.escape(until)}: the Temporal UI can show decrypted payloads.</p>"
            '<form method="post" action="session/end"><button>Sign out</button></form>'
        )

    async def sign_in(request: Request) -> Response:
        if gate.open:
            return RedirectResponse("./", status_code=303)
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > MAX_FORM_BYTES:
            return _page("<p>Send the sign-in form.</p>" + _FORM, status=400)
        async with request.form(max_files=0, max_fields=4) as form:
            token = form.get("token")
        if not isinstance(token, str) or not gate.token_matches(token):
            return _page("<p>That is not the codec token.</p>" + _FORM, status=401)
        response = RedirectResponse("./", status_code=303)
        set_session(response, request, gate.new_session(), SESSION_SECONDS)
        return response

    async def sign_out(request: Request) -> Response:
        response = RedirectResponse("../", status_code=303)
        set_session(response, request, "", 0)
        return response

    return [
        Route("/", home, methods=["GET"]),
        Route("/session", sign_in, methods=["POST"]),
        Route("/session/end", sign_out, methods=["POST"]),
    ]
