"""Where contacts may come from (domain.csv_sources, activities.contacts.source): the settings, the folder, host and
address rules, and downloads from a real HTTP server on 127.0.0.1 (redirects, a gzip bomb, a slow drip); every
refusal names the rule and the setting, never what the file holds."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.contacts.source import CsvUnreadable, admit, content_sha256, open_csv
from activities.ringg.activities import RinggActivities
from api.settings import ApiSettings
from cli.app import app
from contract.errors import CSV_SOURCE_REFUSED
from contract.ringg_steps import TerminateNumbersInput
from domain.csv_limits import MAX_MB, CsvLimitExceeded, CsvLimits
from domain.csv_sources import (
    ALLOW_PRIVATE,
    DIRS,
    PROJECT_ROOT,
    URL_HOSTS,
    CsvSettingError,
    CsvSources,
    SourceRefused,
    address_problem,
    csv_sources_from_env,
    shown,
    url_problem,
)
from ringg import RinggClient, make_http_client
from runtime.settings import SettingsError, WorkerSettings
from tests.csv_source_helpers import SECRET, SECRET_CSV, Route, Served, http_server

CONTACTS = "Mobile Number,Name\n+919876543210,Asha\n+919812345678,Rahul\n"


@pytest.fixture
def served() -> Iterator[Served]:
    with http_server() as running:
        yield running


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """(an allowed folder, a folder outside it holding a secret file)."""
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (outside / "api_key").write_text(SECRET_CSV)
    return allowed, outside


def rules(
    *dirs: Path, hosts: tuple[str, ...] = (), private: bool = False, max_bytes: int = 1 << 30, timeout_s: float = 600
) -> CsvSources:
    limits = CsvLimits(max_bytes=max_bytes, download_timeout_s=timeout_s)
    return CsvSources(dirs=dirs, url_hosts=frozenset(hosts), allow_private=private, limits=limits)


def route(text: str, drip_s: float = 0.0) -> Route:
    return Route(body=text.encode(), drip_s=drip_s)


async def refusal(uri: str, sources: CsvSources, kind: type[Exception] = SourceRefused) -> str:
    """The refusal's message when the file is opened (as the activities open it); the secret is never in it."""
    with pytest.raises(kind) as info:
        async with open_csv(uri, sources):
            pass
    message = str(info.value)
    assert SECRET not in message and "sk-live" not in message, message
    return message


# --- settings -------------------------------------------------------------------------------------------------


def test_defaults_are_the_upload_folder_and_data_contacts_under_the_project_root() -> None:
    sources = csv_sources_from_env({})
    assert sources.dirs == (PROJECT_ROOT / "data/uploads", PROJECT_ROOT / "data/contacts")
    assert sources.url_hosts == frozenset() and not sources.allow_private
    assert sources.limits == CsvLimits()
    assert csv_sources_from_env({"CAMPAIGN_UPLOAD_DIR": "/srv/uploads"}).dirs[0] == Path("/srv/uploads")
    assert csv_sources_from_env({}, upload_dir=Path("/a/b")).dirs[0] == Path("/a/b")


