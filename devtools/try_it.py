"""What a kept demo stack tells its user: the values the README's examples need on it (agent id, caller number ids,
a window open now on the simulator's clock) and an env file that points the CLI and the API at it."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

from devtools import devstack

# The README's examples use these ids; the demo's simulator knows them (ringg_sim/config.py's default numbers).
EXAMPLE_AGENT_ID = "830f767a-397e-4b39-82ff-235cd344e2f9"
EXAMPLE_NUMBER_IDS = {
    "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e01": "Main, +91",
    "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e03": "US Line, +1",
    "3b1f5c2e-8a41-4d0b-9c7e-1a2b3c4d5e05": "UK Line, +44",
}
TIMEZONE = "Asia/Kolkata"
WINDOW_WALL_HOURS = 10  # how long the printed window stays open, in wall-clock hours
ENV_NAME = "try-it.env"
JSON_NAME = "try-it.json"


@dataclass(frozen=True)
class TryIt:
    agent_id: str
    number_ids: dict[str, str]
    campaign_start_time: str
    campaign_end_time: str
    timezone: str
    csv: str
    env: dict[str, str]
    ui: str


def window_now(sim: devstack.Proc, time_scale: float, *, wall_hours: float = WINDOW_WALL_HOURS) -> tuple[str, str]:
    """A campaign window open now on the simulator's clock, which runs 1/time_scale times faster than the wall
    clock, that stays open for `wall_hours` of wall-clock time (Ringg's `DD/MM/YYYY, HH:MM`, in TIMEZONE)."""
    now = devstack.simulator_now(sim, TIMEZONE)
    end = now + timedelta(hours=wall_hours / time_scale)
    return f"{now - timedelta(minutes=5):%d/%m/%Y, %H:%M}", f"{end:%d/%m/%Y, %H:%M}"


def write(data_dir: Path, values: TryIt) -> Path:
    """DATA_DIR/try-it.env (`source` it: the CLI and the API then use the demo's stack) and try-it.json; returns
    the env file."""
    env_path = data_dir / ENV_NAME
    lines = ["# Written by `make demo`: `source` this file to point starter.py and the API at the demo's stack."]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in values.env.items()]
    env_path.write_text("\n".join(lines) + "\n")
    (data_dir / JSON_NAME).write_text(json.dumps(asdict(values), indent=2) + "\n")
    return env_path


def read(data_dir: Path) -> TryIt:
    return TryIt(**json.loads((data_dir / JSON_NAME).read_text()))


def describe(values: TryIt, env_path: Path) -> list[str]:
    """The lines the demo prints once its stack is left running."""
    numbers = ", ".join(f"{number_id} ({what})" for number_id, what in values.number_ids.items())
    return [
        "Try the README's examples on this stack (its simulator knows these values):",
        f"  source {env_path}      # TEMPORAL_ADDRESS, RINGG_*, the demo's contact ledger, API_TOKEN",
        f"  agent_id              {values.agent_id}",
        f"  from_numbers          {numbers}",
        f'  campaign_start_time   "{values.campaign_start_time}"   (a window open now on the simulator\'s clock,',
        f'  campaign_end_time     "{values.campaign_end_time}"    which runs faster than yours; {values.timezone})',
        f"  csv_uri               {values.csv}",
        f"  Temporal UI           {values.ui}",
    ]
