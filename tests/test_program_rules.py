"""The program's pure rules and its contact files: request checks, pilot sizing and verdicts, wave keys, a contact's
last outcome, and the wave files written from a CSV and from exported call history."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from pydantic import ValidationError

from activities.program.export import merge_exports
from activities.program.waves import select_contacts, split_contacts
from contract.export import ExportSummary
from contract.program import PilotOutcome, PilotSpec, ProgramRequest, is_program
from contract.program_steps import MergeInput, PlanInput, SelectInput, SelectSource
from devtools.sample_csv import DEFAULT_MAP, phone_for, write_sample_csv
from domain.contact_outcome import last_outcome, normalised_statuses, status_problems, wants
from domain.program_rules import in_pilot, pilot_rows, pilot_verdict, program_problems, wave_figures, wave_key

BASE = {"campaign_name": "P", "agent_id": "a", "csv_uri": "/x.csv", "from_numbers": ["n"]}


def test_a_program_is_a_request_with_program_fields_in_their_short_forms() -> None:
    req = ProgramRequest.model_validate(
        {**BASE, "windows": "per_contact_timezone", "follow_up": [{"after": "4h", "statuses": ["no_answer"]}]}
    )
    assert req.windows is not None and req.windows.mode == "per_contact_timezone"
    assert req.follow_up is not None and req.follow_up[0].after == 4 * 3600 and req.follow_up[0].max_waves == 1
    assert is_program({"pilot": {"rows": 3}}) and not is_program({**BASE, "follow_up": []})
    with pytest.raises(ValidationError):
        ProgramRequest.model_validate({**BASE, "follow_up": [{"after": "soon", "statuses": ["failed"]}]})
    assert "pilot" not in req.wave_base() and "program_state" not in req.wave_base()


def test_program_problems_are_listed_together() -> None:
    req = ProgramRequest.model_validate(
        {
            **BASE,
            "pilot": {"rows": 3, "share": 0.1, "approve": "auto"},
            "windows": {"default_zone": "Mars/Olympus", "days": ["mon", "funday"]},
            "follow_up": [{"after": 60, "statuses": ["completed", "nonsense", "no_answer"]}],
        }
    )
    problems = " | ".join(program_problems(req))
    for words in (
        "exactly one of rows",
        "at least one threshold",
        "Mars/Olympus",
        "funday",
        "needs campaign_start_time",
        "'completed' is never re-dialled",
        "'nonsense' is not an outcome",
    ):
        assert words in problems
    assert program_problems(ProgramRequest.model_validate(BASE)) == [
        "a program needs at least one of pilot, windows, follow_up"
    ]


def test_the_pilot_is_spread_evenly_and_never_takes_everyone() -> None:
    assert pilot_rows(PilotSpec(rows=50), 10) == 9 and pilot_rows(PilotSpec(share=0.25), 100) == 25
    chosen = [i for i in range(100) if in_pilot(i, 100, 10)]
    assert len(chosen) == 10 and chosen == list(range(9, 100, 10))


def test_auto_approval_names_every_threshold_it_checked() -> None:
    figures = PilotOutcome(dialled=10, connected=6, connect_rate=0.6, failure_rate=0.4, cost_per_call=2.0)
    ok, why = pilot_verdict(PilotSpec(rows=1, approve="auto", min_connect_rate=0.5, max_cost_per_call=1.0), figures)
    assert not ok and "cost per call 2 > 1" in why
    ok, why = pilot_verdict(PilotSpec(rows=1, approve="auto", min_connect_rate=0.5), figures)
    assert ok and "connect rate 0.6 ≥ 0.5" in why
    assert not pilot_verdict(PilotSpec(rows=1, approve="auto", min_connect_rate=0), PilotOutcome())[0]


def test_wave_figures_count_dialled_contacts_only() -> None:
    summary = ExportSummary(
        total_calls=10,
        not_called=2,
        by_status={"completed": 5, "failed": 2, "error": 1, "cancelled": 2},
        by_sub_status={"failed": {"USER_DID_NOT_JOIN": 2}, "error": {"NOT_ABLE_TO_CALL": 1}},
        total_cost=8.0,
    )
    f = wave_figures(summary, 10)
    assert (f.dialled, f.connected, f.failed, f.connect_rate, f.cost_per_call) == (8, 5, 3, 0.625, 1.0)
    assert f.failures_by_sub_status == {"USER_DID_NOT_JOIN": 2, "NOT_ABLE_TO_CALL": 1}


def test_wave_keys_are_derived_and_bounded() -> None:
    assert wave_key("pg-abc", "main.America-New_York") == "pg-abc.main.America-New_York"
    long = wave_key("k" * 120, "f1.America-Argentina-Buenos_Aires")
    assert len(long) <= 128 and long == wave_key("k" * 120, "f1.America-Argentina-Buenos_Aires")


@pytest.mark.parametrize(
    ("status", "sub", "attempted", "outcome"),
    [
        ("completed", "ACCEPTED", True, "answered"),
        ("failed", "USER_DID_NOT_JOIN", True, "no_answer"),
        ("failed", "VOICEMAIL_DETECTED", True, "voicemail"),
        ("failed", "BUSY", True, "busy"),
        ("failed", "RANDOM", True, "failed"),
        ("error", "NOT_ABLE_TO_CALL", True, "error"),
        ("cancelled", "USER_TERMINATED", False, "not_called"),
        ("cancelled", "", True, "cancelled"),
        ("registered", "", False, "pending"),
        ("failed", "DND_SKIPPED", True, "opted_out"),
    ],
)
def test_last_outcome(status: str, sub: str, attempted: bool, outcome: str) -> None:
    assert last_outcome(status, sub, attempted=attempted) == outcome


def test_rules_match_outcomes_statuses_and_sub_statuses_but_never_answered_or_opted_out() -> None:
    rule = normalised_statuses(["failed", "USER_DID_NOT_JOIN"])
    assert wants(rule, "failed", "VOICEMAIL_DETECTED", attempted=True)  # Ringg's call status
    assert wants(normalised_statuses(["no_answer"]), "failed", "USER_DID_NOT_JOIN", attempted=True)
    assert not wants(normalised_statuses(["busy"]), "failed", "USER_DID_NOT_JOIN", attempted=True)
    assert not wants(rule, "completed", "FAILED", attempted=True)
    assert not wants(rule, "failed", "DND_SKIPPED", attempted=True)
    assert status_problems(["answered"], "s") and not status_problems(["USER_DID_NOT_JOIN", "busy"], "s")


def _numbers(path: str) -> list[str]:
    with open(path, newline="") as f:
        return [row["Mobile Number"] for row in csv.DictReader(f)]


def _export(path: Path, rows: list[tuple[str, str, str, int, str]]) -> str:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "call_id",
                "number",
                "name",
                "status",
                "sub_status",
                "attempts",
                "duration_s",
                "cost",
                "attempted_at",
                "outcome",
            ]
        )
        for i, (number, status, sub, attempts, outcome) in enumerate(rows):
            w.writerow([f"c{i}", number, "N", status, sub, attempts, "", "", "", outcome])
    return str(path)


def test_waves_split_the_valid_unique_rows_and_follow_ups_take_exactly_the_unreached(tmp_path: Path) -> None:
    src = write_sample_csv(tmp_path / "c.csv", 20)
    with src.open("a") as f:  # a repeat of row 1's number and an unusable row: in no wave
        f.write(f"{phone_for(1)},Again,P-X,\nnot-a-number,Bad,P-Y,\n")
    plan = split_contacts(
        src,
        tmp_path,
        PlanInput(
            csv_uri=str(src), variables_map=DEFAULT_MAP, country_code="+91", key="k", pilot_rows=4, valid_rows=20
        ),
    )
    by_id = {w.wave_id: w for w in plan.waves}
    assert (by_id["pilot"].rows, by_id["main"].rows, plan.contacts) == (4, 16, 20)
    assert sorted(_numbers(by_id["pilot"].path) + _numbers(by_id["main"].path)) == sorted(
        phone_for(i) for i in range(1, 21)
    )
    main = _numbers(by_id["main"].path)
    export = _export(
        tmp_path / "calls.csv",
        [(main[0], "completed", "ACCEPTED", 1, "called"), (main[1], "failed", "USER_DID_NOT_JOIN", 1, "called")]
        + [(n, "cancelled", "USER_TERMINATED", 0, "not_called") for n in main[2:5]]
        + [(n, "failed", "VOICEMAIL_DETECTED", 1, "called") for n in main[5:]],
    )
    sources = [SelectSource(wave_id="main", csv_path=by_id["main"].path, outcome_files=[export])]
    base = {"sources": sources, "folder": str(tmp_path), "country_code": "+91", "variables_map": DEFAULT_MAP}
    follow = select_contacts(
        SelectInput(mode="follow_up", statuses=["no_answer"], prefix="f1", phase="follow_up", **base)
    )
    assert follow.selected == 1 and _numbers(follow.waves[0].path) == [main[1]] and follow.final == 1
    rest = select_contacts(SelectInput(mode="not_called", prefix="main.r1", phase="resume", **base))
    assert _numbers(rest.waves[0].path) == main[2:5]
    merged = merge_exports(MergeInput(folder=str(tmp_path), waves=sources))
    assert merged.rows == 16 and Path(merged.path).read_text().splitlines()[1].startswith("main,c0,")