def test_settings_are_parsed_once_for_the_worker_and_the_api(tmp_path: Path) -> None:
    env = {
        DIRS: os.pathsep.join(["/srv/contacts", "relative/dir", ""]),
        URL_HOSTS: " Files.Example.com., *.Storage.example.net ,,",
        ALLOW_PRIVATE: "1",
        MAX_MB: "5",
        "CAMPAIGN_CSV_DOWNLOAD_TIMEOUT_S": "30",
        "CAMPAIGN_CSV_MAX_LINE_CHARS": "4096",
        "CAMPAIGN_CSV_MAX_CELL_CHARS": "512",
        "CAMPAIGN_CSV_MAX_COLUMNS": "20",
    }
    expected = CsvSources(
        dirs=(Path("/srv/contacts"), PROJECT_ROOT / "relative/dir"),
        url_hosts=frozenset({"files.example.com", "*.storage.example.net"}),
        allow_private=True,
        limits=CsvLimits(5 * 1024 * 1024, 30, 4096, 512, 20),
    )
    assert csv_sources_from_env(env) == expected
    assert WorkerSettings.from_env({**env, "RINGG_API_KEY": "k", "TEMPORAL_ADDRESS": "h:1"}).csv_sources == expected
    api = ApiSettings.from_env({**env, "API_ALLOW_NO_AUTH": "1", "CAMPAIGN_UPLOAD_DIR": str(tmp_path)})
    assert api.csv_sources == expected  # CAMPAIGN_CSV_DIRS given: the upload folder is not added behind its back
    assert ApiSettings.from_env({"API_ALLOW_NO_AUTH": "1", "CAMPAIGN_UPLOAD_DIR": str(tmp_path)}).csv_sources == (
        CsvSources(dirs=(tmp_path, PROJECT_ROOT / "data/contacts"))
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({URL_HOSTS: "https://files.example.com"}, URL_HOSTS),
        ({URL_HOSTS: "files.example.com:8443"}, URL_HOSTS),
        ({URL_HOSTS: "files.*.com"}, URL_HOSTS),
        ({ALLOW_PRIVATE: "yes please"}, ALLOW_PRIVATE),
        ({MAX_MB: "0"}, MAX_MB),
        ({"CAMPAIGN_CSV_MAX_LINE_CHARS": "1e6"}, "CAMPAIGN_CSV_MAX_LINE_CHARS"),
    ],
)
def test_bad_settings_are_refused_naming_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(CsvSettingError, match=named):
        csv_sources_from_env(env)
    with pytest.raises(SettingsError, match=named):
        WorkerSettings.from_env({**env, "RINGG_API_KEY": "k", "TEMPORAL_ADDRESS": "h:1"})


# --- the rules --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public_only", "with_private"),
    [
        ("93.184.216.34", None, None),
        ("127.0.0.1", "a loopback address", None),
        ("::1", "a loopback address", None),
        ("::ffff:127.0.0.1", "a loopback address", None),
        ("10.11.12.13", "a private address", None),
        ("192.168.1.20", "a private address", None),
        ("fd12:3456::1", "a private address", None),
        ("169.254.169.254", "cloud metadata", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata", "cloud metadata"),
        ("100.100.100.200", "cloud metadata", "cloud metadata"),
        ("fe80::1%eth0", "cloud metadata", "cloud metadata"),
        ("224.0.0.251", "multicast", "multicast"),
        ("::", "unspecified", "unspecified"),
        ("240.0.0.1", "reserved", "reserved"),
    ],
)
def test_addresses_after_resolution(address: str, public_only: str | None, with_private: str | None) -> None:
    for private, expected in ((False, public_only), (True, with_private)):
        problem = address_problem("files.example.com", address, rules(private=private), what="csv_uri")
        if expected is None:
            assert problem is None
        else:
            assert problem is not None and expected in problem, problem
            assert ALLOW_PRIVATE in problem or "never" in problem


def test_hosts_are_matched_exactly_or_by_subdomain_wildcard() -> None:
    sources = rules(hosts=("files.example.com", "*.storage.example.net"))
    assert url_problem("https://files.example.com/c.csv", sources, what="csv_uri") is None
    assert url_problem("https://FILES.example.com./c.csv", sources, what="csv_uri") is None
    assert url_problem("https://eu.storage.example.net/c.csv", sources, what="csv_uri") is None
    for refused in ("https://storage.example.net/c.csv", "https://files.example.com.evil.io/c.csv", "ftp://x/c"):
        assert url_problem(refused, sources, what="csv_uri") is not None, refused


def test_errors_show_urls_without_credentials_or_query() -> None:
    url = "https://user:pa55@files.example.com:8443/c.csv?X-Amz-Signature=abc123"
    assert shown(url) == "https://files.example.com:8443/c.csv?…"
    problem = url_problem(url, rules(), what="csv_uri")
    assert problem is not None and "abc123" not in problem and "pa55" not in problem and URL_HOSTS in problem


