"""Files written for a CSV's owner: the contacts report and the saved copy of Ringg's invalid rows are 0640 in a
0750 folder, and every cell a spreadsheet would evaluate is neutralised (one rule with the export)."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import httpx
from pydantic import SecretStr
from temporalio.testing import ActivityEnvironment

from activities.contacts.preflight import CsvActivities
from activities.ringg.activities import RinggActivities
from contract.preflight import PreflightInput
from contract.ringg_steps import InvalidRowsInput
from ringg import RinggClient, make_http_client

FORMULAS = ['=HYPERLINK("http://evil.test","x")', "@SUM(A1:A9)", "-2+3", "+1=cmd|' /C calc'!A0"]
NEUTRALISED = ["'" + f for f in FORMULAS]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


async def test_the_contacts_report_neutralises_formulas_and_is_private(tmp_path: Path) -> None:
    lines = ["Mobile Number,Name,Note", "+919876543210,Asha,ok"]
    lines += [f'12-AB,"{f.replace(chr(34), chr(34) * 2)}",{i}' for i, f in enumerate(FORMULAS)]
    lines += ['+919812345678,"=cmd",x', '+919812345678,"@dup",y']  # a duplicate: written by the second pass
    source = tmp_path / "contacts.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reports = tmp_path / "reports"
    inp = PreflightInput(
        csv_uri=str(source),
        variables_map={"mobile_number": "Mobile Number", "callee_name": "Name"},
        campaign_name="Report files",
        agent_id="agent-1",
        idempotency_key="ik-report-files",
    )
    result = await ActivityEnvironment().run(CsvActivities(reports).preflight_csv, inp)

    assert result.report_path is not None
    report = Path(result.report_path)
    assert mode_of(report) == 0o640 and mode_of(report.parent) == 0o750
    rows = read_rows(report)
    names = [r[4] for r in rows[1:]]
    assert names[: len(FORMULAS)] == NEUTRALISED and names[-1] == "'@dup"
    assert all(not cell.startswith(("=", "@", "-", "+")) or cell.startswith("+91") for r in rows for cell in r)


async def test_ringgs_invalid_rows_are_saved_neutralised_and_private(tmp_path: Path) -> None:
    body = "Mobile Number,Name,reason\n" + "".join(
        f'+919876543210,"{f.replace(chr(34), chr(34) * 2)}",dnc\n' for f in FORMULAS
    )

    def storage(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/invalid.csv"
        return httpx.Response(200, content=body.encode(), headers={"content-type": "text/csv"})

    reports = tmp_path / "reports"
    async with make_http_client(
        "https://ringg.test/ca/api/v0", SecretStr("k"), transport=httpx.MockTransport(storage)
    ) as http:
        activities = RinggActivities(RinggClient(http), report_dir=reports)
        saved = await ActivityEnvironment().run(
            activities.download_invalid_rows,
            InvalidRowsInput(list_id="bulk-1", idempotency_key="ik-1", url="https://storage.test/invalid.csv"),
        )

    path = Path(saved.path)
    assert saved.bytes == len(body.encode())
    rows = read_rows(path)
    assert rows[0] == ["Mobile Number", "Name", "reason"]
    assert [r[1] for r in rows[1:]] == NEUTRALISED and {r[0] for r in rows[1:]} == {"+919876543210"}
    assert mode_of(path) == 0o640 and mode_of(path.parent) == 0o750
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # Ringg's raw file is not left beside it
