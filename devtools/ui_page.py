"""What the Temporal UI's User Metadata tab of a campaign or a program shows, read from the page, and the checks
against the campaign or the program."""

from __future__ import annotations

import re
from dataclasses import dataclass

from contract.program import PilotOutcome

# The UI (2.x) renders the summary, the details and the current details as Markdown, each in a same-origin iframe
# (`/render?content=…`); the workflow header is in the page itself.
FRAMES = {
    "summary": "user-metadata-summary",
    "details": "user-metadata-details",
    "current": "user-metadata-current-details",
}

# The page's text and each metadata frame's text (null while a frame is absent or not loaded).
STATE_JS = (
    "(() => { const text = id => { const f = document.getElementById(id);"
    " const body = f && f.contentDocument && f.contentDocument.body; return body ? body.innerText : null; };"
    " return { page: document.body ? document.body.innerText : '',"
    + ", ".join(f"{key}: text('{frame}')" for key, frame in FRAMES.items())
    + " }; })()"
)

_FRAME_IDS = "[" + ", ".join(f'"{frame}"' for frame in FRAMES.values()) + "]"

# Resolves once the fonts of the page and of its frames have loaded and two frames have been painted.
SETTLE_JS = (
    "(() => { const docs = [document]; for (const id of " + _FRAME_IDS + ") {"
    " const f = document.getElementById(id); if (f && f.contentDocument) docs.push(f.contentDocument); }"
    " return Promise.all(docs.map(d => d.fonts ? d.fonts.ready : null))"
    ".then(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(true))))); })()"
)

# The UI fits each metadata frame to its Markdown when the frame loads or its width changes; content that grows
# later (a late font) gets a scrollbar inside the frame. This grows a frame that is shorter than its content and
# returns the page's height in CSS pixels.
EXPAND_JS = (
    "(() => { for (const id of " + _FRAME_IDS + ") {"
    " const f = document.getElementById(id); const doc = f && f.contentDocument;"
    " if (!doc || !doc.body) continue;"
    " const content = doc.querySelector('main') || doc.body;"
    " const pad = parseFloat(doc.defaultView.getComputedStyle(doc.body).paddingBottom) || 0;"
    " const need = Math.ceil(content.getBoundingClientRect().bottom + doc.defaultView.scrollY + pad) + 2;"
    " if (need > f.clientHeight + 2) f.style.height = need + 'px'; }"
    " return Math.ceil(document.documentElement.scrollHeight); })()"
)

NO_SUMMARY = "No summary available"
NO_DETAILS = "No details available"


def flat(text: str | None) -> str:
    """Whitespace (table cells are tab-separated, rows newline-separated) folded to single spaces."""
    return re.sub(r"\s+", " ", text or "").strip()


@dataclass(frozen=True)
class PageState:
    page: str
    summary: str | None
    details: str | None
    current: str | None

    @classmethod
    def from_js(cls, value: object) -> PageState:
        raw = value if isinstance(value, dict) else {}

        def text(key: str) -> str | None:
            item = raw.get(key)
            return item if isinstance(item, str) else None

        return cls(page=text("page") or "", summary=text("summary"), details=text("details"), current=text("current"))

    def frames(self) -> tuple[str, str, str]:
        """The three metadata texts, whitespace-folded (the page around them changes every second: durations)."""
        return flat(self.summary), flat(self.details), flat(self.current)

    def rendered(self) -> bool:
        """The current details show a stage, and the summary and details are there or reported absent."""
        summary_done = bool(flat(self.summary)) or NO_SUMMARY in self.page
        details_done = bool(flat(self.details)) or NO_DETAILS in self.page
        return "Stage:" in flat(self.current) and summary_done and details_done

    def calls(self) -> int | None:
        """The `calls` figure of the current details' progress table."""
        found = re.search(r"(?:^| )calls (\d+)(?: |$)", flat(self.current))
        return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Expected:
    workflow_id: str
    campaign_name: str
    agent_id: str
    stage: str
    list_id: str | None


