"""End to end in headless Chromium (/usr/bin/chromium): a trainee completes a seed scenario and
sees the score card; a supervisor logs in, breaks a scenario, sees the line-numbered error and
fixes it. The server is the real app on loopback (tests/web_server.py); no internet."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web_server import (CHROMIUM, COHORT, RunningApp, chat_count, launch_chromium, load_in_editor, open_page,
                              pick, play_trainee, say, seed_cohort, start_app, supervisor_login)

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


@pytest.fixture(scope="module")
def cohort_app(tmp_path_factory: pytest.TempPathFactory) -> RunningApp:
    running = start_app(tmp_path_factory.mktemp("cohort"))
    seed_cohort(running.services)
    yield running
    running.close()


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_dashboard_loads_on_sign_in_with_readable_charts(cohort_app: RunningApp, browser, lang: str) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, cohort_app.url)
    page.set_viewport_size({"width": 1280, "height": 900})
    if lang == "en":
        page.get_by_role("radio", name="English").check()
    page.get_by_role("tab", name="Supervisor" if lang == "en" else "スーパーバイザー").click()
    supervisor_login(page)
    page.get_by_role("tab", name="Dashboard" if lang == "en" else "ダッシュボード").click()
    # no Refresh click: the sessions and both charts are there after signing in
    trend = page.locator("#sim-d-trend-svg svg")
    trend.wait_for(timeout=20_000)
    attempts = {name: len(runs) for name, runs in COHORT.items()}
    summary = "session(s)" if lang == "en" else "セッション"
    expect(page.locator("#sim-d-summary")).to_contain_text(f"{sum(attempts.values())}", timeout=5_000)
    assert summary in page.locator("#sim-d-summary").inner_text()
    # one line per trainee (sorted by name), one marker per attempt, a lone attempt included
    for i, name in enumerate(sorted(attempts)):
        assert trend.locator(f"g#sim-line-{i} use").count() == attempts[name], name
    legend = trend.locator("g[id^='legend']")
    assert legend.count() == 1
    shown = legend.text_content() or ""
    assert all(name in shown for name in attempts), shown
    axis = ("Attempt", "Total score", "Average level (0-4)") if lang == "en" else ("受講回（回目）", "合計点", "平均レベル（0〜4）")
    text = trend.inner_html() + page.locator("#sim-d-avg-svg svg").inner_html()
    assert all(a in text for a in axis), axis
    for width in (1280, 390):  # the legend is inside the drawing and the drawing inside the page
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        box, leg = trend.bounding_box(), legend.bounding_box()
        assert box and leg and _inside(leg, box) and box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box, leg)
    page.close()


def test_override_form_speaks_in_criterion_names(cohort_app: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, cohort_app.url)
    page.get_by_role("tab", name="スーパーバイザー").click()
    supervisor_login(page)
    page.get_by_role("tab", name="ダッシュボード").click()
    page.locator("#sim-d-trend-svg svg").wait_for(timeout=20_000)
    pick(page, "sim-d-session", "鈴木 一")
    page.locator("#sim-d-open").click()
    page.locator("#sim-d-card .sim-card").wait_for(timeout=15_000)
    page.locator("#sim-d-crit input").click()
    options = [o.replace("✓", "").strip() for o in page.get_by_role("option").all_inner_texts()]
    assert options == ["共感（手続きより先に気持ち）", "潜在ニーズへの気づき", "待ち時間の明示"], options
    page.get_by_role("option", name="潜在ニーズへの気づき").click()
    page.locator("#sim-d-score input").fill("4")
    page.locator("#sim-d-comment textarea, #sim-d-comment input").first.fill("用途を尋ねられている")
    page.locator("#sim-d-apply").click()
    expect(page.get_by_text("「潜在ニーズへの気づき」を 4 点に修正しました。")).to_be_visible(timeout=15_000)
    assert "unspoken_needs" not in page.locator("#sim-d-card").inner_text()
    # a language switch redraws the dashboard: headers, summary and axis titles follow
    page.get_by_role("radio", name="English").check()
    expect(page.locator("#sim-d-sessions")).to_contain_text("Trainee", timeout=15_000)
    expect(page.locator("#sim-d-summary")).to_contain_text("session(s)", timeout=15_000)
    expect(page.locator("#sim-d-trend-svg")).to_contain_text("Total score", timeout=15_000)
    page.close()


def test_editor_marks_the_offending_line_in_japanese(app: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    page = open_page(browser, app.url)
    page.get_by_role("tab", name="スーパーバイザー").click()
    supervisor_login(page)
    load_in_editor(page, "order-inquiry-ja.yaml")
    page.locator("#sim-ed-code .cm-content").click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    page.keyboard.type("\nchanel: phone")
    bad = page.locator("#sim-validation.bad")
    expect(bad).to_contain_text("不明なキー 'chanel' です（'channel' の誤りではありませんか？）", timeout=15_000)
    assert re.search(r"order-inquiry-ja\.yaml:2:1: ", bad.inner_text())
    # the band sits on the typo's line (it is redrawn after each validation, so ask until it holds)
    page.wait_for_function("""() => {
        const band = document.querySelector("#sim-ed-code .sim-bad-line[data-line='2']");
        const line = [...document.querySelectorAll("#sim-ed-code .cm-line")]
            .find(l => l.textContent.includes("chanel: phone"));
        if (!band || !line) return false;
        const b = band.getBoundingClientRect(), l = line.getBoundingClientRect();
        return b.height > 0 && Math.abs((b.top + b.height / 2) - (l.top + l.height / 2)) < 4;
    }""", timeout=15_000)
    page.close()
