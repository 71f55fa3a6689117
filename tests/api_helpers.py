"""Helpers for the HTTP API's integration tests: `python -m api` as a real process, and requests sent with the real
`curl` binary (httpx when curl is not installed)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from devtools import devstack

CURL = shutil.which("curl")


@dataclass
class RunningApi:
    proc: devstack.Proc
    base_url: str
    upload_dir: Path


def start_api(
    data_dir: Path,
    *,
    address: str,
    task_queue: str,
    token: str,
    timeout_s: float = 30.0,
    env: Mapping[str, str] | None = None,
) -> RunningApi:
    """Starts `python -m api` on a free loopback port (`env`: more settings) and waits until /healthz answers 200."""
    port = devstack.free_port()
    upload_dir = data_dir / "uploads"
    env = {
        "API_TOKEN": token,
        "API_HOST": "127.0.0.1",
        "API_PORT": str(port),
        "CAMPAIGN_UPLOAD_DIR": str(upload_dir),
        "TEMPORAL_ADDRESS": address,
        "RINGG_TASK_QUEUE": task_queue,
        "LOG_LEVEL": "INFO",
        **(env or {}),
    }
    proc = devstack.spawn("api", [sys.executable, "-m", "api"], data_dir / "api.log", env=env)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise devstack.StackError(f"the API exited with {proc.popen.returncode}:\n{proc.log_tail()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return RunningApi(proc, base_url, upload_dir)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    devstack.stop(proc)
    raise devstack.StackError(f"the API did not become healthy within {timeout_s:.0f}s:\n{proc.log_tail()}")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: Any  # parsed JSON, or None when the body is empty


Part = tuple[str | None, bytes, str]  # (file name or None for a text part, content, content type)


async def curl(
    method: str,
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    form: Mapping[str, Part] | None = None,
) -> Answer:
    """One request through the `curl` binary (as an integrator would send it), else through httpx."""
    all_headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    if CURL is None:
        return await _httpx(method, url, all_headers, json_body, form)
    with tempfile.TemporaryDirectory(prefix="curl-") as tmp:
        work = Path(tmp)
        args = [CURL, "-sS", "-X", method, "-D", str(work / "headers"), "-o", str(work / "body"), "-w", "%{http_code}"]
        for name, value in all_headers.items():
            args += ["-H", f"{name}: {value}"]
        if json_body is not None:
            (work / "request.json").write_text(json.dumps(json_body))
            args += ["-H", "Content-Type: application/json", "--data-binary", f"@{work / 'request.json'}"]
        for index, (name, (filename, content, content_type)) in enumerate((form or {}).items()):
            part = work / f"part-{index}"
            part.write_bytes(content)
            spec = f"<{part}" if filename is None else f"@{part};filename={filename}"
            args += ["-F", f"{name}={spec};type={content_type}"]
        proc = await asyncio.create_subprocess_exec(
            *args, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, f"curl failed: {err.decode()}"
        raw_headers = (work / "headers").read_text().strip().split("\r\n\r\n")[-1].splitlines()[1:]
        body = (work / "body").read_bytes() if (work / "body").exists() else b""
    parsed = dict(line.split(":", 1) for line in raw_headers if ":" in line)
    return Answer(
        int(out.decode()),
        {k.strip().lower(): v.strip() for k, v in parsed.items()},
        json.loads(body) if body else None,
    )


async def _httpx(
    method: str, url: str, headers: dict[str, str], json_body: Any, form: Mapping[str, Part] | None
) -> Answer:
    files = {name: (filename, content, ctype) for name, (filename, content, ctype) in (form or {}).items()}
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.request(method, url, headers=headers, json=json_body, files=files or None)
    return Answer(
        response.status_code,
        {k.lower(): v for k, v in response.headers.items()},
        response.json() if response.content else None,
    )