@dataclass(frozen=True)
class ProgramExpected:
    """A program awaiting approval: what its pages must show, from its `progress` query."""

    workflow_id: str
    campaign_name: str
    agent_id: str
    deadline: str
    pilot: PilotOutcome


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    seen: str


def _seen(text: str | None, needle: str) -> str:
    body = flat(text)
    if not body:
        return "(absent)"
    at = body.find(needle)
    return body[max(at, 0) : max(at, 0) + 90] if at >= 0 else body[:90]


def checks(state: PageState, exp: Expected) -> list[Check]:
    summary, details, current = flat(state.summary), flat(state.details), flat(state.current)
    calls = state.calls()
    found: list[Check] = [
        Check("header shows the workflow id", exp.workflow_id in state.page, exp.workflow_id),
        Check(
            "summary names the campaign",
            "Ringg campaign" in summary and exp.campaign_name in summary,
            _seen(state.summary, "Ringg campaign") if summary else NO_SUMMARY,
        ),
        Check(
            "details show the campaign and its agent",
            f"Campaign {exp.campaign_name}" in details and f"agent {exp.agent_id}" in details,
            _seen(state.details, "Campaign") if details else NO_DETAILS,
        ),
        Check(f"current details: stage {exp.stage}", f"Stage: {exp.stage}" in current, _seen(current, "Stage:")),
        Check(
            "current details: calls counted", bool(calls), f"calls {calls}" if calls is not None else "(no calls row)"
        ),
    ]
    if exp.list_id:
        found.append(Check("current details: list id", exp.list_id in current, _seen(current, "list id")))
    return found


def program_checks(state: PageState, exp: ProgramExpected) -> list[Check]:
    """The stage, the approve-by deadline and the pilot's figures as the current details render them."""
    summary, details, current = flat(state.summary), flat(state.details), flat(state.current)
    f = exp.pilot
    rows = {
        "pilot contacts": f"Pilot: {f.contacts} contacts, {f.dialled} dialled",
        "connect rate": f"connect rate {f.connect_rate:.1%} ({f.connected} connected)",
        "failure rate": f"failure rate {f.failure_rate:.1%} ({f.failed} failed)",
        "cost": f"cost {f.cost:g} ({f.cost_per_call:.4g} per dialled contact)",
    }
    failures = current.partition("failures by sub-status: ")[2]
    # a line of its own, not only the stage's message
    deadline = f"approve or reject by {exp.deadline}"
    on_its_line = deadline in (line.strip() for line in (state.current or "").splitlines())
    found = [
        Check("header shows the workflow id", exp.workflow_id in state.page, exp.workflow_id),
        Check(
            "summary names the program",
            "Ringg campaign program" in summary and exp.campaign_name in summary,
            _seen(state.summary, "Ringg campaign") if summary else NO_SUMMARY,
        ),
        Check(
            "details show the program, its agent and its pilot",
            f"Campaign program {exp.campaign_name}" in details
            and f"agent {exp.agent_id}" in details
            and "pilot: " in details
            and "approval manual" in details,
            _seen(state.details, "Campaign program") if details else NO_DETAILS,
        ),
        Check(
            "current details: stage awaiting approval", "Stage: awaiting approval" in current, _seen(current, "Stage:")
        ),
    ]
    seen = current[current.rfind(deadline) :][:90] if deadline in current else "(absent)"
    found.append(Check("current details: approve-by deadline", on_its_line, seen))
    found += [Check(f"current details: {what}", row in current, _seen(current, row[:14])) for what, row in rows.items()]
    found += [
        Check(f"current details: failures {sub}", f"{sub} {n}" in failures, _seen(current, "failures by sub-status"))
        for sub, n in f.failures_by_sub_status.items()
    ]
    return found


def page_checks(state: PageState, exp: Expected | ProgramExpected) -> list[Check]:
    return program_checks(state, exp) if isinstance(exp, ProgramExpected) else checks(state, exp)
