"""Bad input, kind by kind, through a raw start of CampaignWorkflow (no starter checks in front): a clear non-retryable
error, no upload where it cannot succeed, no launch; readable mistakes (padded headers, a byte-order mark) complete."""

from __future__ import annotations

import asyncio
import csv
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from contract.campaign import CampaignResult
from devtools.sample_csv import phone_for
from ringg_sim.testing import RunningSimulator, SimAdmin, running_simulator
from tests.csv_source_helpers import SECRET, SECRET_CSV
from tests.stack_helpers import uploads_named, worker_for

pytestmark = pytest.mark.integration

SIM_KEY = "sim-bad-input-key-4e1d"
NUMBER_ID = "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"
HEADER = "Mobile Number,Name,Policy ID"
MAP = {"mobile_number": "Mobile Number", "callee_name": "Name", "policy_id": "Policy ID"}
REQUEST = "InvalidCampaignRequest"


PAYLOAD = "InvalidPayload"


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"timezone": "Asia/Kolkata"}
    for _ in range(levels - 1):
        value = {"call_time": value}
    return value


def rows(n: int = 5) -> str:
    return "".join(f"{phone_for(i)},Name {i},POL-{i}\n" for i in range(1, n + 1))


GOOD_CSV = (HEADER + "\n" + rows()).encode()
LEAKS = (SECRET, "secret_col", "xxxxxxxx", "root:x:0")  # what the refused files hold: never in an error


@dataclass
class Case:
    kind: str
    expect: str  # a fragment of the error message, or "completes"
    csv: bytes = GOOD_CSV
    changes: dict[str, Any] = field(default_factory=dict)
    error_type: str = "InvalidCsv"
    report: bool = False  # the error names a report of the rows for the CSV's owner
    uri: Callable[[Path, Path], str] | None = None  # csv_uri from (tmp_path, a secret file outside the allowed folders)


def symlink_to(tmp_path: Path, target: Path) -> str:
    link = tmp_path / "innocent-looking.csv"
    link.symlink_to(target)
    return str(link)


SOURCE = "CsvSourceRefused"
LIMIT = "CsvLimitExceeded"
WIDE = 1_000_001


