"""The size limits of a contacts file as pre-flight, the upload and stop-numbers read it (activities.contacts): line,
cell and column caps on the quote-free fast path and the csv-module path, stopped without reading the rest; errors
give counts and limits, never the file's text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from activities.contacts import blocks as csv_blocks
from activities.contacts.blocks import read_blocks
from activities.contacts.numbers import read_numbers
from activities.contacts.preflight import scan_csv
from activities.contacts.rows import read_header, write_clean_csv
from domain.csv_limits import CsvLimitExceeded, CsvLimits
from domain.phones import PhoneNormalizer

MAP = {"mobile_number": "Mobile Number", "callee_name": "Name"}
ROW = "+919876543210,Asha\n"
LIMITS = CsvLimits(max_line_chars=1000, max_cell_chars=100, max_columns=50)


def rows_of(text: str, limits: CsvLimits = LIMITS) -> int:
    stream = io.StringIO(text, newline="")
    header = read_header(stream, limits)
    assert header is not None
    return sum(b.size for b in read_blocks(stream, len(header), header.index("Mobile Number"), limits))


def refused(text: str, limits: CsvLimits = LIMITS) -> tuple[str, int]:
    """(the message, how far the reader got) for a file over a limit."""
    stream = io.StringIO(text, newline="")
    with pytest.raises(CsvLimitExceeded) as info:
        header = read_header(stream, limits)
        assert header is not None
        for _ in read_blocks(stream, len(header), header.index("Mobile Number"), limits):
            pass
    return str(info.value), stream.tell()


@pytest.mark.parametrize("quoted", [False, True], ids=["fast-path", "csv-module"])
def test_a_line_over_the_limit_is_refused_without_reading_it_whole(quoted: bool) -> None:
    head = 'Mobile Number,Name\n"+919800000001","Q"\n' if quoted else "Mobile Number,Name\n"
    long_line = "+919812345678," + "x" * 30_000_000 + "\n"  # 30 MB in one line (unquoted: no cell limit reached first)
    message, read = refused(head + ROW * 3 + long_line + ROW, CsvLimits(max_line_chars=1 << 20))
    assert "longer than 1,048,576 characters (CAMPAIGN_CSV_MAX_LINE_CHARS)" in message and "xxx" not in message
    assert read < 4 * (1 << 20), f"read {read:,} characters of a 30 MB line"
    if not quoted:
        assert "row 5 is longer" in message  # spreadsheet rows: the header is row 1


def test_a_line_at_the_limit_passes_and_a_longer_one_does_not() -> None:
    """The line end is not counted (the quote-free reader also lets one character pass for a CR it cannot see)."""
    limits = CsvLimits(max_line_chars=40)
    line = "+919812345678," + "n" * 26  # 40 characters
    assert rows_of("Mobile Number,Name\r\n" + line + "\r\n" + ROW, limits) == 2
    assert "row 2 is longer than 40" in refused("Mobile Number,Name\n" + line + "nn\n" + ROW, limits)[0]


def test_an_over_long_header_is_refused_as_row_1() -> None:
    message, read = refused("Mobile Number," + "H" * 5000 + "\n" + ROW)
    assert "row 1 is longer than 1,000" in message and "HHH" not in message and read <= 1002


@pytest.mark.parametrize(
    "text",
    [
        "Mobile Number,Name\n" + ROW + "+919812345678," + "c" * 101 + "\n",
        'Mobile Number,Name\n"+919812345678","' + "c" * 101 + '"\n',
        'Mobile Number,Name\n+919812345678,"' + "line\n" * 30 + '"\n',  # a quoted cell over many short lines
        "Mobile Number," + "c" * 101 + "\n" + ROW,
    ],
    ids=["fast-path", "quoted", "multi-line", "header"],
)
def test_a_cell_over_the_limit_is_refused(text: str) -> None:
    message, _ = refused(text)
    assert "a cell longer than 100 characters (CAMPAIGN_CSV_MAX_CELL_CHARS)" in message and "ccc" not in message


def test_the_csv_modules_own_cell_limit_is_reported_as_the_setting() -> None:
    """The worker sets csv.field_size_limit to the cell limit; a reader in a process that did not (a test, the API)
    still names the setting."""
    big = 'Mobile Number,Name\n"+919812345678","' + "c" * (csv.field_size_limit() + 10) + '"\n'
    message, _ = refused(big, CsvLimits(max_line_chars=1 << 30, max_cell_chars=1 << 30))
    assert "CAMPAIGN_CSV_MAX_CELL_CHARS" in message


def test_a_million_column_header_is_refused_with_counts_only(tmp_path: Path) -> None:
    names = [f"col_{i}_secret" for i in range(1_000_001)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["Mobile Number", *names[1:]]) + "\n" + ROW)
    with pytest.raises(CsvLimitExceeded) as info:
        scan_csv(path, MAP, "+91", tmp_path / "report.csv", CsvLimits(max_line_chars=32 << 20))
    message = str(info.value)
    assert "the header has 1,000,001 columns, more than 1,000 (CAMPAIGN_CSV_MAX_COLUMNS)" in message
    assert "col_" not in message and "secret" not in message


def test_limits_hold_for_the_upload_and_the_stop_numbers_list(tmp_path: Path) -> None:
    src = tmp_path / "contacts.csv"
    src.write_text("Mobile Number,Name\n" + ROW + "+919812345678," + "x" * 2000 + "\n")
    with pytest.raises(CsvLimitExceeded, match="row 3 is longer than 1,000"):
        write_clean_csv(src, tmp_path / "clean.csv", MAP, PhoneNormalizer("+91"), LIMITS)
    numbers = tmp_path / "optouts.csv"
    numbers.write_text("+919876543210\n" + "9" * 5000 + "\n")
    with pytest.raises(CsvLimitExceeded, match="CAMPAIGN_CSV_MAX_LINE_CHARS"):
        read_numbers(numbers, "+91", LIMITS)


def test_the_file_is_read_to_its_size_limit_only(tmp_path: Path) -> None:
    """A file that grows after it was checked is still read no further than the byte limit."""
    path = tmp_path / "contacts.csv"
    path.write_text("Mobile Number,Name\n" + ROW * 100_000)  # ~1.9 MB
    with pytest.raises(CsvLimitExceeded, match="CAMPAIGN_CSV_MAX_MB"):
        scan_csv(path, MAP, "+91", tmp_path / "report.csv", CsvLimits(max_bytes=1 << 20))


def test_the_limit_checks_keep_the_blocks_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines and cells near the limits, across tiny blocks, in LF, CRLF and lone-CR files: all rows are read."""
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", 64)
    limits = CsvLimits(max_line_chars=60, max_cell_chars=45)
    rows = ["+91981234567" + str(i % 10) + "," + "n" * (45 - i % 3) for i in range(200)]
    for eol in ("\n", "\r\n", "\r"):
        assert rows_of("Mobile Number,Name" + eol + eol.join(rows) + eol, limits) == 200


def test_lines_ended_by_a_lone_cr_are_measured_one_by_one() -> None:
    """An old-Mac file has no LF at all: its lines are measured at their carriage returns, not as one long line."""
    limits = CsvLimits(max_line_chars=40)
    short = "Mobile Number,Name\r" + ROW.rstrip("\n") * 1 + "\r"
    assert rows_of(short + (ROW.rstrip("\n") + "\r") * 20, limits) == 21
    message, _ = refused(short + "+919812345678," + "n" * 40 + "\r" + ROW, limits)
    assert "longer than 40 characters" in message and "nnn" not in message
