"""Single sign-on end to end against a real OpenID provider: panva/oidc-provider (OpenID
Certified) on Node.js, installed from tests/oidc/package-lock.json by `npm ci` on first use and
started on loopback. Headless Chromium signs in at the provider; the app verifies the ID token
and maps the role claim."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulator.accounts import Accounts
from simulator.web.oidc import OIDCSettings
from tests.web_server import CHROMIUM, RunningApp, free_port, start_app

HERE = Path(__file__).resolve().parent / "oidc"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")]


def _npm_ci() -> None:
    """Install the provider from the lock file once (a file lock keeps xdist workers apart)."""
    with open(HERE / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (HERE / "node_modules" / "oidc-provider" / "package.json").exists():
            return
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=HERE,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, f"npm ci in {HERE} failed:\n{r.stderr[-2000:]}"


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("Node.js and npm are needed for the OpenID provider (apt-get install nodejs npm)")
    _npm_ci()
    app_port, idp_port = free_port(), free_port()
    settings = OIDCSettings(issuer=f"http://127.0.0.1:{idp_port}", client_id="simulator",
                            client_secret="test-client-secret-not-real", role_claim="sim_role")
    idp = subprocess.Popen(["node", "provider.mjs", str(idp_port), settings.client_id, settings.client_secret,
                            f"http://127.0.0.1:{app_port}/auth/oidc/callback"], cwd=HERE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = idp.stdout.readline() if idp.stdout else ""
        assert line.startswith("ready"), f"provider did not start: {line} {idp.stderr.read() if idp.stderr else ''}"
        app = start_app(tmp_path_factory.mktemp("sso"), accounts=True, oidc=settings, port=app_port)
        try:
            yield app
        finally:
            app.close()
    finally:
        idp.terminate()
        idp.wait(10)


def _sign_in_at_provider(app: RunningApp, browser, login: str):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = ctx.new_page()
    page.goto(f"{app.url}login", wait_until="load")
    page.locator("#sim-sso").click()
    page.locator("input[name='login']").fill(login)  # the provider's own sign-in page
    page.locator("input[name='password']").fill("anything")
    page.locator("button[type='submit']").click()
    page.locator("button[type='submit']").click()  # consent: "Continue"
    page.locator("#sim-who-line").wait_for(timeout=30_000)
    return ctx, page


def test_trainee_signs_in_through_the_provider(sso: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    ctx, page = _sign_in_at_provider(sso, browser, "sso-trainee")
    assert "sso-trainee" in page.locator("#sim-who-line").inner_text()
    acc = Accounts(sso.services.store).get("sso-trainee")
    assert acc is not None and acc.sso and acc.role == "trainee" and acc.name == "SSO sso-trainee"
    page.locator("#sim-start").click()
    page.locator("#sim-chat [data-testid='bot']").first.wait_for(timeout=15_000)
    assert [s.trainee for s in sso.services.store.list_sessions()] == ["sso-trainee"]
    cookie = next(c["value"] for c in ctx.cookies() if c["name"] == "sim_session")
    who = httpx.get(f"{sso.url}auth/whoami", headers={"Cookie": f"sim_session={cookie}"}, timeout=10).json()
    assert who == {"signed_in": True, "login": "sso-trainee", "role": "trainee", "require_signin": True}
    ctx.close()


def test_role_claim_makes_a_supervisor(sso: RunningApp, browser) -> None:  # type: ignore[no-untyped-def]
    ctx, page = _sign_in_at_provider(sso, browser, "coach-sso")
    page.locator("button[role='tab']:has-text('スーパーバイザー')").first.click()
    page.locator("#sim-ed-load").wait_for(state="visible", timeout=15_000)
    assert Accounts(sso.services.store).get("coach-sso").role == "supervisor"  # type: ignore[union-attr]
    ctx.close()


def test_forged_or_replayed_callbacks_are_refused(sso: RunningApp) -> None:
    r = httpx.get(f"{sso.url}auth/oidc/callback?code=abc&state=xyz", timeout=10)
    assert r.status_code == 400 and "start again" in r.text and "sim_session" not in r.headers.get("set-cookie", "")
    start = httpx.get(f"{sso.url}auth/oidc/start", timeout=10)
    assert start.status_code == 303 and "code_challenge=" in start.headers["location"]
    pending = start.cookies["sim_oidc"]
    r = httpx.get(f"{sso.url}auth/oidc/callback?code=abc&state=not-the-state", timeout=10,
                  headers={"Cookie": f"sim_oidc={pending}"})
    assert r.status_code == 401 and "does not match" in r.text