CASES = [
    Case("missing mobile column", "has no column 'Mobile Number'", b"Phone,Name,Policy ID\n+919876543210,A,P\n"),
    Case(
        "missing mapped column",
        "has no column 'Full Name'",
        (HEADER + "\n" + rows()).encode(),
        {"variables_map": {**MAP, "callee_name": "Full Name"}},
    ),
    Case("column twice", "appears more than once", (b"Mobile Number,Name,Name,Policy ID\n+919876543210,A,B,P\n")),
    Case("extra spaces in headers", "completes", (" Mobile Number , Name ,Policy ID \n" + rows()).encode()),
    Case("BOM", "completes", b"\xef\xbb\xbf" + (HEADER + "\n" + rows()).encode()),
    Case("Latin-1 file", "is not UTF-8 text", (HEADER + "\n+919876543210,José,P\n").encode("latin-1")),
    Case("UTF-16 file", "UTF-16 text", (HEADER + "\n" + rows()).encode("utf-16")),
    Case("Excel workbook", "Excel workbook", b"PK\x03\x04" + b"\x00" * 64),
    Case("NUL bytes", "NUL bytes", (HEADER + "\n+919876543210,A\x00,P\n").encode()),
    Case("empty file", "the file is empty", b""),
    Case("header only", "has a header but no data rows", (HEADER + "\n\n , ,\n").encode()),
    Case(
        "bad phones",
        "3 unusable rows",
        (HEADER + "\n" + rows(4) + "12-AB,X,P\n98765,Y,P\n,Z,P\n").encode(),
        report=True,
    ),
    Case(
        "spreadsheet-mangled phones",
        "1 unusable row",
        (HEADER + "\n" + rows(2) + "9.19877E+11,X,P\n").encode(),
        report=True,
    ),
    Case("duplicates", "2 duplicate numbers", (HEADER + "\n" + rows(3) + rows(2)).encode(), report=True),
    Case(
        "unquoted comma",
        "1 unusable row",
        (HEADER + "\n" + rows(2) + "+919876543219,Iyer, Meera,P\n").encode(),
        report=True,
    ),
    Case(
        "nothing left after removing",
        "No row is left to call",
        (HEADER + "\n12-AB,X,P\n,Y,P\n").encode(),
        {"remove_invalid_rows": True},
        report=True,
    ),
    Case(
        "both caller options",
        "exactly one of from_numbers",
        changes={"number_pool_id": "pool-1"},
        error_type=REQUEST,
    ),
    Case(
        "neither caller option",
        "exactly one of from_numbers",
        changes={"from_numbers": None},
        error_type=REQUEST,
    ),
    Case(
        "window in the past",
        "is already past in Asia/Kolkata",
        changes={"campaign_start_time": "01/01/2024, 09:00", "campaign_end_time": "01/01/2024, 18:00"},
        error_type=REQUEST,
    ),
    Case(
        "large flow without a window",  # Ringg's make-call-async would answer 422 after the upload
        "campaign_start_time, campaign_end_time, call_config are required",
        changes={"flow": "large", "campaign_start_time": None, "campaign_end_time": None, "call_config": {}},
        error_type=REQUEST,
    ),
    Case(
        "start after end",
        "must be before campaign_end_time",
        changes={"campaign_start_time": "18/10/2030, 18:00", "campaign_end_time": "18/10/2030, 09:00"},
        error_type=REQUEST,
    ),
    Case(
        "malformed window",
        'must look like "DD/MM/YYYY, HH:MM"',
        changes={"campaign_start_time": "2030-10-18 09:00"},
        error_type=REQUEST,
    ),
    Case(
        "unknown timezone",
        "is not a known IANA timezone",
        changes={
            "call_config": {
                "call_time": {"call_start_time": "09:00", "call_end_time": "18:00", "timezone": "India/Delhi"}
            }
        },
        error_type=REQUEST,
    ),
    Case(
        "concurrency 101",
        "concurrency_percentage must be between 0 and 100",
        changes={"concurrency_percentage": 101},
        error_type=REQUEST,
    ),
    Case(
        "invalid row share above 1",
        "max_invalid_row_share must be between 0 and 1",
        changes={"max_invalid_row_share": 1.5},
        error_type=REQUEST,
    ),
    Case(
        "concurrency on the standard flow",
        "concurrency_percentage (25) is only sent by the large flow",
        changes={"flow": "standard", "concurrency_percentage": 25},
        error_type=REQUEST,
    ),
    Case(
        "concurrency where auto picks the standard flow",
        "/campaign/start and /campaign/v2/start do not accept it",
        changes={"concurrency_percentage": 25},
        error_type=REQUEST,
    ),
    Case(
        "unknown number pool",
        "number_pool_id pool-404 is not a number pool of this Ringg workspace",
        changes={"from_numbers": None, "number_pool_id": "pool-404"},
        error_type="UnknownNumberPool",
    ),
    Case(
        "bad country code",
        "country_code 'India' is not a dialling code",
        changes={"country_code": "India"},
        error_type=REQUEST,
    ),
    Case(
        "no mobile mapping",
        'variables_map must map "mobile_number"',
        changes={"variables_map": {"callee_name": "Name"}},
        error_type=REQUEST,
    ),
    Case("empty campaign name", "campaign_name is required", changes={"campaign_name": "  "}, error_type=REQUEST),
    Case("unreadable csv_uri", "no such file on this machine", uri=lambda tmp, _: str(tmp / "nonexistent.csv")),
    Case("unsupported csv_uri", "Unsupported csv_uri", changes={"csv_uri": "s3://bucket/c.csv"}, error_type=SOURCE),
    # Where contacts may come from (CAMPAIGN_CSV_DIRS, CAMPAIGN_CSV_URL_HOSTS): refused, the file never quoted.
    Case(
        "secret file outside the folders",
        "outside the folders contacts may be read from",
        uri=lambda _, secret: str(secret),
        error_type=SOURCE,
    ),
    Case(
        "/etc/passwd",
        "outside the folders contacts may be read from",
        changes={"csv_uri": "/etc/passwd"},
        error_type=SOURCE,
    ),
    Case("/proc/self/environ", "never read there", changes={"csv_uri": "/proc/self/environ"}, error_type=SOURCE),
    Case("symlink out of the folder", "symlinks followed", uri=symlink_to, error_type=SOURCE),
    Case(
        "loopback URL",
        "CAMPAIGN_CSV_URL_HOSTS=(none)",
        changes={"csv_uri": "http://127.0.0.1:9/c.csv"},
        error_type=SOURCE,
    ),
    Case(
        "private-address URL", "CAMPAIGN_CSV_URL_HOSTS", changes={"csv_uri": "http://10.0.0.7/c.csv"}, error_type=SOURCE
    ),
    Case(
        "metadata URL",
        "CAMPAIGN_CSV_URL_HOSTS",
        changes={"csv_uri": "http://169.254.169.254/latest/"},
        error_type=SOURCE,
    ),
    # Size limits at their defaults (CAMPAIGN_CSV_MAX_*): counts and limits in the error, no cell or header name.
    Case(
        "over-long line",
        "row 3 is longer than 1,048,576 characters",
        (HEADER + "\n" + rows(1) + "+919812345678,N,P" + "x" * (1 << 21) + "\n").encode(),
        error_type=LIMIT,
    ),
    Case(
        "1,001 columns",
        "the header has 1,003 columns, more than 1,000",
        (HEADER + "".join(f",secret_col_{i}" for i in range(1000)) + "\n" + rows()).encode(),
        error_type=LIMIT,
    ),
    Case(
        f"{WIDE:,} columns",
        "row 1 is longer than 1,048,576 characters",
        (HEADER + ",secret_col" * WIDE + "\n" + rows()).encode(),
        error_type=LIMIT,
    ),
    # Requests the worker could not even decode used to fail their workflow task every 10 s, forever.
    Case("call_config 250 levels deep", "recursion limit", changes={"call_config": nested(250)}, error_type=PAYLOAD),
    Case("call_config 20 levels deep", "nests 20 levels deep", changes={"call_config": nested(20)}, error_type=PAYLOAD),
    Case("unknown request field", "Extra inputs are not permitted", changes={"priority": "high"}, error_type=PAYLOAD),
    Case(
        "polling in a hot loop",
        "greater than or equal to 0.1",
        changes={"polling": {"monitor_initial_s": 0}},
        error_type=PAYLOAD,
    ),
    Case(
        "unknown caller number",
        "no-such-number",
        changes={"from_numbers": ["no-such-number"]},
        error_type="UnknownCallerNumber",
    ),
]


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with running_simulator(api_key=SIM_KEY, time_scale=0.005) as running:
        yield running


