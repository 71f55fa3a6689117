"""A real HTTP server on 127.0.0.1 for the contacts-source tests: files, redirects, a gzip bomb and a slow drip,
with every request path it received; and the secret a refused source must never show."""

from __future__ import annotations

import contextlib
import gzip
import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

SECRET = "RINGG_API_KEY=sk-live-7d41c0ffee-secret"  # what a file that must never be read holds
SECRET_CSV = f"Mobile Number,Name\n+919876543210,{SECRET}\n"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    drip_s: float = 0.0  # > 0: the body is sent one byte at a time, this long apart


@dataclass
class Served:
    base: str  # http://127.0.0.1:<port>
    port: int
    routes: dict[str, Route]
    requests: list[str]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def redirect(self, path: str, to: str) -> None:
        self.routes[path] = Route(status=302, headers={"Location": to})

    def gzip_bomb(self, path: str, decoded_bytes: int) -> int:
        """A body of `decoded_bytes` once decoded, sent gzip-encoded; returns the bytes sent."""
        header = b"Mobile Number,Name\n"
        body = gzip.compress(header + b"0" * (decoded_bytes - len(header)), compresslevel=9)
        self.routes[path] = Route(body=body, headers={"Content-Encoding": "gzip", "Content-Type": "text/csv"})
        return len(body)


class _Handler(http.server.BaseHTTPRequestHandler):
    served: Served

    def do_GET(self) -> None:
        self.served.requests.append(self.path)
        route = self.served.routes.get(self.path, Route(status=404))
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        if not route.drip_s:
            self.wfile.write(route.body)
            return
        for byte in route.body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(route.drip_s)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def http_server() -> Iterator[Served]:
    """A ThreadingHTTPServer on 127.0.0.1 (a free port) answering the routes set on the yielded Served."""
    served = Served("", 0, {}, [])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"served": served}))
    server.daemon_threads = True
    served.port = int(server.server_address[1])
    served.base = f"http://127.0.0.1:{served.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
