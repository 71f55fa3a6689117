"""The ledger tests' PostgreSQL server (tests/postgres_server.py): it answers on 127.0.0.1 only, each test gets a
new database, it leaves nothing behind, and where it cannot start the tests skip saying what to install."""

from __future__ import annotations

import contextlib
import os
import pwd
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests import postgres_server
from tests.postgres_server import (
    BIN_ENV,
    PostgresServer,
    PostgresUnavailable,
    find_bin_dir,
    fresh_database,
    start_or_skip,
    start_postgres,
)


async def scalar(url: str, query: str, **params: object) -> object:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(query), params)).scalar()
    finally:
        await engine.dispose()


def in_process_group(pgid: int) -> list[int]:
    """The running processes of a process group (the server starts its own: its backends are in it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.append(int(entry.name))
            except ProcessLookupError:
                pass
    return found


def fake_binaries(folder: Path, names: tuple[str, ...] = ("initdb", "postgres")) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\nexit 1\n")
        (folder / name).chmod(0o755)
    return folder


# -- the running server ------------------------------------------------------------------------------------------


async def test_the_server_answers_through_asyncpg_on_loopback_only(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    url = make_url(postgres_url)
    assert (url.drivername, url.host, url.port, url.database) == (
        "postgresql+asyncpg",
        "127.0.0.1",
        postgres_server.port,
        "postgres",
    )
    assert str(await scalar(postgres_url, "select version()")).startswith("PostgreSQL ")
    assert await scalar(postgres_url, "select host(inet_server_addr())") == "127.0.0.1"  # TCP, not a socket
    assert await scalar(postgres_url, "show listen_addresses") == "127.0.0.1"
    assert await scalar(postgres_url, "show unix_socket_directories") == ""
    assert await scalar(postgres_url, "show fsync") == "off"
    assert await scalar(postgres_url, "select rolsuper from pg_roles where rolname = current_user") is True


async def test_a_wrong_password_is_refused(postgres_url: str) -> None:
    with pytest.raises(Exception, match="password authentication failed"):
        await scalar(make_url(postgres_url).set(password="wrong").render_as_string(hide_password=False), "select 1")


async def test_two_fresh_databases_are_distinct_and_dropped_after(postgres_url: str) -> None:
    async with fresh_database(postgres_url) as first, fresh_database(postgres_url) as second:
        first_name, second_name = make_url(first).database, make_url(second).database
        assert first_name != second_name
        assert first_name and first_name.startswith("ledger_")
        engine = create_async_engine(first, poolclass=NullPool)
        async with engine.begin() as conn:
            await conn.execute(text("create table marker (id int)"))
        await engine.dispose()
        assert await scalar(first, "select to_regclass('marker') is not null") is True
        assert await scalar(second, "select to_regclass('marker') is not null") is False
        # A connection left open (a test that forgets to dispose its engine) does not stop the drop.
        left_open = create_async_engine(second, poolclass=NullPool)
        open_conn = await left_open.connect()
        assert await scalar(second, "select current_database()") == second_name

    remaining = await scalar(
        postgres_url, "select count(*) from pg_database where datname in (:a, :b)", a=first_name, b=second_name
    )
    assert remaining == 0
    with contextlib.suppress(Exception):  # the server ended it with the drop: whatever the driver says on closing
        await open_conn.close()
    await left_open.dispose()


@pytest.mark.parametrize("round_", [1, 2])
async def test_each_test_gets_an_empty_ledger_database(ledger_url: str, round_: int) -> None:
    """Run twice on each backend: a database kept from an earlier test would already hold the table."""
    engine = create_async_engine(ledger_url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("create table marker (round int)"))
            await conn.execute(text("insert into marker values (:r)"), {"r": round_})
            assert (await conn.execute(text("select count(*) from marker"))).scalar() == 1
    finally:
        await engine.dispose()
    backend = make_url(ledger_url).get_backend_name()
    assert backend in ("sqlite", "postgresql")
    if backend == "sqlite":
        assert Path(make_url(ledger_url).database or "").name == "ledger.sqlite3"


def test_a_server_stops_by_pid_and_leaves_nothing_behind() -> None:
    try:
        server = start_postgres()
    except PostgresUnavailable as unavailable:
        pytest.skip(str(unavailable))
    folder, pid = server.folder, server.pid
    assert folder.is_dir()
    assert in_process_group(pid), "the server runs in a process group of its own"
    assert server.start_seconds < 30
    server.stop()
    server.stop()  # twice is harmless (the fixture's teardown and its atexit fallback)
    assert not folder.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not in_process_group(pid), "a backend of the stopped server is still running"


# -- where PostgreSQL cannot start --------------------------------------------------------------------------------


def test_missing_binaries_skip_saying_how_to_get_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(BIN_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    monkeypatch.setattr(postgres_server, "DEBIAN_ROOT", tmp_path / "no-postgresql")

    with pytest.raises(pytest.skip.Exception) as skipped:
        start_or_skip()

    reason = str(skipped.value)
    assert "PostgreSQL for the ledger tests is unavailable" in reason
    assert "initdb and postgres" in reason
    assert "apt-get install postgresql" in reason
    assert BIN_ENV in reason
    assert not list(tmp_path.glob("ledger-pg-*"))


def test_an_override_without_binaries_names_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_binaries(tmp_path / "only-initdb", names=("initdb",))
    monkeypatch.setenv(BIN_ENV, str(tmp_path / "only-initdb"))

    with pytest.raises(PostgresUnavailable, match=f"{BIN_ENV}=.*only-initdb holds no executable initdb and postgres"):
        find_bin_dir()


def test_the_lookup_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    debian = tmp_path / "lib-postgresql"
    for version in ("9.6", "15", "16"):
        fake_binaries(debian / version / "bin")
    fake_binaries(debian / "17" / "bin", names=("initdb",))  # incomplete: not chosen
    monkeypatch.setattr(postgres_server, "DEBIAN_ROOT", debian)
    on_path = fake_binaries(tmp_path / "real" / "bin")
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "initdb").symlink_to(on_path / "initdb")
    override = fake_binaries(tmp_path / "override")

    assert find_bin_dir({"PATH": str(tmp_path / "nothing")}) == debian / "16" / "bin"
    assert find_bin_dir({"PATH": str(tmp_path / "links")}) == on_path  # the symlink's real folder
    assert find_bin_dir({"PATH": str(tmp_path / "links"), BIN_ENV: str(override)}) == override


def test_root_without_a_postgres_user_skips_saying_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(postgres_server, "SYSTEM_USER", "no-such-user-4c1d")
    with pytest.raises(pytest.skip.Exception, match=r"no `no-such-user-4c1d` system user.*apt-get install postgresql"):
        start_or_skip()


def test_a_failing_initdb_skips_with_its_output_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(postgres_server.SYSTEM_USER)
        except KeyError:
            pytest.skip("running as root without a postgres user: the test above covers it")
    # Not under pytest's base temp folder: as root the fake initdb runs as `postgres`, who cannot enter that one.
    with tempfile.TemporaryDirectory(prefix="ledger-pg-test-") as scratch:
        root = Path(scratch)
        root.chmod(0o755)
        fake = fake_binaries(root / "fake")
        (fake / "initdb").write_text("#!/bin/sh\necho 'initdb: error: simulated failure' >&2\nexit 3\n")
        monkeypatch.setenv(BIN_ENV, str(fake))

        with pytest.raises(pytest.skip.Exception, match=r"initdb \(.*fake\) exited with 3: initdb: error: simulated"):
            start_or_skip(parent=root)
        assert not list(root.glob("ledger-pg-*")), "the server's temporary folder was left behind"
