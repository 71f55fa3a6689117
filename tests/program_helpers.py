"""Helpers for the campaign-program integration tests: a program request over a generated CSV, and the
simulator's ground truth of its waves' calls."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from contract.campaign import PollingConfig
from contract.program import ProgramProgress, ProgramRequest, ProgramResult
from devtools.sample_csv import DEFAULT_MAP
from ringg_sim.testing import RunningSimulator, SimAdmin

FROM = ["3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01"]
FAST = PollingConfig(upload_initial_s=0.2, upload_max_s=0.5, monitor_initial_s=0.3, monitor_max_s=0.6)


def program(csv: Path, sim: RunningSimulator, **fields: Any) -> ProgramRequest:
    """A standard-flow program over `csv` with a unique name (hence key), its window open now on `sim`'s clock
    and no Ringg retries; `fields` add the program's own (pilot, windows, follow_up) or override any."""
    with SimAdmin(sim) as admin:
        window = admin.window(retry_count=0)
    return ProgramRequest.model_validate(
        {
            "campaign_name": f"Program {uuid.uuid4().hex[:6]}",
            "agent_id": "agent-program",
            "csv_uri": str(csv),
            "variables_map": DEFAULT_MAP,
            "from_numbers": FROM,
            "flow": "standard",
            "polling": FAST,
            **window,
            **fields,
        }
    )


def calls_of(admin: SimAdmin, result: ProgramResult | ProgramProgress) -> dict[str, list[dict[str, Any]]]:
    """Every call the simulator placed for the program's waves, by wave id."""
    return {w.wave_id: [c for lid in w.list_ids for c in admin.campaign_calls(lid)] for w in result.waves}


def dialled(call: dict[str, Any]) -> bool:
    """Whether Ringg dialled this contact: any call not cancelled, or a cancelled one that was attempted."""
    return call["status"] != "cancelled" or call.get("call_attempt_time") is not None
