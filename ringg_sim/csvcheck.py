"""Streaming CSV parsing and row validation for uploaded contact lists."""

from __future__ import annotations

import csv
import io
from array import array
from collections.abc import Iterator
from typing import BinaryIO

MOBILE_VAR = "mobile_number"
DEFAULT_MOBILE_COLUMN = "Mobile Number"
_SEP = "\x1f"
_STRIP = str.maketrans("", "", " -().\t")

ISO_DIAL_CODES = {
    "IN": "91",
    "US": "1",
    "CA": "1",
    "GB": "44",
    "UK": "44",
    "AE": "971",
    "SG": "65",
    "AU": "61",
    "DE": "49",
    "FR": "33",
    "SA": "966",
    "ID": "62",
    "PH": "63",
    "MY": "60",
    "NP": "977",
    "BD": "880",
    "LK": "94",
    "ZA": "27",
}


class CsvError(ValueError):
    """The whole file is unusable (missing column, empty...)."""


def dial_code(country_code: str) -> str:
    """'+91' / '91' / 'IN' -> '91'. Raises ValueError for anything else."""
    cc = country_code.strip()
    if cc.upper() in ISO_DIAL_CODES:
        return ISO_DIAL_CODES[cc.upper()]
    digits = cc[1:] if cc.startswith("+") else cc
    if digits.isdigit() and 1 <= len(digits) <= 4 and digits[0] != "0":
        return digits
    raise ValueError(f"Invalid country_code {country_code!r}: use '+91' style or a 2-letter code like 'IN'")


def normalize_number(raw: str, cc_digits: str) -> tuple[int, str | None]:
    """Return (number as int of its digits, None) or (0, reason)."""
    s = raw.strip().translate(_STRIP)
    if not s:
        return 0, "missing mobile number"
    if s.startswith("+"):
        digits = s[1:]
    elif s.startswith("00"):
        digits = s[2:]
    else:
        digits = cc_digits + s
    if not digits.isascii() or not digits.isdigit():
        return 0, "mobile number contains invalid characters"
    if not 8 <= len(digits) <= 15:
        return 0, "mobile number has an invalid length"
    if digits[0] == "0":
        return 0, "mobile number has an invalid country code"
    return int(digits), None


def parse_phone_list(values: list[str]) -> set[int]:
    """Numbers given to terminate etc.: keep the digits, ignore anything unparseable."""
    out: set[int] = set()
    for v in values:
        digits = "".join(ch for ch in v if ch.isdigit())
        if 1 <= len(digits) <= 18:
            out.add(int(digits))
    return out


INVALID_NUMBER = "INVALID_NUMBER"  # sub-status of a kept invalid row's failed call (not in Ringg's list)
DND_SKIPPED = "DND_SKIPPED"  # SKILL's sub-status for a number on the do-not-call registry


class ContactList:
    """The rows of one upload's list, plus the invalid-rows report.

    Rows are read one at a time from the (spooled) upload; only compact per-row data is kept: the normalised
    number as an integer in an `array('Q')` and the mapped variable values joined into one bytes blob. Rows Ringg
    invalidated are dropped, or kept in the list (upload-csv with remove_invalid_rows=false) with the sub-status
    their call will fail with.
    """

    __slots__ = (
        "_blob",
        "_offsets",
        "error",
        "invalid_count",
        "invalid_csv",
        "kept_invalid",
        "numbers",
        "raw_numbers",
        "total_rows",
        "var_names",
    )

    def __init__(self, var_names: tuple[str, ...]) -> None:
        self.var_names = var_names
        self.numbers = array("Q")
        self._blob = bytearray()
        self._offsets = array("Q", [0])
        self.total_rows = 0
        self.invalid_count = 0
        self.invalid_csv: bytes | None = None
        self.error: str | None = None
        self.kept_invalid: dict[int, str] = {}  # list index -> sub-status of its call
        self.raw_numbers: dict[int, str] = {}  # list index -> the unparseable number as uploaded

    @property
    def size(self) -> int:
        """Rows in the list (the calls a launch places)."""
        return len(self.numbers)

    @property
    def valid_rows(self) -> int:
        return len(self.numbers) - len(self.kept_invalid)

    def add(self, number: int, values: list[str]) -> None:
        self.numbers.append(number)
        self._blob += _SEP.join(v.replace(_SEP, " ") for v in values).encode()
        self._offsets.append(len(self._blob))

    def add_invalid(self, number: int, raw: str, values: list[str], sub_status: str) -> None:
        index = len(self.numbers)
        self.add(number, values)
        self.kept_invalid[index] = sub_status
        if not number:
            self.raw_numbers[index] = raw.strip()[:32]

    def number(self, i: int) -> str:
        raw = self.raw_numbers.get(i)
        return raw if raw is not None else f"+{self.numbers[i]}"

    def values(self, i: int) -> dict[str, str]:
        if not self.var_names:
            return {}
        raw = self._blob[self._offsets[i] : self._offsets[i + 1]].decode()
        return dict(zip(self.var_names, raw.split(_SEP), strict=False))

    def name(self, i: int) -> str:
        vals = self.values(i)
        return vals.get("callee_name") or vals.get("name") or ""

    def custom_args(self, i: int) -> dict[str, str]:
        return {**self.values(i), MOBILE_VAR: self.number(i)}


