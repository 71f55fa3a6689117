"""Stand-ins for the ledger's three activities in workflow tests (the real ones run in the integration tests):
they record what the workflow asked and answer as configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from contract.ledger import (
    LedgerStatus,
    RecordCallsInput,
    RecordCallsResult,
    ScreenInput,
    ScreenResult,
    SuppressNumbersInput,
    SuppressNumbersResult,
)


@dataclass
class LedgerFake:
    suppressed: int = 0
    capped: int = 0
    record_error: ApplicationError | None = None
    screens: list[ScreenInput] = field(default_factory=list)
    statuses: list[LedgerStatus] = field(default_factory=list)
    records: list[RecordCallsInput] = field(default_factory=list)
    opt_outs: list[SuppressNumbersInput] = field(default_factory=list)

    def activities(self) -> list[Any]:
        fake = self

        @activity.defn(name="screen_contacts")
        async def screen_contacts(inp: ScreenInput) -> ScreenResult:
            fake.screens.append(inp)
            out = fake.suppressed + fake.capped
            return ScreenResult(
                contacts=1000,
                suppressed=fake.suppressed,
                capped=fake.capped,
                exclusions_path=f"/reports/{inp.idempotency_key}/screened-out-numbers.txt" if out else None,
                report_path=f"/reports/{inp.idempotency_key}/contacts-report.csv" if out else None,
            )

        @activity.defn(name="set_ledger_status")
        async def set_ledger_status(inp: LedgerStatus) -> None:
            fake.statuses.append(inp)

        @activity.defn(name="record_calls")
        async def record_calls(inp: RecordCallsInput) -> RecordCallsResult:
            fake.records.append(inp)
            if fake.record_error:
                raise fake.record_error
            return RecordCallsResult(calls=7, new_calls=7, calls_by_status={"completed": 7}, suppressed_added=2)

        @activity.defn(name="suppress_numbers")
        async def suppress_numbers(inp: SuppressNumbersInput) -> SuppressNumbersResult:
            fake.opt_outs.append(inp)
            return SuppressNumbersResult(numbers=3, added=3)

        return [screen_contacts, set_ledger_status, record_calls, suppress_numbers]
