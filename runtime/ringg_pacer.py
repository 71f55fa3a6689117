"""The deployment's Ringg request budget as a process's pacer: the workers' activities wait for their slots in it,
and so does the API's own request (a start's caller-number check), so every request to one workspace shares it."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.ringg.budget import ActivityBudget, max_wait_s
from ledger.budget import RinggBudget, workspace_key


def ringg_pacer(
    api_key: SecretStr,
    rps: float,
    quiet_s: float,
    engine: AsyncEngine,
    wait_bound: Callable[[], float] = max_wait_s,
) -> ActivityBudget | None:
    """The budget of this API key's workspace in the ledger's database (None: CAMPAIGN_RINGG_BUDGET_RPS=0).
    `wait_bound`: how long a request may wait for its slot (default: the activity's share of its timeouts)."""
    if rps <= 0:
        return None
    budget = RinggBudget(engine, workspace_key(api_key.get_secret_value()), rps, quiet_s=quiet_s)
    return ActivityBudget(budget, wait_bound)