# --- local files --------------------------------------------------------------------------------------------------


async def test_a_file_outside_the_allowed_folders_is_refused(folders: tuple[Path, Path]) -> None:
    allowed, outside = folders
    message = await refusal(str(outside / "api_key"), rules(allowed))
    assert "outside the folders contacts may be read from" in message and DIRS in message
    assert str(allowed) in message  # the operator sees where files may go


async def test_a_path_with_a_nul_character_is_refused_not_an_error(folders: tuple[Path, Path]) -> None:
    """The schema fuzz found it: os.path.realpath raises ValueError on a NUL, which the API answered with a 500."""
    allowed, _ = folders
    message = await refusal(str(allowed / "c\x00.csv"), rules(allowed))
    assert "NUL character" in message


async def test_system_files_are_refused_whatever_the_folders(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    assert "outside the folders" in await refusal("/etc/passwd", rules(allowed))
    assert "outside the folders" in await refusal("file:///etc/passwd", rules(allowed))
    for uri in ("/proc/self/environ", "/dev/zero", "/sys/kernel/notes"):
        message = await refusal(uri, rules(Path("/")))  # even when the whole disk is allowed
        assert "/proc, /sys or /dev" in message and "never" in message


async def test_symlinks_are_followed_before_the_folder_is_checked(folders: tuple[Path, Path], tmp_path: Path) -> None:
    allowed, outside = folders
    (allowed / "contacts.csv").symlink_to(outside / "api_key")
    (allowed / "upload").symlink_to(outside, target_is_directory=True)
    (allowed / "environ.csv").symlink_to("/proc/self/environ")
    assert "symlinks followed" in await refusal(str(allowed / "contacts.csv"), rules(allowed))
    assert "symlinks followed" in await refusal(str(allowed / "upload" / "api_key"), rules(allowed))
    assert "/proc" in await refusal(str(allowed / "environ.csv"), rules(allowed))
    # A link that stays inside is fine, and so is an allowed folder named through a link.
    (allowed / "real.csv").write_text(CONTACTS)
    (allowed / "alias.csv").symlink_to(allowed / "real.csv")
    (tmp_path / "link-to-allowed").symlink_to(allowed, target_is_directory=True)
    async with open_csv(str(allowed / "alias.csv"), rules(tmp_path / "link-to-allowed")) as path:
        assert path == (allowed / "real.csv").resolve()


async def test_only_regular_files_within_the_size_limit_are_read(folders: tuple[Path, Path]) -> None:
    allowed, _ = folders
    os.mkfifo(allowed / "pipe.csv")  # reading it would block forever
    assert "not a regular file" in await refusal(str(allowed / "pipe.csv"), rules(allowed), CsvUnreadable)
    assert "not found" in await refusal(str(allowed / "none.csv"), rules(allowed), CsvUnreadable)
    (allowed / "big.csv").write_text(CONTACTS * 40_000)  # ~1.5 MB
    message = await refusal(str(allowed / "big.csv"), rules(allowed, max_bytes=1024 * 1024), CsvLimitExceeded)
    assert "larger than 1 MB" in message and MAX_MB in message


# --- URLs -----------------------------------------------------------------------------------------------------------


async def test_a_host_not_listed_is_never_asked(served: Served, folders: tuple[Path, Path]) -> None:
    served.routes["/secret.csv"] = route(SECRET_CSV)
    message = await refusal(served.url("/secret.csv"), rules(*folders[:1]))
    assert "'127.0.0.1' is not one contacts may be downloaded from" in message and URL_HOSTS in message
    assert served.requests == []


async def test_a_listed_host_resolving_to_loopback_or_a_private_address_is_refused(served: Served) -> None:
    served.routes["/secret.csv"] = route(SECRET_CSV)
    for uri, hosts in (
        (served.url("/secret.csv", host="localhost"), ("localhost",)),  # a name: refused after resolving it
        (served.url("/secret.csv"), ("127.0.0.1",)),
        ("http://10.11.12.13/contacts.csv", ("10.11.12.13",)),  # refused before any connection
        ("http://169.254.169.254/latest/meta-data/iam/", ("169.254.169.254",)),
    ):
        message = await refusal(uri, rules(hosts=hosts))
        assert "resolves to" in message, message
    assert served.requests == []
    # The operator may allow private addresses (an intranet file server): then the download goes ahead.
    served.routes["/contacts.csv"] = route(CONTACTS)
    async with open_csv(served.url("/contacts.csv", host="localhost"), rules(hosts=("localhost",), private=True)) as p:
        assert p.read_text() == CONTACTS
    assert served.requests == ["/contacts.csv"]


async def test_every_redirect_is_checked_again(served: Served) -> None:
    sources = rules(hosts=("localhost", "169.254.169.254"), private=True)
    served.routes["/secret.csv"] = route(SECRET_CSV)
    served.redirect("/to-loopback.csv", served.url("/secret.csv"))  # 127.0.0.1: not a listed host
    served.redirect("/to-metadata.csv", "http://169.254.169.254/latest/meta-data/")
    served.redirect("/to-relative.csv", "/secret.csv")  # same host: allowed
    message = await refusal(served.url("/to-loopback.csv", host="localhost"), sources)
    assert "redirected to" in message and "'127.0.0.1' is not one" in message
    message = await refusal(served.url("/to-metadata.csv", host="localhost"), sources)
    assert "redirected to" in message and "169.254.169.254" in message and "cloud metadata" in message
    assert served.requests == ["/to-loopback.csv", "/to-metadata.csv"]
    async with open_csv(served.url("/to-relative.csv", host="localhost"), sources) as path:
        assert path.read_text() == SECRET_CSV  # (the allowed host's own file)


async def test_at_most_three_redirects_are_followed(served: Served) -> None:
    sources = rules(hosts=("localhost",), private=True)
    served.routes["/c.csv"] = route(CONTACTS)
    for hop in range(4):
        served.redirect(f"/hop{hop}", f"/hop{hop + 1}" if hop < 3 else "/c.csv")
    async with open_csv(served.url("/hop1", host="localhost"), sources) as path:  # 3 redirects
        assert path.read_text() == CONTACTS
    message = await refusal(served.url("/hop0", host="localhost"), sources)  # 4 redirects
    assert "redirected more than 3 times" in message


async def test_a_gzip_bomb_stops_at_the_byte_limit(served: Served) -> None:
    sent = served.gzip_bomb("/bomb.csv", decoded_bytes=64 * 1024 * 1024)
    assert sent < 200_000
    sources = rules(hosts=("localhost",), private=True, max_bytes=1024 * 1024)
    message = await refusal(served.url("/bomb.csv", host="localhost"), sources, CsvLimitExceeded)
    assert "larger than 1 MB" in message and MAX_MB in message
    with pytest.raises(CsvLimitExceeded):
        await content_sha256(served.url("/bomb.csv", host="localhost"), sources)


async def test_one_deadline_for_the_whole_download(served: Served) -> None:
    """A server that sends a byte every 0.1 s never trips a per-read timeout; the download's deadline stops it."""
    served.routes["/drip.csv"] = route(CONTACTS * 10, drip_s=0.1)
    sources = rules(hosts=("localhost",), private=True, timeout_s=1)
    started = time.monotonic()
    message = await refusal(served.url("/drip.csv", host="localhost"), sources, CsvLimitExceeded)
    assert "did not finish within 1 s" in message and "CAMPAIGN_CSV_DOWNLOAD_TIMEOUT_S" in message
    assert time.monotonic() - started < 5


async def test_hashing_for_the_idempotency_key_obeys_the_same_rules(served: Served, folders: tuple[Path, Path]) -> None:
    allowed, outside = folders
    served.routes["/secret.csv"] = route(SECRET_CSV)
    with pytest.raises(SourceRefused):
        await content_sha256(str(outside / "api_key"), rules(allowed))
    with pytest.raises(SourceRefused):
        await content_sha256(served.url("/secret.csv", host="localhost"), rules(hosts=("localhost",)))
    assert served.requests == []
    served.routes["/c.csv"] = route(CONTACTS)
    digest = await content_sha256(served.url("/c.csv", host="localhost"), rules(hosts=("localhost",), private=True))
    assert digest == hashlib.sha256(CONTACTS.encode()).hexdigest()


async def test_admit_checks_without_reading(folders: tuple[Path, Path]) -> None:
    allowed, outside = folders
    await admit(str(allowed / "not-yet-there.csv"), rules(allowed))  # the worker reports a missing file
    await admit("https://files.example.com/c.csv?sig=1", rules(hosts=("files.example.com",)))
    with pytest.raises(SourceRefused, match="numbers_uri"):
        await admit(str(outside / "api_key"), rules(allowed), what="numbers_uri")


def test_the_starter_refuses_before_reaching_temporal(folders: tuple[Path, Path]) -> None:
    allowed, outside = folders
    argv = ["start", "--name", "Leak", "--agent-id", "a-1", "--from-number", "n-1", "--address", "127.0.0.1:1"]
    for csv_uri in (str(outside / "api_key"), "/etc/passwd", "http://169.254.169.254/latest/meta-data/"):
        result = CliRunner().invoke(app, [*argv, "--csv", csv_uri], env={"COLUMNS": "300", DIRS: str(allowed)})
        assert result.exit_code == 2, result.output
        assert "the campaign was not started" in result.output and "cannot reach Temporal" not in result.output
        assert SECRET not in result.output


def test_schedules_and_stop_numbers_are_refused_before_reaching_temporal(folders: tuple[Path, Path]) -> None:
    allowed, outside = folders
    env = {"COLUMNS": "300", DIRS: str(allowed)}
    schedule = ["schedule", "create", "nightly", "--name", "N", "--agent-id", "a", "--from-number", "n"]
    when = ["--cron", "0 9 * * *", "--until", "18:00", "--call-config", '{"call_time": {"timezone": "UTC"}}']
    when += ["--address", "127.0.0.1:1"]
    result = CliRunner().invoke(app, [*schedule, "--csv", str(outside / "{date}.csv"), *when], env=env)
    assert result.exit_code == 2 and "the schedule was not created" in result.output, result.output
    assert "the template's, for a fire on" in result.output and "cannot reach Temporal" not in result.output
    stop = ["stop-numbers", "campaign-x", "--file", str(outside / "api_key"), "--address", "127.0.0.1:1"]
    result = CliRunner().invoke(app, stop, env=env)
    assert result.exit_code == 1 and "no number was stopped" in result.output, result.output
    assert "cannot reach Temporal" not in result.output and SECRET not in result.output


async def test_the_stop_numbers_activity_holds_numbers_uri_to_the_same_rules(folders: tuple[Path, Path]) -> None:
    allowed, outside = folders
    sent: list[httpx.Request] = []

    def ringg(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"message": "ok"})

    transport = httpx.MockTransport(ringg)
    async with make_http_client("https://ringg.test/ca/api/v0", SecretStr("k"), transport=transport) as http:
        acts = RinggActivities(RinggClient(http), sources=rules(allowed))
        for uri in (str(outside / "api_key"), "/etc/passwd", "http://169.254.169.254/latest/"):
            inp = TerminateNumbersInput(list_id="L1", numbers_uri=uri, country_code="+91")
            with pytest.raises(ApplicationError) as info:
                await ActivityEnvironment().run(acts.terminate_numbers, inp)
            assert info.value.type == CSV_SOURCE_REFUSED and info.value.non_retryable
            assert "numbers_uri" in info.value.message and SECRET not in info.value.message
    assert sent == []