@pytest_asyncio.fixture
async def worker(stack_client: Client, sim: RunningSimulator) -> AsyncIterator[Worker]:
    async with worker_for(stack_client, sim, prefix="bad-input") as running:
        yield running


@pytest.fixture(scope="module")
def secret() -> Iterator[Path]:
    """A file outside pytest's base temp folder (which the tests' CAMPAIGN_CSV_DIRS allows), that reads as contacts."""
    folder = Path(tempfile.mkdtemp(prefix="campaign-secret-"))
    path = folder / "ringg_api_key"
    path.write_text(SECRET_CSV)
    yield path
    shutil.rmtree(folder)


def raw_request(case: Case, tmp_path: Path, secret: Path, window: dict[str, Any]) -> dict[str, Any]:
    slug = "".join(c if c.isalnum() else "-" for c in case.kind)
    path = tmp_path / f"{slug}.csv"
    path.write_bytes(case.csv)
    request: dict[str, Any] = {
        "campaign_name": f"Bad input {slug} {uuid.uuid4().hex[:6]}",
        "agent_id": "agent-bad-input",
        "csv_uri": case.uri(tmp_path, secret) if case.uri else str(path),
        "variables_map": MAP,
        "from_numbers": [NUMBER_ID],
        **window,
        "polling": {"upload_initial_s": 0.5, "upload_max_s": 2, "monitor_initial_s": 0.5, "monitor_max_s": 2},
    }
    request.update(case.changes)
    return request


