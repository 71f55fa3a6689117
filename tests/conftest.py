"""Shared fixtures: a Temporal environment for workflow tests (--workflow-environment), the embedded stack (dev
server binary + simulator, real processes on 127.0.0.1) for integration tests, and the ledger's databases (SQLite
and a PostgreSQL server on 127.0.0.1: tests/postgres_server.py)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

# The CLI's rich consoles size themselves when cli.common is imported, whichever test (or xdist worker) imports it
# first: one width for every in-process CLI run, so messages are never wrapped mid-phrase.
os.environ.setdefault("COLUMNS", "250")

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from client.connect import connect, connect_when_ready
from client.converter import DATA_CONVERTER
from client.payload_keys import KEYS_ENV, KEYS_FILE_ENV
from contract.search_attributes import ALL_KEYS
from devtools import devstack
from domain.csv_sources import DEFAULT_CONTACTS_DIR, DEFAULT_UPLOAD_DIR, DIRS, PROJECT_ROOT
from tests.demo_process import demos  # noqa: F401 (a kept demo stack, for the demo and README tests)
from tests.history_scan import scan_histories
from tests.postgres_server import (  # noqa: F401 (the ledger's database fixtures, for every test module)
    ledger_url,
    postgres_server,
    postgres_url,
)
from tests.skipping_stack import (  # noqa: F401 (fixtures of the time-skipping stack, for every test module)
    skipping_admin,
    skipping_env,
    skipping_sim,
    skipping_worker,
    start_skipping_env,
)
from tests.stack_helpers import server_binary

SIM_API_KEY = "sim-test-key-7f3a"
BUDGET_ENV = "CAMPAIGN_RINGG_BUDGET_RPS"
TEST_BUDGET_RPS = "200"
HISTORY_SCAN = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--workflow-environment",
        default="local",
        help="for workflow tests: 'local' (default: the dev server binary, search attributes registered), "
        "'time-skipping' (the test server, search attributes added through its operator service), or host:port",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Each test decides whether payloads are encrypted (tests/test_encryption_integration.py passes its keys): keys in
    # the developer's shell would otherwise encrypt every other test's workflows and subprocess workers.
    for name in (KEYS_ENV, KEYS_FILE_ENV):
        os.environ.pop(name, None)
    # Worker processes the tests start pace their Ringg requests through a generous shared budget: the pacer runs,
    # but at the default 10/s the simulator's fast campaigns would wait on it (tests/test_ringg_budget_integration.py
    # sets its own budget).
    os.environ[BUDGET_ENV] = TEST_BUDGET_RPS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if report := terminalreporter.config.stash.get(HISTORY_SCAN, None):
        for line in report.splitlines():
            if line.startswith("history scan:"):
                terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist each worker has its own dev server and scan: its report travels to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and (report := session.config.stash.get(HISTORY_SCAN, None)):
        workeroutput["history_scan"] = report


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    report = getattr(node, "workeroutput", {}).get("history_scan")
    if report:
        config: pytest.Config = getattr(node, "config")  # noqa: B009 (xdist's WorkerController, untyped)
        config.stash[HISTORY_SCAN] = "\n".join(filter(None, [config.stash.get(HISTORY_SCAN, ""), report]))


@pytest.fixture(scope="module", autouse=True)
def module_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The contact ledger the workers of one test module record in (unless a test gives its own): a SQLite file
    under the session's temp folder, never the project's data/ledger.sqlite3. One per module, so one module's
    suppressions (its stop_numbers opt-outs) never remove another's contacts. In the environment before the
    module's other fixtures (autouse fixtures come first in their scope), so workers built in code and every process
    a test starts use it."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.sqlite3'}"
    patch = pytest.MonkeyPatch()
    patch.setenv("CAMPAIGN_LEDGER_URL", url)
    patch.delenv("CAMPAIGN_LEDGER_URL_FILE", raising=False)
    yield url
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def csv_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Tests write their CSVs under tmp_path: CAMPAIGN_CSV_DIRS allows pytest's base temp folder of this session, with
    the default folders (or the CAMPAIGN_CSV_DIRS already set). Set in this process's environment before the first
    test, so every rule built in the tests (worker, API and starter settings, activities made in code) and every
    process a test starts with the inherited environment (workers, the API, starter.py) allow it."""
    defaults = os.pathsep.join(str(PROJECT_ROOT / d) for d in (DEFAULT_UPLOAD_DIR, DEFAULT_CONTACTS_DIR))
    value = os.pathsep.join([os.environ.get(DIRS) or defaults, str(tmp_path_factory.getbasetemp())])
    patch = pytest.MonkeyPatch()
    patch.setenv(DIRS, value)
    yield value
    patch.undo()


@pytest_asyncio.fixture(scope="session")
async def env(request: pytest.FixtureRequest) -> AsyncIterator[WorkflowEnvironment]:
    target = request.config.getoption("--workflow-environment")
    if target == "time-skipping":
        environment = await start_skipping_env(server_binary("temporal-test-server"))
    elif target == "local":
        environment = await WorkflowEnvironment.start_local(
            data_converter=DATA_CONVERTER,
            dev_server_existing_path=server_binary("temporal"),
            search_attributes=list(ALL_KEYS),
            ui=False,
        )
    else:
        environment = WorkflowEnvironment.from_client(await connect(target))
    yield environment
    await environment.shutdown()


@pytest.fixture(scope="session")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def dev_server_process(stack_dir: Path) -> Iterator[devstack.Proc]:
    proc = devstack.start_dev_server(stack_dir, ui=False)
    yield proc
    devstack.stop(proc)


@pytest_asyncio.fixture(scope="session")
async def dev_server(dev_server_process: devstack.Proc, request: pytest.FixtureRequest) -> AsyncIterator[devstack.Proc]:
    """The session dev server of the integration tests. At session end, before the server stops, the history of
    every workflow run on it is scanned for API keys, contact phone numbers and names: a leak fails the session
    (an error at teardown of its last test, naming each workflow id and what its history holds)."""
    yield dev_server_process
    scan = await scan_histories(await connect(dev_server_process.extra["address"]))
    request.config.stash[HISTORY_SCAN] = scan.report()
    if scan.offenders:
        where = "dev_server fixture teardown at session end (conftest.py), not a failure of the test named above"
        pytest.fail(f"{where}\n{scan.report()}", pytrace=False)


@pytest.fixture(scope="session")
def simulator(stack_dir: Path) -> Iterator[devstack.Proc]:
    proc = devstack.start_simulator(stack_dir, api_key=SIM_API_KEY, args=["--time-scale", "0.01"])
    yield proc
    devstack.stop(proc)


@pytest_asyncio.fixture(scope="session")
async def stack_client(dev_server: devstack.Proc) -> Client:
    return await connect_when_ready(dev_server.extra["address"])
