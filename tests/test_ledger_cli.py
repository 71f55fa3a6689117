"""`starter.py suppress` and `starter.py contacts` against a real ledger, SQLite and PostgreSQL (the `ledger_url`
fixture): all-or-nothing adds with every bad number told by position, file imports under CAMPAIGN_CSV_DIRS, and
exports streamed page by page with formula-safe cells."""

from __future__ import annotations

import asyncio
import csv
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from typer.testing import CliRunner, Result

from cli import contacts_export
from cli.app import app
from devtools.devstack import free_port
from ledger import migrate
from ledger.records import CallEntry, CampaignEntry, ContactEntry
from ledger.store import Ledger

runner = CliRunner()
FORMULA = '=HYPERLINK("http://x","y")'


async def cli(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """`starter.py <args>` in-process (its own event loop, in a thread), with this ledger."""
    environment = {"CAMPAIGN_LEDGER_URL": url, "CAMPAIGN_LEDGER_URL_FILE": "", **(env or {})}
    return await asyncio.to_thread(runner.invoke, app, list(args), env=environment)


def said(result: Result) -> str:
    """stdout and stderr with rich's line wrapping undone."""
    return " ".join((result.stdout + " " + result.stderr).split())


@pytest_asyncio.fixture
async def url(ledger_url: str) -> AsyncIterator[str]:
    await migrate.upgrade(ledger_url)  # the setup command's job (only an embedded SQLite ledger migrates itself)
    yield ledger_url


@pytest_asyncio.fixture
async def ledger(url: str) -> AsyncIterator[Ledger]:
    store = Ledger.open(url)
    await store.ready()
    yield store
    await store.close()


async def test_suppress_add_list_remove_count(url: str, ledger: Ledger) -> None:
    added = await cli(url, "suppress", "add", "+919876543210", "98765 43211", "--reason", "asked not to be called")
    assert added.exit_code == 0, said(added)
    assert "Added 2 number(s) to the suppression list; 0 already listed" in said(added)
    again = await cli(url, "suppress", "add", "9876543211", "+919876543212", "+919876543212")
    assert "Added 1 number(s) to the suppression list; 1 already listed (1 repeated in the input)" in said(again)
    count = await cli(url, "suppress", "count", "--json")
    assert json.loads(count.stdout) == {"count": 3}

    first = json.loads((await cli(url, "suppress", "list", "--json", "--limit", "2")).stdout)
    assert [i["number"] for i in first["items"]] == ["+919876543210", "+919876543211"]
    assert first["next_after"] == "+919876543211" and first["items"][0]["source"] == "cli"
    assert first["items"][0]["reason"] == "asked not to be called"
    rest = json.loads((await cli(url, "suppress", "list", "--json", "--after", first["next_after"])).stdout)
    assert [i["number"] for i in rest["items"]] == ["+919876543212"] and rest["next_after"] is None
    table = await cli(url, "suppress", "list")
    assert table.exit_code == 0 and "+919876543212" in table.stdout

    removed = await cli(url, "suppress", "remove", "9876543210", "+919876543219")
    assert removed.exit_code == 0 and "Removed 1 number(s) from the suppression list; 1 not listed" in said(removed)
    assert await ledger.suppression_count() == 2

    # --json: one document on stdout, nothing else there.
    added = await cli(url, "suppress", "add", "+919876543213", "+919876543212", "+919876543213", "--json")
    assert added.exit_code == 0 and json.loads(added.stdout) == {"added": 1, "already_listed": 1, "repeated": 1}
    removed = await cli(url, "suppress", "remove", "+919876543213", "+919876543219", "--json")
    assert removed.exit_code == 0 and json.loads(removed.stdout) == {"removed": 1, "not_listed": 1}


async def test_invalid_numbers_are_all_told_and_none_is_added(url: str, ledger: Ledger) -> None:
    result = await cli(url, "suppress", "add", "+919876543210", "12345", "98765abc21", "--reason", "x")
    assert result.exit_code == 2
    text = said(result)
    assert "no number was added: 2 invalid number(s)" in text
    assert "number 2: has 5 digits after +91" in text and "number 3: has characters that are not digits" in text
    assert "98765abc21" not in text and "12345" not in text
    assert await ledger.suppression_count() == 0
    bad_country = await cli(url, "suppress", "add", "9876543210", "--country-code", "abc")
    assert bad_country.exit_code == 2 and "not a dialling code" in said(bad_country)
    nothing = await cli(url, "suppress", "add")
    assert nothing.exit_code == 2 and "give the numbers to add" in said(nothing)


async def test_a_file_with_one_bad_line_adds_nothing_and_names_the_line(
    url: str, ledger: Ledger, tmp_path: Path
) -> None:
    numbers = tmp_path / "opt-outs.csv"
    rows = ["name,phone", "Asha,+919876543210", "Ravi,98765 43211", f"Secret Customer,{FORMULA}", "Mina,9876543212"]
    numbers.write_text("\n".join(rows) + "\n")
    refused = await cli(url, "suppress", "add", "--file", str(numbers), "--column", "phone", "--reason", "DNC")
    assert refused.exit_code == 2, said(refused)
    text = said(refused)
    assert "1 invalid number(s)" in text and "line 4: has characters that are not digits" in text
    assert "HYPERLINK" not in text and "Secret" not in text and str(tmp_path) not in text
    assert await ledger.suppression_count() == 0

    numbers.write_text("\n".join(rows[:3] + rows[4:]) + "\n\n")
    done = await cli(url, "suppress", "add", "--file", str(numbers), "--column", "Phone", "--reason", "DNC")
    assert done.exit_code == 0 and "Added 3 number(s)" in said(done), said(done)
    listed = await ledger.suppressions_page()
    assert {s.source for s in listed} == {"file opt-outs.csv"} and {s.reason for s in listed} == {"DNC"}

    plain = tmp_path / "plain.txt"
    plain.write_text("phone\n+919876543213\n\n09876543214\n")  # a header without digits is skipped
    one_a_line = await cli(url, "suppress", "add", "--file", str(plain), "+919876543215")
    assert "Added 3 number(s)" in said(one_a_line), said(one_a_line)
    sources = {s.number: s.source for s in await ledger.suppressions_page()}
    assert sources["+919876543214"] == "file plain.txt" and sources["+919876543215"] == "cli"

    missing = await cli(url, "suppress", "add", "--file", str(numbers), "--column", "mobile")
    assert missing.exit_code == 2 and "no column named 'mobile'" in said(missing)
    elsewhere = tmp_path / "allowed"
    elsewhere.mkdir()
    outside = await cli(url, "suppress", "add", "--file", str(numbers), env={"CAMPAIGN_CSV_DIRS": str(elsewhere)})
    assert outside.exit_code == 2 and "CAMPAIGN_CSV_DIRS" in said(outside), said(outside)


async def _seed_campaign(ledger: Ledger) -> list[ContactEntry]:
    await ledger.open_campaign(CampaignEntry("key-renewals", "Renewals", "campaign-wf-1"))
    await ledger.update_campaign("key-renewals", status="launched", list_ids=["list-77"])
    contacts = [
        ContactEntry(f"+91987654{i:04d}", i + 2, f"crm-{i}", {"Plan": "gold"} if i % 2 else {"City": "Pune"})
        for i in range(7)
    ]
    contacts[3] = ContactEntry("+919876540003", 5, "=1+2", {"Plan": FORMULA, "outcome": "vip"}, wave="main")
    await ledger.add_contacts("key-renewals", contacts)
    await ledger.open_campaign(CampaignEntry("key-other", "Other", "campaign-wf-2"))
    await ledger.add_contacts("key-other", [ContactEntry("+919876549999", 2, "other")])
    call = CallEntry("c1", "+919876540001", "list-77", "completed", "ACCEPTED", 2, 30.0, 0.5, None, "answered")
    await ledger.record_calls("key-renewals", [call])
    return contacts


async def test_contacts_export_csv_and_jsonl(
    url: str, ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded = await _seed_campaign(ledger)
    monkeypatch.setattr(contacts_export, "PAGE", 3)  # several pages for 7 contacts: the keyset paging is exercised
    out = tmp_path / "exports" / "renewals.csv"
    out.parent.mkdir()
    done = await cli(url, "contacts", "list-77", "-o", str(out))
    assert done.exit_code == 0, said(done)
    assert "Wrote 7 contact(s) of campaign Renewals" in said(done)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    header = list(rows[0])
    assert header == [
        "number", "external_id", "City", "Plan", "passthrough_outcome",
        "wave", "row", "outcome", "attempts", "last_status", "last_sub_status", "last_call_at",
    ]  # fmt: skip
    assert [r["number"] for r in rows] == [c.number for c in seeded]
    assert rows[0]["City"] == "Pune" and rows[0]["Plan"] == "" and rows[1]["Plan"] == "gold"
    assert rows[1]["outcome"] == "answered" and rows[1]["attempts"] == "2" and rows[1]["last_status"] == "completed"
    assert rows[3]["Plan"] == "'" + FORMULA and rows[3]["external_id"] == "'=1+2" and rows[3]["wave"] == "main"
    assert rows[3]["passthrough_outcome"] == "vip" and rows[3]["outcome"] == "pending"

    by_key = await cli(url, "contacts", "key-renewals", "--format", "jsonl", "--limit", "4")
    lines = [json.loads(line) for line in by_key.stdout.splitlines()]
    assert [item["external_id"] for item in lines] == ["crm-0", "crm-1", "crm-2", "=1+2"]
    assert lines[3]["fields"] == {"Plan": FORMULA, "outcome": "vip"} and "id" not in lines[0]
    by_workflow = await cli(url, "contacts", "campaign-wf-1", "--limit", "1")
    assert by_workflow.stdout.splitlines()[1].startswith("+919876540000,crm-0,Pune,")


async def test_contacts_export_of_an_unknown_campaign_says_where_it_looked(url: str) -> None:
    result = await cli(url, "contacts", "no-such-campaign")
    assert result.exit_code == 3
    text = said(result)
    assert "no campaign 'no-such-campaign' in the contact ledger at" in text
    assert "idempotency key, workflow ID and Ringg list id" in text
    password = url.partition("://")[2].partition("@")[0].partition(":")[2]
    if password:  # PostgreSQL: the URL is named, its password is not
        assert password not in text and ":***@127.0.0.1" in text
    bad_format = await cli(url, "contacts", "no-such-campaign", "--format", "xlsx")
    assert bad_format.exit_code == 2 and "--format takes csv or jsonl" in said(bad_format)


async def test_an_unmigrated_postgresql_ledger_says_what_to_run(ledger_url: str) -> None:
    result = await cli(ledger_url, "suppress", "count", "--json")
    if ledger_url.startswith("sqlite"):
        assert result.exit_code == 0 and json.loads(result.stdout) == {"count": 0}  # embedded: migrated on the spot
    else:
        assert result.exit_code == 1 and "run `python -m runtime.ledger_setup`" in said(result)


async def test_an_unreachable_ledger_is_exit_1_without_its_password() -> None:
    url = f"postgresql://ops:hunter2-secret@127.0.0.1:{free_port()}/ledger"
    for args in (["suppress", "count"], ["suppress", "add", "9876543210"], ["contacts", "k"]):
        result = await cli(url, *args)
        assert result.exit_code == 1, said(result)
        text = said(result)
        assert "cannot use the contact ledger at postgresql+asyncpg://ops:***@127.0.0.1" in text
        assert "hunter2" not in text and "CAMPAIGN_LEDGER_URL" in text
    bad = await cli("mysql://x@y/z", "suppress", "count")
    assert bad.exit_code == 2 and "the ledger runs on sqlite or postgresql" in said(bad)
