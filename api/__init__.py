"""The HTTP API: start, inspect, list and cancel campaigns and manage their schedules over JSON (`python -m api`)."""
