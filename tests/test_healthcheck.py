"""The container health probe against real listeners on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from devtools.devstack import free_port
from runtime.healthcheck import default_target, main, probe


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/metrics" else 503)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_http_target(http_port: int) -> None:
    assert probe(f"http://127.0.0.1:{http_port}/metrics") is None
    assert probe(f"http://127.0.0.1:{http_port}/down") == f"http://127.0.0.1:{http_port}/down: HTTP 503"
    assert probe(f"http://127.0.0.1:{free_port()}/metrics") is not None


def test_tcp_target(http_port: int) -> None:
    assert probe(f"tcp://127.0.0.1:{http_port}") is None
    assert probe(f"tcp://127.0.0.1:{free_port()}") is not None
    assert "expected tcp://host:port" in (probe("tcp://127.0.0.1") or "")
    assert "expected an http://" in (probe("ftp://127.0.0.1:21") or "")


def test_default_target_is_the_worker_metrics_endpoint() -> None:
    assert default_target({}) is None
    assert default_target({"METRICS_BIND_ADDRESS": "0.0.0.0:9464"}) == "http://127.0.0.1:9464/metrics"
    assert default_target({"METRICS_BIND_ADDRESS": " 10.1.2.3:9000 "}) == "http://10.1.2.3:9000/metrics"


def test_main_exit_codes(http_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([], env={}) == 0
    assert "nothing to probe" in capsys.readouterr().out
    assert main([], env={"METRICS_BIND_ADDRESS": f"0.0.0.0:{http_port}"}) == 0
    assert main([f"http://127.0.0.1:{http_port}/down"], env={}) == 1
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main([f"tcp://127.0.0.1:{port}"], env={}) == 1
    assert "unhealthy" in capsys.readouterr().out
