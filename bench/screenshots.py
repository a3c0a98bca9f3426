"""Screenshots of both pages for docs/screenshots/ (trainee.png, supervisor.png).

Runs the real app on loopback with a temp database (tests/web_server.py), plays a seed
scenario in headless Chromium, then opens the supervisor page. Usage:
    python bench/screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.web_server import (launch_chromium, load_in_editor, open_page, play_trainee, start_app,  # noqa: E402
                              supervisor_login)


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = start_app(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = launch_chromium(p)
                page = open_page(browser, app.url)
                play_trainee(page)  # two attempts, so the history shows a trend line
                play_trainee(page)
                page.wait_for_timeout(1500)  # charts animate in
                page.screenshot(path=str(out_dir / "trainee.png"), full_page=True)
                page.close()

                page = open_page(browser, app.url)
                page.get_by_role("tab", name="スーパーバイザー").click()
                supervisor_login(page)
                load_in_editor(page, "catalog-bride-ja.yaml")
                editor = page.locator("#sim-ed-code .cm-content")
                editor.click()
                page.keyboard.press("Control+Home")
                page.keyboard.press("End")
                page.keyboard.type("\nchanel: phone")
                page.locator("#sim-validation.bad").get_by_text("channel").wait_for(timeout=15_000)
                page.screenshot(path=str(out_dir / "supervisor.png"), full_page=True)
                page.get_by_role("tab", name="ダッシュボード").click()
                page.locator("#sim-d-refresh").click()
                page.wait_for_timeout(4000)  # both plots redraw after the refresh
                page.screenshot(path=str(out_dir / "supervisor-dashboard.png"), full_page=True)
                browser.close()
        finally:
            app.close()
    print(f"wrote {out_dir}/trainee.png, supervisor.png, supervisor-dashboard.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
