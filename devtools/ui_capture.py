"""Photographing a campaign's User Metadata tab in headless Chromium once the summary, details and current details
have rendered."""

from __future__ import annotations

import time
from pathlib import Path

from devtools.browser import Browser, BrowserError, Page
from devtools.ui_page import EXPAND_JS, SETTLE_JS, STATE_JS, PageState

MAX_HEIGHT = 4000
ATTEMPTS = 3


class NotRendered(BrowserError):
    """The page did not show the campaign's metadata in time (a screenshot of what it showed is saved)."""


def _state(page: Page) -> PageState:
    return PageState.from_js(page.evaluate(STATE_JS))


def _wait_rendered(page: Page, deadline: float) -> PageState:
    state = _state(page)
    while not state.rendered() and time.monotonic() < deadline:
        time.sleep(0.25)
        state = _state(page)
    return state


def capture(
    chromium: str, url: str, png: Path, *, log: Path, size: tuple[int, int], timeout_s: float
) -> tuple[int, PageState]:
    """Returns the PNG's size in bytes and what the page showed when it was taken.

    Waits until the metadata has rendered, lets fonts and layout settle, fits the metadata frames to their content
    and saves the PNG; the page's text is read before and after the shot, which is retaken if the metadata changed.
    """
    width, height = size
    with Browser(chromium, log_path=log, width=width, height=height) as browser:
        page = browser.new_page()
        page.navigate(url)
        deadline = time.monotonic() + timeout_s
        for _ in range(ATTEMPTS):
            if not _wait_rendered(page, deadline).rendered():
                page.screenshot(png)
                raise NotRendered(f"the page did not render the campaign's metadata within {timeout_s:.0f}s: {png}")
            page.evaluate(SETTLE_JS)
            page_height = int(page.evaluate(EXPAND_JS) or height)
            page.evaluate(SETTLE_JS)
            before = _state(page)
            shot = page.screenshot(png, height=max(height, min(page_height, MAX_HEIGHT)))
            after = _state(page)
            if after.rendered() and after.frames() == before.frames():
                return shot, after
        raise NotRendered(f"the metadata changed during each of {ATTEMPTS} screenshots: {png}")
