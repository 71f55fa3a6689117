"""Row checks of a contacts CSV: numbers to E.164, invalid and duplicate rows, the owner's report, the cleaned file,
and the fast block reader against a plain csv.reader + per-row check."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.contacts import blocks as csv_blocks
from activities.contacts.preflight import scan_csv
from activities.contacts.rows import (
    CsvProblem,
    number_keys,
    open_text,
    read_layout,
    unique_blocks,
    write_clean_csv,
)
from contract.number_types import NumberType
from domain.phones import PhoneNormalizer, dial_code

MAP = {"mobile_number": "Mobile Number", "callee_name": "Name"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+919876543210", "+919876543210"),
        ("9876543210", "+919876543210"),
        ("09876543210", "+919876543210"),
        ("919876543210", "+919876543210"),
        ("+91 98765 43210", "+919876543210"),
        ("(+91) 98765-43210", "+919876543210"),
        ("0091 9876543210", "+919876543210"),
        (" 98765\u00a043210 ", "+919876543210"),
        ("9123456789", "+919123456789"),  # starts with 91 but is a 10-digit national number
        ("+14155550100", "+14155550100"),  # another country: generic E.164 check
        ("+447911123456", "+447911123456"),
    ],
)
def test_numbers_are_normalised_to_e164(raw: str, expected: str) -> None:
    assert PhoneNormalizer("+91").normalize(raw) == (expected, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "no phone number"),
        ("   ", "no phone number"),
        ("12-AB", "not digits"),
        ("98765 4321O", "not digits"),  # a letter O
        ("9.19877E+11", "scientific notation"),
        ("+91987654321", "not a valid number in IN (+91)"),
        ("+9198765432101", "not a valid number in IN (+91)"),
        ("+0123456789", "never starts with 0"),
        ("+1234567", "has 6 digits after +1; a number in US (+1) has 10 digits"),
        ("+1234567890123456", "has 15 digits after +1"),
        (
            "+18005550100",
            "is a toll-free number (toll_free); this campaign calls mobile, fixed_line_or_mobile, fixed_line "
            'numbers only: add "toll_free" to number_types',
        ),
        ("٩٨٧٦٥٤٣٢١٠", "not digits"),  # Arabic-Indic digits are not accepted silently
    ],
)
def test_unusable_numbers_get_a_reason(raw: str, problem: str) -> None:
    e164, reason = PhoneNormalizer("+91").normalize(raw)
    assert e164 == "" and reason is not None and problem in reason


def test_a_landline_is_unusable_when_the_campaign_calls_mobiles_only() -> None:
    assert PhoneNormalizer("+91").normalize("5876543210") == ("+915876543210", None)
    e164, reason = PhoneNormalizer("+91", ["mobile"]).normalize("5876543210")
    assert e164 == "" and reason is not None and "is a landline number (fixed_line)" in reason


@pytest.mark.parametrize(
    ("country", "raw", "expected"),
    [
        ("+1", "(415) 555-0100", "+14155550100"),
        ("US", "1 415 555 0100", "+14155550100"),
        ("+44", "07911 123456", "+447911123456"),
        ("+49", "0151 1234 5678", "+4915112345678"),
        ("IN", "98765 43210", "+919876543210"),
    ],
)
def test_the_campaign_country_code_fills_in_national_numbers(country: str, raw: str, expected: str) -> None:
    assert PhoneNormalizer(country).normalize(raw) == (expected, None)


@pytest.mark.parametrize("bad", ["India", "+0", "+1234", "", "91-1"])
def test_an_unusable_country_code_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="country_code"):
        dial_code(bad)


def _random_number(rng: random.Random) -> str:
    national = str(rng.choice("6789")) + "".join(rng.choice("0123456789") for _ in range(9))
    return rng.choice(
        [
            "+91" + national,
            national,
            "0" + national,
            "91" + national,
            "+91 " + national[:5] + " " + national[5:],
            "+1415555" + national[:4],
            national[:7],
            "12-AB",
            "",
            "+91" + national[:-1],
        ]
    )


def test_the_batch_shortcut_agrees_with_normalize_on_every_value() -> None:
    rng = random.Random(3)
    for country in ("+91", "+1", "+44", "+49"):
        phones = PhoneNormalizer(country)
        raw = [_random_number(rng) for _ in range(3000)]
        numbers, unclean = phones.normalize_clean_batch(raw)
        for i, value in enumerate(raw):
            if i in unclean:
                assert numbers[i] == ""
            else:
                assert phones.normalize(value) == (numbers[i], None), (country, value)


# --- the fast block reader against a plain reference -----------------------------------------------------------


def reference(text: str, phones: PhoneNormalizer) -> list[tuple[int, str]]:
    """Obviously-correct verdicts: csv.reader, one row at a time. (row, E.164 | problem kind) per data row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    width, mobile = len(header), header.index("Mobile Number")
    seen: set[str] = set()
    out = []
    for number, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > width and any(c.strip() for c in row[width:]):
            out.append((number, "ragged"))
            continue
        e164, problem = phones.normalize(row[mobile] if len(row) > mobile else "")
        if problem is not None:
            out.append((number, "invalid"))
        elif e164 in seen:
            out.append((number, "duplicate"))
        else:
            seen.add(e164)
            out.append((number, e164))
    return out


