"""End to end in headless Chromium with sign-in required: a trainee signs in with the one-time
password, chooses her own, plays the five seed scenarios and keeps her sign-in across a reload;
a supervisor's sign-in opens the supervisor tab and survives a reload; sign-out works."""

from __future__ import annotations

import os

import pytest

from simulator.accounts import Accounts
from tests.web_server import (CHROMIUM, SUPERVISOR, RunningApp, pick, say, start_app,
                              wait_for_reply)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")]

SEEDS = {  # one seed scenario per story, with a trainee line that fits it
    "catalog-bride-ja": "二度もお電話をいただき、ご心配だったことと思います。本日16時までに発送いたします。",
    "sim-activation-ja": "ご心配でしたよね。お申し込みはきちんと届いています。3日以内にSIMカードをお送りします。",
    "morning-delivery-ja": "お待たせして申し訳ございません。私が配送業者に確認し、12時30分までにご連絡いたします。",
    "apple-email-ja": "ご連絡ありがとうございます。りんごの品種と数量を教えていただけますか。本日17時までにご注文を確定いたします。",
    "order-inquiry-ja": "お問い合わせありがとうございます。ご注文番号とお名前を伺ってもよろしいでしょうか。",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> RunningApp:
    running = start_app(tmp_path_factory.mktemp("e2e-signin"), accounts=True)
    yield running
    running.close()


def _sign_in(page, login: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("#sim-signin-submit").click()


def _gradio_ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("load")
    page.locator("#sim-start").wait_for(timeout=30_000)


def test_trainee_signs_in_plays_the_five_seeds_and_stays_signed_in(app: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    issued = Accounts(app.services.store).create("kana", "佐藤 佳奈", "spring-1")
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = ctx.new_page()
    page.goto(app.url, wait_until="load")
    assert page.url.endswith("/login")  # the page itself needs a sign-in
    _sign_in(page, "kana", "wrong-password-here")
    assert "パスワードが違います" in page.locator("#sim-signin-error").inner_text()
    _sign_in(page, "kana", issued.password)
    page.locator("#new").fill("kana-own-passphrase")
    page.locator("#repeat").fill("kana-own-passphrase")
    page.locator("#current").fill(issued.password)
    page.locator("#sim-signin-submit").click()
    _gradio_ready(page)
    page.locator("#sim-who-line").wait_for(timeout=15_000)
    assert "kana" in page.locator("#sim-who-line").inner_text()
    name = page.locator("#sim-name input, #sim-name textarea").first
    page.wait_for_function("() => { const e = document.querySelector('#sim-name input, #sim-name textarea');"
                           " return e && e.value === 'kana'; }", timeout=15_000)
    assert name.is_disabled()
    for sid, line in SEEDS.items():
        pick(page, "sim-scenario", sid)
        page.locator("#sim-start").click()
        page.locator("#sim-end").wait_for(state="visible", timeout=15_000)
        if page.locator("#sim-email textarea").is_visible():
            before = page.locator("#sim-chat [data-testid='bot'], #sim-chat [data-testid='user']").count()
            page.locator("#sim-email textarea").fill(line)
            page.locator("#sim-send-email").click()
            wait_for_reply(page, before, 1)
        else:
            page.locator("#sim-chat [data-testid='bot']").first.wait_for(timeout=15_000)
            say(page, line)
        page.locator("#sim-end").click()
        page.locator("#sim-total").wait_for(timeout=20_000)
        page.locator("#sim-again").wait_for(timeout=5_000)
    stored = app.services.store.list_sessions(trainee="kana")
    assert sorted(s.scenario for s in stored) == sorted(SEEDS) and all(s.total is not None for s in stored)
    page.reload(wait_until="load")
    _gradio_ready(page)
    page.locator("#sim-who-line").wait_for(timeout=15_000)  # still signed in after a reload
    history = page.locator("#sim-history")  # her own attempts, shown on load
    page.wait_for_function("() => document.querySelector('#sim-history').innerText.includes('order-inquiry-ja')",
                           timeout=15_000)
    assert all(sid in history.inner_text() for sid in SEEDS)
    page.locator("#sim-signout").click()
    page.wait_for_url("**/login", timeout=15_000)
    page.goto(app.url, wait_until="load")
    assert page.url.endswith("/login")
    ctx.close()


def test_supervisor_sign_in_opens_the_tab_and_survives_a_reload(app: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = ctx.new_page()
    page.goto(f"{app.url}login", wait_until="load")
    _sign_in(page, *SUPERVISOR)
    _gradio_ready(page)
    for _ in range(2):
        page.locator("#sim-tab-supervisor-button, button[role='tab']:has-text('スーパーバイザー')").first.click()
        page.locator("#sim-ed-load").wait_for(state="visible", timeout=15_000)  # no second login form
        assert not page.locator("#sim-sup-user").is_visible()
        page.reload(wait_until="load")
        _gradio_ready(page)
    ctx.close()


def test_loopback_without_accounts_says_it_is_personal_practice(tmp_path, browser) -> None:  # type: ignore[no-untyped-def]
    practice = start_app(tmp_path)  # no accounts: no sign-in asked
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
        page.goto(practice.url, wait_until="load")
        _gradio_ready(page)
        note = page.locator("#sim-practice-mode")
        note.wait_for(timeout=15_000)
        assert "個人練習モード" in note.inner_text() and page.locator("#sim-signin-link").count() == 1
        page.locator("#sim-lang label:has-text('English')").click()
        page.wait_for_function("() => document.querySelector('#sim-practice-mode')"
                               " && document.querySelector('#sim-practice-mode').innerText.includes('Personal practice')",
                               timeout=15_000)
        page.close()
    finally:
        practice.close()
