"""Patch ids (workflow.patched) for changes of CampaignWorkflow's commands, so runs started before a change
replay as they ran."""

from __future__ import annotations

# Issue 12: the number-pool check before upload, the upload-status poll that reports progress, the stop on rows
# Ringg invalidated, the standard flow's refusal of concurrency_percentage, and the count of contacts never
# called. One id for all of them: a run takes every new path or none.
RINGG_DOCS_CHECKS = "ringg-docs-checks"

# Issue 14: the contact ledger: pre-flight's screening (suppression list, frequency caps, contacts recorded), the
# campaign's status there, and its calls recorded at the end.
CONTACT_LEDGER = "contact-ledger"

# Issue 15: monitoring sleeps through closed call hours (no call ongoing, call_time closed: nothing can change).
MONITOR_CALL_HOURS = "monitor-call-hours"

# Issue 16: workflow IDs that read like a campaign list: a campaign's key claim runs as `zz-claim-<key>` and checks
# that no run started earlier holds the key under the old claim ID; schedule fires and program waves start their
# campaigns as `campaign-<name slug>-<key>`.
NAMED_IDS = "named-ids"

# Issue 15: upload-status reads paced by the file's expected processing time (workflows/upload_cadence.py): the
# first read waits until the upload could be ready, instead of reading at once and backing off from 5 s to 60 s.
UPLOAD_PACING = "upload-pacing"
