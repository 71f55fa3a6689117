"""A throwaway PostgreSQL server for the ledger's tests, started from the machine's binaries on 127.0.0.1 once per
pytest(-xdist) worker. Fixtures (conftest.py re-exports them): postgres_server, postgres_url, ledger_url.

The server lives in a temporary folder (initdb --no-sync, fsync off, no Unix sockets, a random superuser password
over TCP on 127.0.0.1 only) that is removed when it stops. As root it runs as the `postgres` system user, since
PostgreSQL refuses root. Where it cannot start, the tests that need it skip with the reason (computed once)."""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import URL, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from devtools.devstack import free_port

BIN_ENV = "LEDGER_TEST_PG_BIN"
BINARIES = ("initdb", "postgres")
# Debian and Ubuntu keep one folder per major version: /usr/lib/postgresql/15/bin.
DEBIAN_ROOT = Path("/usr/lib/postgresql")
# PostgreSQL refuses to run as root: as root, initdb and the server run as this system user.
SYSTEM_USER = "postgres"
SUPERUSER = "postgres"
HOW_TO_GET = f"`apt-get install postgresql` (Debian/Ubuntu) or set {BIN_ENV} to a folder holding initdb and postgres"
READY_LINE = "database system is ready to accept connections"
START_TIMEOUT_S = 30.0
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "16MB",
    "max_connections": "60",
    "lc_messages": "C",
}


class PostgresUnavailable(Exception):
    """PostgreSQL cannot run here; the message says what is missing and how to get it."""


def _has_binaries(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) and (folder / name).is_file() for name in BINARIES)


