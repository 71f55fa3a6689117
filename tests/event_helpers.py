"""The events receiver's signature check as docs/operations.md documents it: the snippet is read from the doc and
run, so the doc cannot drift from what the workers send."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

OPERATIONS = Path(__file__).parent.parent / "docs" / "operations.md"
MARKER = "<!-- events-verify-snippet -->"


def doc_verifier() -> Callable[[str, str, bytes], bool]:
    """`verify_campaign_event(secret, signature_header, body)` from the first python block after MARKER."""
    text = OPERATIONS.read_text(encoding="utf-8")
    assert MARKER in text, f"{OPERATIONS} lost its {MARKER} block"
    match = re.search(r"```python\n(.*?)```", text[text.index(MARKER) :], re.DOTALL)
    assert match, "no python block after the marker"
    namespace: dict[str, object] = {}
    exec(compile(match.group(1), str(OPERATIONS), "exec"), namespace)  # noqa: S102 (our own doc's snippet)
    verifier = namespace["verify_campaign_event"]
    assert callable(verifier)
    return verifier
