"""CSV pre-flight: CsvActivities.preflight_csv in an ActivityEnvironment and scan_csv directly (row counting,
hashing, header checks, encodings, local/file:///http sources, idempotency keys)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import http.server
import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.contacts.preflight import CsvActivities, CsvScan, scan_csv
from activities.contacts.source import env_sources
from contract.preflight import PreflightInput, PreflightResult
from domain.csv_sources import CsvSources
from domain.idempotency import derive_key

HEADER = "Name,Mobile Number,City\n"
ROWS = "Asha Verma,+919876543210,Pune\nRahul Mehta,+919812345678,Delhi\nMeera Iyer,+919800000003,Chennai\n"
MAPPING = {"mobile_number": "Mobile Number", "callee_name": "Name"}
# The tests' rules with downloads from this machine's HTTP server allowed (CAMPAIGN_CSV_URL_HOSTS=127.0.0.1 and
# CAMPAIGN_CSV_URL_ALLOW_PRIVATE=1).
LOOPBACK = dataclasses.replace(env_sources(), url_hosts=frozenset({"127.0.0.1"}), allow_private=True)


def write(tmp_path: Path, content: str | bytes, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def preflight_input(csv_uri: str | Path, **changes: Any) -> PreflightInput:
    data: dict[str, Any] = {
        "csv_uri": str(csv_uri),
        "variables_map": MAPPING,
        "campaign_name": "Diwali offers",
        "agent_id": "agent-7",
        "campaign_start_time": "18/10/2030, 09:00",
        "campaign_end_time": "18/10/2030, 18:00",
    }
    return PreflightInput.model_validate({**data, **changes})


async def preflight(
    inp: PreflightInput, reports: Path | None = None, sources: CsvSources | None = None
) -> PreflightResult:
    reports = reports or Path(tempfile.mkdtemp(prefix="reports-"))
    return await ActivityEnvironment().run(CsvActivities(reports, sources).preflight_csv, inp)


def scan(path: Path, mapping: dict[str, str] = MAPPING) -> CsvScan:
    return scan_csv(path, mapping, "+91", path.with_suffix(".report.csv"))


async def preflight_error(
    inp: PreflightInput, error_type: str = "InvalidCsv", sources: CsvSources | None = None
) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        await preflight(inp, sources=sources)
    err = info.value
    assert err.type == error_type and err.non_retryable
    return err


# --- scan_csv ------------------------------------------------------------------------------------------------


def test_scan_counts_non_blank_rows_and_hashes_the_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\n" + ROWS + ",,\n  , \n\n")

    result = scan(path)

    assert result.columns == 3
    assert result.counts.data_rows == 3
    assert result.content_hash == sha256_of(path)


def test_scan_handles_crlf_quoted_newlines_and_no_trailing_newline(tmp_path: Path) -> None:
    content = 'Name,Mobile Number,Note\r\n"Verma, Asha",+919876543210,"line one\r\nline two"\r\nRahul,+919812345678,x'
    path = write(tmp_path, content)

    result = scan(path)

    assert result.counts.data_rows == 2
    assert result.content_hash == sha256_of(path)


def test_scan_strips_a_bom_and_header_spaces(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf Name , Mobile Number ,City\n" + ROWS.encode())

    result = scan(path)

    assert result.columns == 3 and result.counts.data_rows == 3  # " Mobile Number " is the mapped column
    assert result.content_hash == sha256_of(path)  # the BOM is part of the hashed bytes


def test_scan_hashes_files_larger_than_one_read_chunk(tmp_path: Path) -> None:
    row = "Customer Name,+91{:010d},Some Company Pvt Ltd\n"
    count = 3 * (1 << 20) // len(row)
    path = write(tmp_path, HEADER + "".join(row.format(9800000000 + i) for i in range(count)))

    result = scan(path)

    assert result.counts.data_rows == count
    assert result.content_hash == sha256_of(path)


def test_scan_rejects_empty_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        scan(write(tmp_path, b"", "empty.csv"))
    with pytest.raises(UnicodeDecodeError):
        scan(write(tmp_path, "Name,Mobile Number\nJosé,+919876543210\n".encode("latin-1"), "latin1.csv"))


# --- preflight_csv -------------------------------------------------------------------------------------------


async def test_preflight_counts_rows_and_hashes_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ROWS + "\n\n")

    result = await preflight(preflight_input(path))

    assert result.data_rows == 3
    assert result.content_hash == sha256_of(path)
    assert result.columns == 3 and result.headers == []  # the header's size, never its names
    assert result.idempotency_key.startswith("ik-")


async def test_preflight_accepts_a_bom_and_padded_headers(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfName ,  Mobile Number\t,City\r\n" + ROWS.replace("\n", "\r\n").encode())

    result = await preflight(preflight_input(path))

    assert result.data_rows == 3 and result.columns == 3  # "  Mobile Number\t" matched the mapping
    assert result.content_hash == sha256_of(path)


async def test_preflight_names_the_missing_columns_and_counts_the_others(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ROWS)
    inp = preflight_input(path, variables_map={"mobile_number": "Phone", "callee_name": "Name", "due": "Due Date"})

    err = await preflight_error(inp)

    assert "'Phone'" in err.message and "'Due Date'" in err.message
    assert "the header has 3 columns" in err.message and "variables_map" in err.message
    # The file's own header names are not quoted back (only the caller's mapped names are).
    assert "City" not in err.message and "Mobile Number" not in err.message


async def test_preflight_rejects_an_empty_file(tmp_path: Path) -> None:
    err = await preflight_error(preflight_input(write(tmp_path, b"")))

    assert "the file is empty" in err.message


async def test_preflight_rejects_a_header_only_file(tmp_path: Path) -> None:
    err = await preflight_error(preflight_input(write(tmp_path, HEADER + "\n , ,\n")))

    assert "has a header but no data rows" in err.message


async def test_preflight_rejects_latin1_with_a_utf8_hint(tmp_path: Path) -> None:
    path = write(tmp_path, ("Name,Mobile Number\n" + "Asha,+919876543210\n" + "José,+919812345678\n").encode("latin-1"))

    err = await preflight_error(preflight_input(path, variables_map={"mobile_number": "Mobile Number"}))

    assert "UTF-8" in err.message
    assert str(path) in err.message


async def test_preflight_reports_the_file_offset_of_a_bad_byte(tmp_path: Path) -> None:
    head = ("Name,Mobile Number\n" + "Asha,+919876543210\n" * 2000).encode()
    path = write(tmp_path, head + b"Jos\xe9,+919812345678\n")
    offset = path.read_bytes().index(b"\xe9")

    err = await preflight_error(preflight_input(path, variables_map={"mobile_number": "Mobile Number"}))

    assert f"offset {offset};" in err.message


async def test_preflight_reports_a_missing_file(tmp_path: Path) -> None:
    err = await preflight_error(preflight_input(tmp_path / "nope.csv"))

    assert "nope.csv" in err.message and "not found" in err.message


async def test_preflight_rejects_unsupported_schemes() -> None:
    err = await preflight_error(preflight_input("s3://bucket/contacts.csv"), "CsvSourceRefused")

    assert "Unsupported csv_uri" in err.message


async def test_preflight_reads_file_uris(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ROWS, "my contacts.csv")
    uri = path.as_uri()
    assert "%20" in uri

    result = await preflight(preflight_input(uri))

    assert result.data_rows == 3
    assert result.content_hash == sha256_of(path)


# --- http(s) sources -----------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving a directory; yields (base url, directory)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "served"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_preflight_downloads_http_csv_with_the_same_hash_and_key(
    tmp_path: Path, http_root: tuple[str, Path]
) -> None:
    base, root = http_root
    local = write(tmp_path, HEADER + ROWS)
    write(root, local.read_bytes(), "contacts.csv")

    remote = await preflight(preflight_input(f"{base}/contacts.csv"), sources=LOOPBACK)
    from_disk = await preflight(preflight_input(local))

    assert remote.content_hash == sha256_of(local) == from_disk.content_hash
    assert remote.data_rows == 3
    assert remote.idempotency_key == from_disk.idempotency_key


async def test_preflight_reports_an_http_error(http_root: tuple[str, Path]) -> None:
    base, _ = http_root

    err = await preflight_error(preflight_input(f"{base}/missing.csv"), sources=LOOPBACK)

    assert "HTTP 404" in err.message and "missing.csv" in err.message


# --- idempotency keys ----------------------------------------------------------------------------------------


async def test_idempotency_key_is_stable_for_the_same_inputs(tmp_path: Path) -> None:
    first = write(tmp_path, HEADER + ROWS, "a.csv")
    copy = write(tmp_path, HEADER + ROWS, "b.csv")

    keys = {(await preflight(preflight_input(path))).idempotency_key for path in (first, first, copy)}

    assert len(keys) == 1
    (key,) = keys
    assert key == derive_key(sha256_of(first), "agent-7", "Diwali offers", "18/10/2030, 09:00", "18/10/2030, 18:00")


@pytest.mark.parametrize(
    "change",
    [
        {"agent_id": "agent-8"},
        {"campaign_name": "Diwali offers 2"},
        {"campaign_start_time": "18/10/2030, 10:00"},
        {"campaign_end_time": "19/10/2030, 18:00"},
        {"campaign_start_time": None, "campaign_end_time": None},
    ],
    ids=["agent", "name", "start", "end", "no-window"],
)
async def test_idempotency_key_changes_with_the_inputs(tmp_path: Path, change: dict[str, Any]) -> None:
    path = write(tmp_path, HEADER + ROWS)

    base = await preflight(preflight_input(path))
    changed = await preflight(preflight_input(path, **change))

    assert changed.idempotency_key != base.idempotency_key


async def test_idempotency_key_changes_with_the_content(tmp_path: Path) -> None:
    original = write(tmp_path, HEADER + ROWS, "a.csv")
    edited = write(tmp_path, HEADER + ROWS.replace("Pune", "Mumbai"), "b.csv")

    first = await preflight(preflight_input(original))
    second = await preflight(preflight_input(edited))

    assert first.content_hash != second.content_hash
    assert first.idempotency_key != second.idempotency_key


async def test_idempotency_key_ignores_surrounding_spaces_in_the_name(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ROWS)

    plain = await preflight(preflight_input(path))
    padded = await preflight(preflight_input(path, campaign_name="  Diwali offers "))

    assert padded.idempotency_key == plain.idempotency_key


async def test_a_caller_provided_idempotency_key_is_used_as_is(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ROWS)

    result = await preflight(preflight_input(path, idempotency_key="diwali-2026:batch_1.v2"))

    assert result.idempotency_key == "diwali-2026:batch_1.v2"
    assert result.content_hash == sha256_of(path)


# --- number types --------------------------------------------------------------------------------------------

LANDLINE_ROWS = "Asha Verma,+919876543210,Pune\nMumbai office,022 6997 6801,Mumbai\n"


async def test_a_landline_is_called_unless_the_request_calls_mobiles_only(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + LANDLINE_ROWS)

    refused = await preflight(preflight_input(path, number_types=["mobile"]))
    assert (refused.valid_rows, refused.unusable_rows, refused.first_problem_rows) == (1, 1, [3])
    assert refused.report_path is not None
    with open(refused.report_path, newline="", encoding="utf-8") as f:
        (row,) = list(csv.DictReader(f))
    assert row["row"] == "3" and row["phone_as_written"] == "022 6997 6801"
    assert (
        row["problem"].lstrip("'").startswith("+912269976801 is a landline number (fixed_line)")
    )  # safe_row quotes a leading +
    assert 'add "fixed_line" to number_types' in row["problem"]

    allowed = await preflight(preflight_input(path))  # the default calls landlines
    assert (allowed.valid_rows, allowed.unusable_rows, allowed.report_path) == (2, 0, None)


async def test_an_empty_number_types_list_is_refused_before_the_file_is_read(tmp_path: Path) -> None:
    err = await preflight_error(preflight_input(tmp_path / "absent.csv", number_types=[]), "InvalidCampaignRequest")
    assert "number_types must list one or more of mobile" in str(err)
