"""All Ringg request/response models in one import (they live in per-area modules)."""

from .models_calls import CallRecord, HistoryPage, HistoryQuery
from .models_campaign import (
    Campaign,
    CampaignForm,
    CampaignPage,
    SaveResult,
    StartRequest,
    StartResult,
    StartV2Request,
    TerminateRequest,
    TerminateResult,
)
from .models_common import RinggRequest, RinggResponse
from .models_upload import (
    BalanceCheck,
    MakeCallAsyncRequest,
    MakeCallAsyncResult,
    UploadCsvResult,
    UploadState,
    UploadStatus,
    upload_state,
)
from .models_workspace import NumbersPage, WorkspaceInfo, WorkspaceNumber

__all__ = [
    "BalanceCheck",
    "CallRecord",
    "Campaign",
    "CampaignForm",
    "CampaignPage",
    "HistoryPage",
    "HistoryQuery",
    "MakeCallAsyncRequest",
    "MakeCallAsyncResult",
    "NumbersPage",
    "RinggRequest",
    "RinggResponse",
    "SaveResult",
    "StartRequest",
    "StartResult",
    "StartV2Request",
    "TerminateRequest",
    "TerminateResult",
    "UploadCsvResult",
    "UploadState",
    "UploadStatus",
    "WorkspaceInfo",
    "WorkspaceNumber",
    "upload_state",
]
