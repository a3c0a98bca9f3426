"""End to end in headless Chromium (/usr/bin/chromium): a trainee completes a seed scenario and
sees the score card; a supervisor logs in, breaks a scenario, sees the line-numbered error and
fixes it. The server is the real app on loopback (tests/web_server.py); no internet."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web_server import (CHROMIUM, RunningApp, chat_count, load_in_editor, open_page,
                              pick, play_trainee, say, start_app, supervisor_login)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> RunningApp:
    running = start_app(tmp_path_factory.mktemp("e2e"))
    yield running
    running.close()


def test_trainee_completes_scenario_and_sees_score_card(app: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, app.url)
    play_trainee(page, name="e2e 花子")
    total = float(page.locator("#sim-total").inner_text())
    assert 0 <= total <= 100
    card = page.locator("#sim-card")
    for title in ("共感", "潜在ニーズ", "待ち時間"):
        assert title in card.inner_text()
    assert page.locator("#sim-chart").is_visible()
    assert page.locator("#sim-transcript .sim-turn").count() >= 7
    assert page.locator("#sim-transcript mark.sim-evidence").count() >= 1  # evidence highlighted
    assert page.locator("#sim-history").inner_text().count("catalog-bride-ja") == 1
    # the clock moved on from the 15:52 start (turns plus the 40 s hold)
    assert page.locator("#sim-clock-time").inner_text() > "15:54:00"
    stored = app.services.store.list_sessions(trainee="e2e 花子")
    assert len(stored) == 1 and stored[0].total == pytest.approx(total, abs=0.05)
    page.close()


def test_chat_shows_markup_as_text(app: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, app.url)
    page.locator("#sim-name input, #sim-name textarea").first.fill("xss")
    pick(page, "sim-scenario", "order-inquiry-en")
    page.locator("#sim-start").click()
    page.locator("#sim-chat [data-testid='bot']").first.wait_for(timeout=15_000)
    n = chat_count(page)
    say(page, '<b id="injected">bold</b><img src="http://example.invalid/x.png">')
    assert chat_count(page) >= n + 2
    assert page.locator("#injected").count() == 0
    assert page.locator("#sim-chat img").count() == 0
    assert "<b id=\"injected\">" in page.locator("#sim-chat").inner_text()
    page.close()


def test_supervisor_sees_line_numbered_error_and_fixes_it(app: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, app.url)
    page.get_by_role("radio", name="English").check()
    expect(page.get_by_role("heading", name="Customer-service role-play trainer")).to_be_visible()
    page.get_by_role("tab", name="Supervisor").click()
    supervisor_login(page)
    load_in_editor(page, "sim-activation-en.yaml")
    assert "Valid: sim-activation-en" in page.locator("#sim-validation").inner_text()
    # messages already on screen follow a language switch, not only the labels
    page.get_by_role("radio", name="日本語").check()
    expect(page.locator("#sim-validation")).to_contain_text("問題ありません: sim-activation-en", timeout=15_000)
    expect(page.locator("#sim-sup-who")).to_contain_text("としてログイン中")
    page.get_by_role("radio", name="English").check()
    expect(page.locator("#sim-validation")).to_contain_text("Valid: sim-activation-en", timeout=15_000)
    editor = page.locator("#sim-ed-code .cm-content")
    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    typo = "\nchanel: phone"
    page.keyboard.type(typo)
    bad = page.locator("#sim-validation.bad")
    # validation runs as you type (always_last); wait for the message about the finished word
    expect(bad).to_contain_text("did you mean 'channel'", timeout=15_000)
    assert re.search(r"sim-activation-en\.yaml:\d+:\d+: .*chanel", bad.inner_text()), bad.inner_text()
    for _ in typo:
        page.keyboard.press("Backspace")
    page.locator("#sim-validation.ok").wait_for(timeout=15_000)
    page.locator("#sim-ed-save").click()
    page.get_by_text("Saved to sim-activation-en.yaml").wait_for(timeout=15_000)
    saved = (Path(app.root) / "scenarios" / "sim-activation-en.yaml").read_text(encoding="utf-8")
    assert "chanel" not in saved
    page.close()
