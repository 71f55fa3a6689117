"""The real stack a bench figure runs on: the dev server binary, the simulator and worker processes on 127.0.0.1,
in a temporary folder, all stopped by PID when the figure is done."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client

from client.connect import connect_when_ready
from devtools import devstack
from ringg_sim.testing import SimAdmin

NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
BENCH_BUDGET_RPS = 100


@dataclass
class BenchStack:
    data: Path
    client: Client
    address: str
    admin: SimAdmin
    base_url: str
    api_key: str
    task_queue: str
    procs: list[devstack.Proc] = field(default_factory=list)

    def worker_env(self, **extra: str) -> dict[str, str]:
        return {
            "RINGG_API_KEY": self.api_key,
            "RINGG_BASE_URL": self.base_url,
            "TEMPORAL_ADDRESS": self.address,
            "RINGG_TASK_QUEUE": self.task_queue,
            "CAMPAIGN_REPORT_DIR": str(self.data / "reports"),
            "CAMPAIGN_CSV_DIRS": str(self.data),
            "CAMPAIGN_LEDGER_URL": f"sqlite+aiosqlite:///{self.data / 'ledger.sqlite3'}",
            # The product's figures, not the budget's: bench.budget measures that (the default is 10 req/s).
            "CAMPAIGN_RINGG_BUDGET_RPS": str(BENCH_BUDGET_RPS),
            **extra,
        }

    def start_worker(self, name: str = "worker", **extra: str) -> devstack.Proc:
        worker = devstack.start_worker(self.data, name=name, env=self.worker_env(**extra))
        self.procs.append(worker)
        return worker


@contextlib.asynccontextmanager
async def bench_stack(name: str, *, configure: Callable[[SimAdmin], object] | None = None) -> AsyncIterator[BenchStack]:
    """A dev server and a simulator (configured by `configure`) in a fresh folder that this process, as the API
    would, admits contacts files from; start workers with `stack.start_worker()`."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        data = Path(tmp)
        previous = os.environ.get("CAMPAIGN_CSV_DIRS")
        os.environ["CAMPAIGN_CSV_DIRS"] = str(data)
        procs: list[devstack.Proc] = []
        try:
            server = devstack.start_dev_server(data, ui=False)
            procs.append(server)
            api_key = f"sim-bench-{name}-key"
            sim = devstack.start_simulator(data, api_key=api_key)
            procs.append(sim)
            client = await connect_when_ready(server.extra["address"])
            with SimAdmin(sim.extra["admin_url"]) as admin:
                if configure is not None:
                    configure(admin)
                stack = BenchStack(
                    data, client, server.extra["address"], admin, sim.extra["base_url"], api_key, f"bench-{name}", procs
                )
                yield stack
        finally:
            for proc in reversed(procs):
                devstack.stop(proc)
            if previous is None:
                os.environ.pop("CAMPAIGN_CSV_DIRS", None)
            else:
                os.environ["CAMPAIGN_CSV_DIRS"] = previous
