"""Container health probe (the Dockerfile's HEALTHCHECK, the compose file's healthchecks), standard library only:
`python -m runtime.healthcheck [http://HOST:PORT/PATH | tcp://HOST:PORT]`."""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

_WILDCARDS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - names of the wildcard address, nothing binds here


def default_target(env: Mapping[str, str]) -> str | None:
    """The worker's metrics endpoint when METRICS_BIND_ADDRESS is set (a wildcard host is probed on 127.0.0.1)."""
    bind = env.get("METRICS_BIND_ADDRESS", "").strip()
    if not bind:
        return None
    host, _, port = bind.rpartition(":")
    host = "127.0.0.1" if host in _WILDCARDS else host
    return f"http://{host}:{port}/metrics"


def probe(target: str, timeout_s: float = 3.0) -> str | None:
    """None when `target` answers, else why not."""
    parts = urlsplit(target)
    if parts.scheme == "tcp":
        if not parts.hostname or not parts.port:
            return f"{target!r}: expected tcp://host:port"
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=timeout_s):
                return None
        except OSError as err:
            return f"{target}: {err.strerror or err}"
    if parts.scheme in ("http", "https"):
        try:
            with urllib.request.urlopen(target, timeout=timeout_s) as response:  # noqa: S310 - scheme checked above
                status = int(response.status)
        except urllib.error.HTTPError as err:
            status = err.code
        except (urllib.error.URLError, OSError) as err:
            return f"{target}: {getattr(err, 'reason', err)}"
        return None if status < 400 else f"{target}: HTTP {status}"
    return f"{target!r}: expected an http://, https:// or tcp:// target"


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Exit 0 when the target answers (HTTP status below 400, or a TCP connection accepted), 1 otherwise. Without a
    target it probes default_target(), and otherwise has nothing to probe and exits 0: one image runs the worker,
    the API, the simulator and one-shot jobs."""
    args = list(sys.argv[1:] if argv is None else argv)
    target = args[0] if args else default_target(os.environ if env is None else env)
    if target is None:
        print("healthy: nothing to probe (no target, METRICS_BIND_ADDRESS unset)")
        return 0
    problem = probe(target)
    print(f"unhealthy: {problem}" if problem else f"healthy: {target}")
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main())
