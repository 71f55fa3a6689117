"""What monitoring a fleet costs: small campaigns started together on the real stack (dev server binary, simulator
and a worker process), with the product's default polling scaled to the simulator's clock. Each costs few history
requests per call, and every campaign's counts equal the simulator's own calls (bench/fleet.py runs 500)."""

from __future__ import annotations

import pytest

from bench.fleet import HISTORY_PER_CALL_TARGET, measure

pytestmark = pytest.mark.integration


async def test_a_fleet_of_small_campaigns_costs_few_history_requests_per_call_and_counts_exactly() -> None:
    run = await measure(12, 20, scale=0.05)

    assert run.calls == 12 * 20
    assert not run.mismatches, run.mismatches
    per_call = run.history_requests / run.calls
    assert per_call <= HISTORY_PER_CALL_TARGET, f"{per_call:.2f} history requests per call"
