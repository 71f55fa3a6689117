"""Generates contact CSVs for the demo, tests and benchmarks (never committed: data is made on demand)."""

from __future__ import annotations

import csv
import os
import random
import uuid
from pathlib import Path

from domain.csv_sources import DEFAULT_CONTACTS_DIR, PROJECT_ROOT

FIRST = ("Asha", "Ravi", "Meera", "Arjun", "Priya", "Vikram", "Neha", "Rahul", "Kavya", "Sanjay")
LAST = ("Sharma", "Iyer", "Patel", "Reddy", "Khan", "Das", "Nair", "Gupta", "Singh", "Joshi")
HEADER = ("Mobile Number", "Name", "Policy ID", "Due Date")
# Where the demo and the UI check put their CSVs: a folder CAMPAIGN_CSV_DIRS allows by default.
CONTACTS_DIR = PROJECT_ROOT / DEFAULT_CONTACTS_DIR
DEFAULT_MAP = {
    "mobile_number": "Mobile Number",
    "callee_name": "Name",
    "policy_id": "Policy ID",
    "due_date": "Due Date",
}


def phone_for(i: int) -> str:
    """A unique, plausible Indian mobile number per row index."""
    return f"+91{9000000000 + i * 7919 % 999999999:010d}"


def write_sample_csv(path: Path, rows: int, *, invalid_every: int = 0, seed: int = 7, offset: int = 0) -> Path:
    """Writes `rows` data rows; every `invalid_every`-th row gets an unusable phone number. Written beside and
    renamed into place: a campaign reading an earlier copy of the same path never sees a half-written file.
    `offset` shifts the numbers, so files written with offsets `rows` apart share none."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    with staging.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(1, rows + 1):
            phone = "12-AB" if invalid_every and i % invalid_every == 0 else phone_for(offset + i)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            writer.writerow((phone, name, f"POL-{100000 + i}", f"{rng.randint(1, 28):02d}/12/2026"))
    os.replace(staging, path)
    return path


def sample_phones_and_names(path: Path) -> tuple[set[str], set[str]]:
    """Every phone number (as written and digits-only) and name in a sample CSV, for PII scans."""
    phones: set[str] = set()
    names: set[str] = set()
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            phones.add(row["Mobile Number"])
            phones.add(row["Mobile Number"].lstrip("+"))
            names.add(row["Name"])
    return phones, names
