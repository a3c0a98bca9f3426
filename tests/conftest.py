"""Shared fixtures: one headless Chromium per test module (browser tests)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    from tests.web_server import launch_chromium
    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
