"""Screenshots for docs/screenshots/: every page in Japanese and English, at desktop (1280 px)
and phone (390 px) width — look at each one after regenerating them.

Runs the real app on loopback with a temp database (tests/web_server.py): a cohort of scored
sessions is stored first (so the dashboard has several trainees and attempts, one with a single
attempt), then a trainee plays a seed scenario in headless Chromium and a supervisor breaks a
scenario in the editor, opens a session and overrides a score. Usage:
    python bench/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.web_server import (TRAINEE_LINES_EN, TRAINEE_LINES_JA, launch_chromium, load_in_editor,  # noqa: E402
                              open_page, pick, play_trainee, seed_cohort, start_app, supervisor_login)

WIDTHS = {"desktop": 1280, "phone": 390}
TEXT = {"ja": {"lang": "日本語", "sup": "スーパーバイザー", "dash": "ダッシュボード", "scenario": "catalog-bride-ja",
               "lines": TRAINEE_LINES_JA, "name": "山田 花子", "note": "用途まで尋ねられている"},
        "en": {"lang": "English", "sup": "Supervisor", "dash": "Dashboard", "scenario": "catalog-bride-en",
               "lines": TRAINEE_LINES_EN, "name": "Dana Whitfield", "note": "Asked about the occasion early."}}


def shoot(page, out: Path, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The page at each width, full length; the layout settles before each shot."""
    made = []
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(800)
        path = out / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        made.append(path.name)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    return made


def run(out: Path, lang: str, browser, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    tx, made = TEXT[lang], []
    page = open_page(browser, url)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    page.get_by_role("radio", name=tx["lang"]).check()
    play_trainee(page, name=tx["name"], scenario=tx["scenario"], lines=tx["lines"])
    made += shoot(page, out, f"trainee-{lang}")
    page.close()

    page = open_page(browser, url)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    page.get_by_role("radio", name=tx["lang"]).check()
    page.get_by_role("tab", name=tx["sup"]).click()
    supervisor_login(page)
    load_in_editor(page, f"{tx['scenario']}.yaml")
    page.locator("#sim-ed-code .cm-content").click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    page.keyboard.type("\nchanel: phone")
    page.locator("#sim-validation.bad").get_by_text("chanel").first.wait_for(timeout=15_000)
    page.locator(".sim-bad-line").first.wait_for(timeout=10_000)
    made += shoot(page, out, f"supervisor-editor-{lang}")

    page.get_by_role("tab", name=tx["dash"]).click()
    page.locator("#sim-d-trend svg").wait_for(timeout=20_000)  # filled on sign-in, no Refresh click
    pick(page, "sim-d-session", tx["scenario"])
    page.locator("#sim-d-open").click()
    page.locator("#sim-d-card .sim-card").wait_for(timeout=15_000)
    page.locator("#sim-d-comment textarea, #sim-d-comment input").first.fill(tx["note"])
    page.locator("#sim-d-score input").fill("4")
    page.locator("#sim-d-apply").click()
    page.locator("#sim-d-card .sim-override").first.wait_for(timeout=15_000)
    page.wait_for_timeout(1500)  # the dashboard reloads after the override
    made += shoot(page, out, f"supervisor-dashboard-{lang}")
    page.close()
    return made


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(Path(tmp))
        try:
            seed_cohort(app.services)
            with sync_playwright() as p:
                browser = launch_chromium(p)
                made = run(out, "ja", browser, app.url) + run(out, "en", browser, app.url)
                browser.close()
        finally:
            app.close()
    print(f"wrote {len(made)} screenshots to {out} in {time.perf_counter() - t0:.0f} s:")
    for name in made:
        print(f"  {name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
