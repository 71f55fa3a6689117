"""A faithful fake of Ringg AI's campaign API (/ca/api/v0) over real HTTP, plus a /_sim admin API.
Run it with `python -m ringg_sim --help`; in tests use ringg_sim.testing (running_simulator, SimAdmin) or create_app."""

from ringg_sim.app import create_app
from ringg_sim.config import FaultRule, SimConfig

__all__ = ["FaultRule", "SimConfig", "create_app"]