def fast(text: str, phones: PhoneNormalizer) -> list[tuple[int, str]]:
    stream = io.StringIO(text, newline="")
    layout = read_layout(next(csv.reader(stream)), MAP)
    out = []
    for checked in unique_blocks(stream, layout, phones):
        first = checked.block.first_row
        for i in range(checked.block.size):
            if i in checked.duplicates:
                out.append((first + i, "duplicate"))
            elif i in checked.problems:
                kind = "ragged" if "cells but the header" in checked.problems[i] else "invalid"
                out.append((first + i, kind))
            elif checked.numbers[i]:
                out.append((first + i, checked.numbers[i]))
    return out


def random_csv(rng: random.Random, rows: int, *, quotes: bool, crlf: bool) -> str:
    eol = "\r\n" if crlf else "\n"
    lines = ["Name , Mobile Number,City"]
    pool: list[str] = []
    for i in range(rows):
        roll = rng.random()
        if roll < 0.03:
            lines.append("")
            continue
        if roll < 0.05:
            lines.append(",,")
            continue
        number = rng.choice(pool) if pool and roll < 0.1 else _random_number(rng)
        pool.append(number)
        name = f"Name {i}"
        if quotes and roll > 0.97:
            name = f'"Surname, {i}\nsecond line"'
        city = "Pune"
        if roll > 0.95 and not quotes:
            city = "Pune,extra"
        elif 0.93 < roll < 0.95:
            city = "Pune,"  # a trailing empty cell: not a problem
        lines.append(f"{name},{number},{city}" if roll < 0.9 or roll > 0.92 else f"{name},{number}")
    return eol.join(lines) + (eol if rng.random() < 0.5 else "")


def from_report(text: str, tmp_path: Path) -> list[tuple[int, str]]:
    """The rejected rows as pre-flight reports them."""
    path = tmp_path / "contacts.csv"
    path.write_bytes(text.encode())
    report = tmp_path / "report.csv"
    scan = scan_csv(path, MAP, "+91", report)
    if not report.exists():
        return []
    rows = list(csv.DictReader(report.open(newline="", encoding="utf-8")))
    assert len(rows) == scan.counts.rejected
    kinds = {"same number": "duplicate", "the row has": "ragged"}
    return [(int(r["row"]), next((k for p, k in kinds.items() if r["problem"].startswith(p)), "invalid")) for r in rows]


