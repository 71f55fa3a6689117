"""Who may use the codec: a caller with the bearer token (`temporal --codec-auth`), or a browser signed in on the
codec server's own page, whose session cookie the Temporal UI sends with TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true."""

from __future__ import annotations

import hashlib
import hmac
import time

from pydantic import SecretStr
from starlette.requests import Request

SESSION_COOKIE = "codec_session"
SESSION_SECONDS = 12 * 3600


class Gate:
    """Checks requests against the token; None lets everyone in (CODEC_SERVER_ALLOW_NO_AUTH=1, loopback only)."""

    def __init__(self, token: SecretStr | None) -> None:
        self._token = token.get_secret_value().encode() if token else None

    @property
    def open(self) -> bool:
        return self._token is None

    def token_matches(self, candidate: str) -> bool:
        return self._token is not None and hmac.compare_digest(candidate.strip().encode(), self._token)

    def allows(self, request: Request) -> bool:
        if self._token is None:
            return True
        scheme, _, credentials = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer" and self.token_matches(credentials):
            return True
        return self.session_valid(request.cookies.get(SESSION_COOKIE, ""))

    # A session is `<expiry>.<HMAC(token, expiry)>`: the browser never holds the token, a new token ends every
    # session, and an old cookie stops working at its expiry whatever the browser does with it.
    def _mac(self, expires: int) -> str:
        assert self._token is not None
        return hmac.new(self._token, f"codec-session:{expires}".encode(), hashlib.sha256).hexdigest()

    def new_session(self, now: float | None = None) -> str:
        expires = int(now if now is not None else time.time()) + SESSION_SECONDS
        return f"{expires}.{self._mac(expires)}"

    def session_valid(self, value: str, now: float | None = None) -> bool:
        expires, _, mac = value.partition(".")
        if self._token is None or not expires.isdigit() or len(expires) > 12:
            return False
        if int(expires) < (now if now is not None else time.time()):
            return False
        return hmac.compare_digest(mac.encode(), self._mac(int(expires)).encode())

    def session_expiry(self, request: Request) -> int | None:
        value = request.cookies.get(SESSION_COOKIE, "")
        return int(value.partition(".")[0]) if self.session_valid(value) else None