def parse_csv(
    file: BinaryIO, variables_map: dict[str, str], cc_digits: str, dnc_every: int = 0, keep_invalid: bool = False
) -> ContactList:
    """Parse and validate an uploaded CSV. File-level problems set `.error` (rows are then discarded); invalid
    rows are reported, and kept in the list when `keep_invalid`."""
    mobile_col = variables_map.get(MOBILE_VAR, DEFAULT_MOBILE_COLUMN).strip()
    var_items = [(k, v.strip()) for k, v in variables_map.items() if k != MOBILE_VAR]
    contacts = ContactList(tuple(k for k, _ in var_items))
    file.seek(0)
    text = io.TextIOWrapper(file, encoding="utf-8-sig", errors="replace", newline="")
    try:
        _fill(contacts, csv.reader(text), mobile_col, var_items, cc_digits, dnc_every, keep_invalid)
    except CsvError as exc:
        return _failed(contacts, str(exc))
    except csv.Error as exc:
        return _failed(contacts, f"Malformed CSV: {exc}")
    finally:
        text.detach()
    return contacts


def _failed(contacts: ContactList, message: str) -> ContactList:
    failed = ContactList(contacts.var_names)
    failed.error = message
    failed.total_rows = contacts.total_rows
    failed.invalid_count = contacts.invalid_count
    failed.invalid_csv = contacts.invalid_csv
    return failed


def _fill(
    contacts: ContactList,
    reader: Iterator[list[str]],
    mobile_col: str,
    var_items: list[tuple[str, str]],
    cc_digits: str,
    dnc_every: int,
    keep_invalid: bool,
) -> None:
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise CsvError("CSV file is empty")
    header = [h.strip() for h in header]
    index = {h: i for i, h in enumerate(header)}
    if mobile_col not in index:
        raise CsvError(f"CSV is missing the mobile number column {mobile_col!r}")
    missing = [col for _, col in var_items if col not in index]
    if missing:
        raise CsvError(f"CSV is missing column(s) mapped in variables_map: {', '.join(missing)}")
    mobile_idx = index[mobile_col]
    var_idx = [index[col] for _, col in var_items]
    width = len(header)
    invalid_buf = io.StringIO()
    invalid_writer = csv.writer(invalid_buf)
    invalid_writer.writerow(["row_number", "reason", *header])
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        contacts.total_rows += 1
        if len(row) < width:
            row = row + [""] * (width - len(row))
        number, reason = normalize_number(row[mobile_idx], cc_digits)
        sub_status = INVALID_NUMBER
        if reason is None and dnc_every and contacts.total_rows % dnc_every == 0:
            reason, sub_status = "number is on the do-not-call registry", DND_SKIPPED
        if reason is not None:
            contacts.invalid_count += 1
            invalid_writer.writerow([contacts.total_rows, reason, *row[:width]])
            if keep_invalid:
                contacts.add_invalid(number, row[mobile_idx], [row[i].strip() for i in var_idx], sub_status)
            continue
        contacts.add(number, [row[i].strip() for i in var_idx])
    if contacts.total_rows == 0:
        raise CsvError("CSV has a header but no data rows")
    if contacts.invalid_count:
        contacts.invalid_csv = invalid_buf.getvalue().encode()
    if contacts.valid_rows == 0:
        raise CsvError("CSV has no valid rows")