@pytest.mark.parametrize("seed", range(12))
def test_blocks_give_the_same_verdicts_as_a_plain_reader(
    seed: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    # Random files and tiny blocks, so that every block-boundary case is crossed.
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", rng.choice([7, 64, 500, 1 << 20]))
    monkeypatch.setattr(csv_blocks, "CSV_BLOCK_ROWS", rng.choice([1, 3, 50]))
    phones = PhoneNormalizer("+91")
    text = random_csv(rng, 400, quotes=seed % 3 == 0, crlf=seed % 2 == 0)
    expected = reference(text, phones)
    assert fast(text, phones) == expected
    assert from_report(text, tmp_path) == [(row, kind) for row, kind in expected if not kind.startswith("+")]


# Hostile CSV text for the property test below: quotes (balanced or not), quoted commas and line ends, lone CRs,
# CRLF, blank lines, rows wider and narrower than the header, characters other tools take for line ends.
_CELL = st.text(alphabet=st.sampled_from(list('ab ,"+9\n\r\x0b\x0c\x85\u2028')), max_size=6)
_NUMBER = st.sampled_from(
    ["+919876543210", "9876543211", "09876543212", "+91 98765 43213", "+14155550100", "12-AB", ""]
)


@st.composite
def hostile_csv(draw: st.DrawFn) -> str:
    lines = [draw(st.sampled_from(["Name,Mobile Number,City", " Name , Mobile Number ,City", "Mobile Number,Name"]))]
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.sampled_from(["row", "row", "row", "quoted", "raw", "blank"]))
        number = draw(_NUMBER)
        if kind == "blank":
            lines.append("")
        elif kind == "raw":  # anything, unquoted quotes and lone CRs included
            lines.append(draw(_CELL) + "," + number + "," + draw(_CELL))
        else:
            cells = [number, *draw(st.lists(_CELL, max_size=5))]  # narrower or wider than the header
            if kind == "quoted":
                cells = ['"' + c.replace('"', '""') + '"' for c in cells]
            else:
                cells = [c.replace('"', "").replace("\n", "").replace("\r", "").replace(",", "") for c in cells]
            lines.append(",".join(cells))
    ends = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=len(lines), max_size=len(lines)))
    text = "".join(line + end for line, end in zip(lines, ends, strict=True))
    return text if draw(st.booleans()) else text.rstrip("\r\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=hostile_csv(),
    bom=st.booleans(),
    block_chars=st.sampled_from([7, 64, 500, 1 << 20]),
    csv_rows=st.sampled_from([1, 3, 512]),
)
def test_the_fast_reader_agrees_with_csv_reader_on_hostile_files(
    text: str, bom: bool, block_chars: int, csv_rows: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Pre-flight's verdicts (through the quote-free fast path, or csv.reader fed from blocks) are those of a plain
    csv.reader over the same text, row for row, on whatever a file holds."""
    phones = PhoneNormalizer("+91")
    try:
        expected = reference(text, phones)
    except csv.Error:
        return  # not a CSV for the csv module either (e.g. a NUL): not the property under test
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csv_blocks, "BLOCK_CHARS", block_chars)
        patch.setattr(csv_blocks, "CSV_BLOCK_ROWS", csv_rows)
        assert fast(text, phones) == expected
        folder = tmp_path_factory.mktemp("hostile")
        rejected = [(row, kind) for row, kind in expected if not kind.startswith("+")]
        assert from_report(("\ufeff" if bom else "") + text, folder) == rejected


@pytest.mark.parametrize(
    "numbers",
    [
        ["+919876543210", "+919876543211", "+919800000001"],  # one length: converted as one batch
        ["+919876543210", "", "+919876543211", ""],  # blank and rejected rows among them
        ["+919876543210", "+14155550100", "+447911123456", "+6591234567", ""],  # several lengths: one by one
        ["", ""],
        ["+999999999999999", "+12345678"],  # the longest and shortest E.164 numbers
    ],
)
def test_number_keys_are_exact_and_give_the_number_back(numbers: list[str]) -> None:
    keys = number_keys(numbers)
    assert keys == number_keys(numbers, [i for i, n in enumerate(numbers) if not n])
    assert list(keys) == [int(n[1:], 16) if n else 0 for n in numbers]
    assert [f"+{k:x}" if k else "" for k in keys] == numbers
    assert len(set(keys) - {0}) == len(set(numbers) - {""})


# --- the report and the cleaned file --------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_report_lists_each_rejected_row_for_the_owner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", 40)  # the duplicate's first row is several blocks back
    path = write(
        tmp_path,
        "Name,Mobile Number\nAsha,+919876543210\nRavi,98123 45678\n\nMeera,12-AB\nArjun,09876543210\nPriya,\n",
    )
    report = tmp_path / "report.csv"

    scan = scan_csv(path, MAP, "+91", report)

    assert (scan.counts.data_rows, scan.counts.unusable_rows, scan.counts.duplicate_rows) == (5, 2, 1)
    assert scan.counts.first_problem_rows == [5, 6, 7]
    rows = list(csv.DictReader(report.open(encoding="utf-8")))
    assert [r["row"] for r in rows] == ["5", "6", "7"]
    assert "not digits" in rows[0]["problem"] and rows[0]["phone_as_written"] == "12-AB"
    assert rows[1]["problem"].startswith("same number as row 2 (+919876543210)")
    assert rows[1]["Name"] == "Arjun"
    assert rows[2]["problem"] == "no phone number"


def test_no_report_file_is_left_when_every_row_is_fine(tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    scan_csv(write(tmp_path, "Name,Mobile Number\nAsha,+919876543210\n"), MAP, "+91", report)
    assert not report.exists()


def test_the_cleaned_file_holds_the_valid_rows_in_e164(tmp_path: Path) -> None:
    src = tmp_path / "contacts.csv"
    src.write_bytes(
        "\ufeff Name , Mobile Number ,City\r\n"
        "Asha,98765 43210,Pune\r\n"
        "Ravi,12-AB,Delhi\r\n"
        '"Iyer, Meera",+91 98123 45678,Chennai\r\n'
        "Arjun,09876543210,Goa\r\n"
        "Priya,+919800000001\r\n".encode()
    )
    dest = tmp_path / "clean.csv"

    written = write_clean_csv(src, dest, MAP, PhoneNormalizer("+91"))

    assert written == 3
    assert dest.read_bytes()[:3] != b"\xef\xbb\xbf"
    assert list(csv.reader(dest.open(encoding="utf-8"))) == [
        ["Name", "Mobile Number", "City"],
        ["Asha", "+919876543210", "Pune"],
        ["Iyer, Meera", "+919812345678", "Chennai"],
        ["Priya", "+919800000001", ""],
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", "old-style Excel"),
        ("Name,Mobile Number\n".encode("utf-16"), "UTF-16"),
        (b"Name,Mobile Number,Mobile Number\nA,+919876543210,+919876543211\n", "appears more than once"),
        (b"Name,Phone\nA,+919876543210\n", "has no column 'Mobile Number'"),
    ],
)
def test_files_that_cannot_be_used_say_why(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(content)
    with pytest.raises(CsvProblem, match=message):
        scan_csv(path, MAP, "+91", tmp_path / "report.csv")


@pytest.mark.parametrize("quoted", [False, True], ids=["fast-path", "csv-module"])
def test_a_nul_byte_is_a_clear_error(tmp_path: Path, quoted: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", 20)  # the NUL comes blocks after the quote
    path = tmp_path / "contacts.csv"
    name = b'"Iyer, A"' if quoted else b"A"
    path.write_bytes(b"Name,Mobile Number\n" + name + b",+919876543210\nB,+919876543211\nC,+91987654\x003212\n")
    with pytest.raises(ValueError, match="NUL bytes"):
        scan_csv(path, MAP, "+91", tmp_path / "report.csv")


def test_open_text_drops_the_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfName\n")
    with path.open("rb") as raw, open_text(raw) as text:
        assert text.read() == "Name\n"


@pytest.mark.parametrize(
    "text",
    [
        "Name,Mobile Number\r\nA,+919876543210\nB,9876543211\r\nC,12\n",  # CRLF and LF mixed
        "Name,Mobile Number\rA,+919876543210\rB,9876543211\rC,12",  # old Mac line ends
        "Name,Mobile Number\nA,+919876543210\nB,+919876543210",  # no newline at the end
        "Name,Mobile Number\n\n\nA,+919876543210\n\n",  # blank lines
    ],
    ids=["mixed-eol", "cr-only", "no-final-newline", "blank-lines"],
)
def test_line_endings_give_the_same_verdicts(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", 16)
    phones = PhoneNormalizer("+91")
    assert fast(text, phones) == reference(text, phones)


def test_the_cleaned_file_keeps_landlines_exactly_when_pre_flight_counted_them(tmp_path: Path) -> None:
    """The upload rebuilds the file with the request's number_types: the rows it sends are pre-flight's valid rows."""
    src = tmp_path / "c.csv"
    src.write_text("Mobile Number,Name\n+919876543210,A\n022 6997 6801,B\n+18005550100,C\n", encoding="utf-8")
    cases: list[tuple[tuple[NumberType, ...], list[str]]] = [
        (("mobile", "fixed_line_or_mobile"), ["+919876543210"]),
        (("mobile", "fixed_line_or_mobile", "fixed_line"), ["+919876543210", "+912269976801"]),
    ]
    for types, expected in cases:
        phones = PhoneNormalizer("+91", types)
        counted = scan_csv(src, MAP, "+91", tmp_path / "report.csv", number_types=types).counts.valid
        written = write_clean_csv(src, tmp_path / "clean.csv", MAP, phones)
        rows = list(csv.reader((tmp_path / "clean.csv").open(encoding="utf-8")))[1:]
        assert [r[0] for r in rows] == expected and written == counted == len(expected)