def _version_key(folder: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", folder.name)) or (-1,)


def find_bin_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder holding initdb and postgres: LEDGER_TEST_PG_BIN, else PATH (symlinks followed, as initdb looks
    for postgres beside its real path), else the highest /usr/lib/postgresql/<version>/bin."""
    environ = os.environ if environ is None else environ
    if override := environ.get(BIN_ENV):
        folder = Path(override)
        if not _has_binaries(folder):
            raise PostgresUnavailable(f"{BIN_ENV}={override} holds no executable initdb and postgres; {HOW_TO_GET}")
        return folder
    found = shutil.which("initdb", path=environ.get("PATH", os.defpath))
    if found and _has_binaries(folder := Path(found).resolve().parent):
        return folder
    versions = sorted((p.parent for p in DEBIAN_ROOT.glob("*/bin") if _has_binaries(p)), key=_version_key)
    if versions:
        return versions[-1] / "bin"
    raise PostgresUnavailable(
        f"no PostgreSQL server binaries (initdb and postgres) on PATH or under {DEBIAN_ROOT}/<version>/bin: "
        f"{HOW_TO_GET}"
    )


def run_as() -> pwd.struct_passwd | None:
    """The account the server runs as: None (this process's own) unless running as root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, and PostgreSQL refuses root, but there is no `{SYSTEM_USER}` system user to run it "
            f"as: `apt-get install postgresql` creates it (or run the tests as another user)"
        ) from None


@dataclass
class PostgresServer:
    """A running server: a superuser `postgres` with a random password, on 127.0.0.1:port."""

    port: int
    password: str
    folder: Path
    popen: subprocess.Popen[bytes]
    start_seconds: float
    host: str = "127.0.0.1"
    _stopped: bool = field(default=False, repr=False)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy async URL of a superuser connection to `database`."""
        built = URL.create(
            "postgresql+asyncpg",
            username=SUPERUSER,
            password=self.password,
            host=self.host,
            port=self.port,
            database=database,
        )
        return built.render_as_string(hide_password=False)

    def log_tail(self, lines: int = 20) -> str:
        return _tail(self.folder / "postgres.log", lines)

    def stop(self, timeout_s: float = 15.0) -> None:
        """Fast shutdown by PID (SIGINT), SIGKILL to its process group after timeout_s; removes the folder."""
        if self._stopped:
            return
        self._stopped = True
        try:
            _stop_process(self.popen, timeout_s)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _stop_process(popen: subprocess.Popen[bytes], timeout_s: float) -> None:
    """SIGINT (PostgreSQL's fast shutdown) by PID; SIGKILL to its process group (the server and its backends,
    started in a session of their own) if it is still there after timeout_s."""
    if popen.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(popen.pid, signal.SIGINT)
    try:
        popen.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
        popen.wait(timeout=5)


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _popen(args: list[str], *, account: pwd.struct_passwd | None, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={"PATH": os.defpath, "LC_ALL": "C", "TZ": "UTC"},
            cwd="/",
            start_new_session=True,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
        )


def _initdb(bin_dir: Path, folder: Path, password: str, account: pwd.struct_passwd | None) -> None:
    pwfile = folder / "pwfile"
    pwfile.write_text(password + "\n")
    if account:
        os.chown(pwfile, account.pw_uid, account.pw_gid)
    args = [
        str(bin_dir / "initdb"),
        *("-D", str(folder / "data"), "-U", SUPERUSER, "--pwfile", str(pwfile)),
        *("--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"),
        *("--no-sync", "--no-instructions"),
    ]
    log = folder / "initdb.log"
    try:
        done = _popen(args, account=account, log=log).wait(timeout=120)
    finally:
        pwfile.unlink(missing_ok=True)
    if done != 0:
        raise PostgresUnavailable(f"initdb ({bin_dir}) exited with {done}: {_tail(log, 8)}")


def _serve(bin_dir: Path, folder: Path, port: int, account: pwd.struct_passwd | None) -> subprocess.Popen[bytes]:
    settings = {**SERVER_SETTINGS, "port": str(port)}
    args = [str(bin_dir / "postgres"), "-D", str(folder / "data")]
    for name, value in settings.items():
        args += ["-c", f"{name}={value}"]
    return _popen(args, account=account, log=folder / "postgres.log")


def _wait_ready(popen: subprocess.Popen[bytes], log: Path, offset: int) -> str | None:
    """None once the server logs that it is ready; its log tail if it exits first or does not start in time."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), log.open("rb") as f:
            f.seek(offset)
            if READY_LINE in f.read().decode(errors="replace"):
                return None
        if popen.poll() is not None:
            return f"exited with {popen.returncode}: {_tail(log, 8)}"
        time.sleep(0.05)
    return f"not ready within {START_TIMEOUT_S:.0f} s: {_tail(log, 8)}"


def start_postgres(*, parent: Path | None = None, attempts: int = 3) -> PostgresServer:
    """initdb in a new temporary folder (under `parent`, default the system's temporary folder) and a server on a
    free port of 127.0.0.1 (another port if one is taken meanwhile). Raises PostgresUnavailable, having cleaned
    up, where it cannot."""
    started = time.monotonic()
    bin_dir = find_bin_dir()
    account = run_as()
    folder = Path(tempfile.mkdtemp(prefix="ledger-pg-", dir=parent))
    try:
        if account:
            os.chown(folder, account.pw_uid, account.pw_gid)
        password = secrets.token_hex(16)
        _initdb(bin_dir, folder, password, account)
        log = folder / "postgres.log"
        failure = ""
        for _ in range(attempts):
            port = free_port()
            offset = log.stat().st_size if log.exists() else 0
            popen = _serve(bin_dir, folder, port, account)
            problem = _wait_ready(popen, log, offset)
            if problem is None:
                return PostgresServer(port, password, folder, popen, time.monotonic() - started)
            failure = problem
            _stop_process(popen, 5.0)
        raise PostgresUnavailable(f"postgres ({bin_dir}) did not start on 127.0.0.1: {failure}")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def start_or_skip(*, parent: Path | None = None) -> PostgresServer:
    """start_postgres(), or skips the test with the reason (the postgres_server fixture's setup)."""
    try:
        return start_postgres(parent=parent)
    except PostgresUnavailable as unavailable:
        pytest.skip(f"PostgreSQL for the ledger tests is unavailable: {unavailable}")


_database_numbers = itertools.count(1)


@contextlib.asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A new database ledger_<n> on the server of `server_url` (a superuser URL); its URL, then it is dropped
    (connections still open to it are closed)."""
    name = f"ledger_{next(_database_numbers)}"
    admin = create_async_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


# -- fixtures (conftest.py re-exports them) ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """This worker's PostgreSQL server (about 1-3 s to start), or a skip saying why there is none: pytest keeps a
    session fixture's skip, so the reason is computed once and every later test skips with it."""
    server = start_or_skip()
    atexit.register(server.stop)  # should the session end without its teardown
    try:
        yield server
    finally:
        server.stop()
        atexit.unregister(server.stop)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """postgresql+asyncpg://postgres:<password>@127.0.0.1:<port>/postgres, a superuser connection."""
    return postgres_server.url()


@pytest_asyncio.fixture(params=["sqlite", "postgresql"])
async def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A new, empty ledger database for one test, once on each backend: sqlite+aiosqlite:///<tmp_path>/ledger.sqlite3,
    and a database ledger_<n> on this worker's PostgreSQL server (skipped, with the reason, where it cannot start),
    dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    server_url: str = request.getfixturevalue("postgres_url")
    async with fresh_database(server_url) as url:
        yield url
