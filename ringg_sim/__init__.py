"""A faithful fake of Ringg AI's campaign API (/ca/api/v0) over real HTTP, plus a /_sim admin API.

Run:   python -m ringg_sim --port 8765 [--host 127.0.0.1] [--api-key KEY] [--time-scale X] [--credits N]
                           [--credits-per-call N] [--upload-vocabulary documented|verifying|fixture]
                           [--balance-shape A|B] [--call-rate R] [--retry-delay S] [--seed N]
                           [--log-level warning] [--fault endpoint:kind[:times[:param]]]...
It prints `ringg-sim listening on http://HOST:PORT/ca/api/v0` once ready (--port 0 picks a free port) and
exits 0 on SIGTERM/SIGINT.

Time: every simulated duration is multiplied by time_scale to get wall seconds. Calls start at
launch + schedule_delay (5 s) + i / effective_rate, where effective_rate = call_rate (2/s) scaled by
concurrency_percentage/100 when that is 1..99. A call lasts 30-120 s (completed), rings 15-40 s per attempt
when not picked up, and waits retry_delay (30 s) between attempts. A 6,000-row campaign therefore spans
~3,200 simulated seconds: time_scale 0.01 ~ 32 s, 0.015 ~ 48 s, 0.018 ~ 57 s of wall time.

Faults: endpoint names save, start, v2_start, upload_csv, upload_status, check_balance, make_call_async,
campaign_all, history, terminate, workspace_numbers, workspace; kinds rate_limit (429, Retry-After only
when retry_after is set), http_error (status, default 500), delay (reads the whole request, waits delay_s,
then handles it normally: a request whose client gave up meanwhile is still committed),
commit_then_drop (side effect done, then the connection is cut after the response headers; over HTTP the
client sees httpx.RemoteProtocolError, in-process via ASGITransport it sees faults.SimulatedDisconnect).

Request log: every API request is recorded (endpoint name, method, status or None when the connection was
dropped, t_received/t_done in the simulator's monotonic seconds, fault kind) in a bounded deque of the last
10,000; GET /_sim/requests[?endpoint=NAME] returns it oldest first, /_sim/reset clears it.

In tests use ringg_sim.testing (running_simulator, SimAdmin) or create_app(SimConfig(...), clock=...).
"""

from ringg_sim.app import create_app
from ringg_sim.config import FaultRule, SimConfig

__all__ = ["FaultRule", "SimConfig", "create_app"]
