"""Whether a large-flow upload may go ahead: the worker's RINGG_LARGE_FLOW setting, a key that already runs in
chunks, and Ringg's 403 for a workspace without large-campaign access. Each refusal is a typed, non-retryable
error sent before anything is uploaded; the workflow then runs the campaign in chunks when it may."""

from __future__ import annotations

from typing import Literal, get_args

from temporalio.exceptions import ApplicationError

from activities.ringg.errors import redact
from activities.ringg.reconcile import RinggBase
from contract.errors import CAMPAIGN_IN_CHUNKS, LARGE_FLOW_NOT_ENABLED, LARGE_FLOW_OFF, RINGG_REJECTED
from contract.ringg_steps import UploadInput
from ringg import RinggError, RinggForbidden

# auto: try the large flow, fall back on Ringg's 403; on: a 403 fails the campaign; off: never try it.
LargeFlowMode = Literal["auto", "on", "off"]
LARGE_FLOW_MODES: tuple[str, ...] = get_args(LargeFlowMode)
UPLOAD_CSV = "POST campaign/upload-csv"  # the client's endpoint name (RinggError.endpoint)


class LargeFlowAccess(RinggBase):
    """The checks around POST campaign/upload-csv (the mode is set by RinggActivities)."""

    _large_flow: LargeFlowMode = "auto"

    async def _check_large_flow(self, inp: UploadInput) -> None:
        """Raises when this key must not use the large flow; nothing has been sent to upload-csv yet."""
        if inp.chunk_probe_tag and await self._existing_upload(inp.chunk_probe_tag) is not None:
            raise ApplicationError(
                f"This campaign's first chunk (tag {inp.chunk_probe_tag}) is already on Ringg: it runs on the "
                "standard flow in chunks, so nothing was uploaded to the large flow.",
                type=CAMPAIGN_IN_CHUNKS,
                non_retryable=True,
            )
        if self._large_flow == "off":
            raise ApplicationError(
                "The large flow is turned off on this worker (RINGG_LARGE_FLOW=off); nothing was uploaded.",
                type=LARGE_FLOW_OFF,
                non_retryable=True,
            )

    def _large_flow_refused(self, err: RinggError) -> ApplicationError | None:
        """Ringg's answer when the workspace lacks large-campaign access is undocumented; a 403 ("key is valid but
        lacks permission for that action") to upload-csv is read as that, since upload-csv creates nothing then. A 403
        to any other request (the /campaign/all lookup before it) stays an API-key problem."""
        if not isinstance(err, RinggForbidden) or err.endpoint != UPLOAD_CSV:
            return None
        said = f"{err.endpoint} -> 403: {redact(err.server_message) or 'no reason given'}"
        if self._large_flow == "on":
            return ApplicationError(
                f"Ringg refused the large-campaign upload ({said}) although RINGG_LARGE_FLOW=on says this workspace "
                "has large-campaign access; nothing was uploaded. Ask Ringg to enable large campaigns for the "
                "workspace, or set RINGG_LARGE_FLOW=auto on the workers to run such campaigns on the standard flow "
                "in chunks.",
                type=RINGG_REJECTED,
                non_retryable=True,
            )
        return ApplicationError(
            f"Ringg refused the large-campaign upload ({said}): large-campaign (beta) access is not enabled for "
            "this workspace; nothing was uploaded.",
            type=LARGE_FLOW_NOT_ENABLED,
            non_retryable=True,
        )