async def run_case(client: Client, task_queue: str, request: dict[str, Any]) -> CampaignResult | ApplicationError:
    handle = await client.start_workflow(
        "CampaignWorkflow", request, id=f"bad-input-{uuid.uuid4()}", task_queue=task_queue, result_type=CampaignResult
    )
    try:
        result: CampaignResult = await handle.result()
    except WorkflowFailureError as err:
        assert isinstance(err.cause, ApplicationError), err.cause
        return err.cause
    return result


def test_the_table_has_at_least_twenty_kinds() -> None:
    assert len({c.kind for c in CASES}) == len(CASES) >= 20


async def test_each_bad_input_gets_a_clear_error_and_nothing_is_uploaded_or_launched(
    stack_client: Client, worker: Worker, sim: RunningSimulator, tmp_path: Path, secret: Path
) -> None:
    with SimAdmin(sim) as admin:
        window = admin.window()  # open now on the simulator's clock
        requests = [raw_request(case, tmp_path, secret, window) for case in CASES]
        before = admin.stats()
        outcomes = await asyncio.gather(*(run_case(stack_client, worker.task_queue, r) for r in requests))
        after = admin.stats()
        problems: list[str] = []
        check: Callable[[bool, str], None] = lambda ok, why: None if ok else problems.append(why)  # noqa: E731
        completed = 0
        for case, request, outcome in zip(CASES, requests, outcomes, strict=True):
            uploads = uploads_named(admin, request["campaign_name"])
            if case.expect == "completes":
                completed += 1
                check(isinstance(outcome, CampaignResult) and outcome.status == "completed", f"{case.kind}: {outcome}")
                check(len(uploads) == 1, f"{case.kind}: {len(uploads)} uploads")
                continue
            check(isinstance(outcome, ApplicationError), f"{case.kind}: did not fail: {outcome}")
            if not isinstance(outcome, ApplicationError):
                continue
            check(outcome.non_retryable, f"{case.kind}: the error is retryable")
            check(outcome.type == case.error_type, f"{case.kind}: type {outcome.type}, not {case.error_type}")
            check(case.expect in outcome.message, f"{case.kind}: {case.expect!r} not in {outcome.message!r}")
            check(not any(leak in outcome.message for leak in LEAKS), f"{case.kind}: the file is quoted")
            check(not uploads, f"{case.kind}: uploaded although it cannot succeed")
            if case.report:
                named = " is listed in " in outcome.message and "contacts-report.csv" in outcome.message
                check(named, f"{case.kind}: no report named: {outcome.message}")
                if not named:
                    continue
                report = Path(outcome.message.split(" is listed in ")[1].split(" ")[0].rstrip("."))
                listed = list(csv.DictReader(report.open(encoding="utf-8")))
                check(
                    bool(listed) and all(r["row"].isdigit() and r["problem"] for r in listed), f"{case.kind}: {listed}"
                )
    assert not problems, "\n".join(problems)
    uploads_made = len(after["uploads"]) - len(before["uploads"])
    assert uploads_made == completed, f"{uploads_made} uploads for {completed} campaigns that could succeed"
    launched = {k: v for k, v in after["launches"].items() if k not in before["launches"]}
    assert len(launched) == completed and set(launched.values()) == {1}
