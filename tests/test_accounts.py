"""Accounts: hashing, CSV cohorts, first sign-in password change, cookie expiry and revocation,
sign-out, migration of typed-name sessions, and the serve command's sign-in rules."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulator.accounts import AccountError, Accounts
from simulator.models import CustomerState, Turn
from simulator.store import Store
from simulator.web.auth import Auth
from tests.test_store import REPO, store, store_url  # noqa: F401,F811  (fixtures: both databases)
from tests.web_server import new_account, sign_in, signed_client, start_app


def test_passwords_are_hashed_and_cohorts_import_with_line_numbers(store: Store) -> None:  # noqa: F811
    acc = Accounts(store)
    issued = acc.import_csv("\ufeffName,Login ID,Group\n佐藤 花子,hanako,spring-1\nTaro,taro,spring-1\n\n")
    assert [(i.login, i.name, i.cohort) for i in issued] == [("hanako", "佐藤 花子", "spring-1"),
                                                             ("taro", "Taro", "spring-1")]
    row = acc.get("hanako")
    assert row is not None and row.must_change and row.has_password
    from sqlalchemy import text
    with store._read() as conn:
        stored = conn.execute(text("SELECT password_hash FROM trainees WHERE name='hanako'")).scalar_one()
    assert stored.startswith("$argon2id$") and issued[0].password not in stored
    assert acc.verify("hanako", issued[0].password) is not None and acc.verify("hanako", "wrong") is None
    with pytest.raises(AccountError) as e:
        acc.import_csv("name,login,group\nA,ok-login,g\nB,Bad Login,g\nC,ok-login,g\nD,taro,g\n")
    msg = str(e.value)
    assert msg.startswith("nothing was imported")
    assert "CSV line 3 column 2: login id 'Bad Login'" in msg
    assert "CSV line 4: login id 'ok-login' already on line 2" in msg
    assert "CSV line 5: account 'taro' already exists" in msg
    assert acc.get("ok-login") is None  # all or nothing
    with pytest.raises(AccountError, match="CSV line 1: header .* lacks login"):
        acc.import_csv("name,group\nA,g\n")
    with pytest.raises(AccountError, match="at least 12 are required"):
        acc.change_password("hanako", issued[0].password, "short")


def test_typed_name_sessions_migrate_to_accounts_of_that_name(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    s = Store(f"sqlite:///{db}")
    sid = s.start_session("山田 花子", "catalog-bride-ja", "scripted", CustomerState())
    s.add_turn(sid, Turn(role="customer", text="opening", at="15:52:00"), CustomerState(), expect=0)
    s.close()
    con = sqlite3.connect(db)  # what the release before accounts wrote
    for col in ("display_name", "cohort", "role", "password_hash", "must_change"):
        con.execute(f"ALTER TABLE trainees DROP COLUMN {col}")
    con.commit()
    con.close()
    app = start_app(tmp_path / "app", accounts=True, store_url=f"sqlite:///{db}")
    try:
        acc = Accounts(app.services.store)
        old = acc.get("山田 花子")
        assert old is not None and not old.has_password and old.role == "trainee"
        with pytest.raises(httpx.HTTPError):  # no password yet: nobody can sign in as her
            r = httpx.post(f"{app.url}auth/login", data={"login": "山田 花子", "password": "x" * 12}, timeout=30)
            r.raise_for_status()
        issued = acc.issue_password("山田 花子")
        new = "花子さんの新しいパスワード"
        r = httpx.post(f"{app.url}auth/password", timeout=30, data={
            "login": "山田 花子", "current": issued.password, "new": new, "repeat": new})
        assert r.status_code == 303
        c = signed_client(app, sign_in(app.url, "山田 花子", new))
        out = c.predict("", "ja", api_name="/resume")
        assert "opening" in repr(out[3])  # her session, resumed by her account
        assert app.services.store.get_session(sid).trainee == "山田 花子"
    finally:
        app.close()


def test_cookie_expires_changes_with_the_password_and_sign_out_clears_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = start_app(tmp_path, accounts=True)
    try:
        login, password = new_account(app, "frank")
        auth: Auth = app.services.auth
        cookie = sign_in(app.url, login, password)
        assert auth.from_cookie(cookie).login == "frank"  # type: ignore[union-attr]
        first_page = httpx.post(f"{app.url}auth/login", data={"login": login, "password": password}, timeout=30)
        set_cookie = first_page.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "max-age=28800" in set_cookie
        real = time.time
        monkeypatch.setattr(time, "time", lambda: real() + 8 * 3600 + 5)
        assert auth.from_cookie(cookie) is None  # expired
        monkeypatch.setattr(time, "time", real)
        r = httpx.post(f"{app.url}auth/logout", headers={"Cookie": f"sim_session={cookie}"}, timeout=30)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert 'sim_session=""' in r.headers["set-cookie"] and "max-age=0" in r.headers["set-cookie"].lower()
        Accounts(app.services.store).change_password(login, password, "frank-second-passphrase")
        assert auth.from_cookie(cookie) is None  # a new password ends older sign-ins
        assert httpx.get(f"{app.url}config", headers={"Cookie": f"sim_session={cookie}"}, timeout=30).status_code == 401
    finally:
        app.close()


def _serve(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SIMULATOR_LLM_", "SIMULATOR_SUPERVISOR_"))}
    return subprocess.run([sys.executable, "-m", "simulator", "serve", *args], cwd=tmp_path, timeout=120,
                          capture_output=True, text=True, env={**base, "PYTHONPATH": str(REPO), **env})


def test_serve_beyond_loopback_needs_accounts_and_refuses_weak_passwords(tmp_path: Path) -> None:
    r = _serve(tmp_path, "--host", "0.0.0.0", "--port", "7949")
    assert r.returncode == 1
    assert "needs accounts, and none exist yet" in r.stderr and "SIMULATOR_SUPERVISOR_USER=<login>" in r.stderr
    r = _serve(tmp_path, "--port", "7949", SIMULATOR_SUPERVISOR_USER="coach", SIMULATOR_SUPERVISOR_PASSWORD="  ")
    assert r.returncode == 1 and "SIMULATOR_SUPERVISOR_PASSWORD is blank" in r.stderr
    r = _serve(tmp_path, "--port", "7949", SIMULATOR_SUPERVISOR_USER="coach", SIMULATOR_SUPERVISOR_PASSWORD="hunter2")
    assert r.returncode == 1 and "7 characters long; use at least 12" in r.stderr and "hunter2" not in r.stderr


def test_supervisor_creates_and_imports_trainees_on_the_page(tmp_path: Path) -> None:
    from gradio_client import handle_file

    from tests.web_server import SUPERVISOR
    app = start_app(tmp_path, accounts=True)
    try:
        s = signed_client(app, sign_in(app.url, *SUPERVISOR))
        s.predict(*SUPERVISOR, "en", api_name="/supervisor_login")
        msg, issued, listing = s.predict("Kana Sato", "kana", "spring-1", "trainee", "en", api_name="/account_create")
        assert "1 account(s) ready" in msg
        row = issued["data"][0]
        assert row[:3] == ["kana", "Kana Sato", "spring-1"] and len(row[3]) >= 12
        first = httpx.post(f"{app.url}auth/login", data={"login": "kana", "password": row[3]}, timeout=30)
        assert first.status_code == 200 and 'action="/auth/password"' in first.text  # must choose her own
        bad = tmp_path / "bad.csv"
        bad.write_text("name,login,group\nA,ok-one,g\nB,NOT OK,g\n", encoding="utf-8")
        msg = s.predict(handle_file(str(bad)), "en", api_name="/account_import")[0]
        assert "nothing was imported" in msg and "CSV line 3 column 2" in msg
        good = tmp_path / "cohort.csv"
        good.write_text("name,login,group\n伊藤 陸,riku,spring-1\n森 葵,aoi,spring-1\n", encoding="utf-8")
        msg, issued, listing = s.predict(handle_file(str(good)), "en", api_name="/account_import")
        assert "2 account(s) ready" in msg and [r[0] for r in issued["data"]] == ["riku", "aoi"]
        assert {"kana", "riku", "aoi"} <= {r[0] for r in listing["data"]}
        msg, issued, _ = s.predict("riku", "en", api_name="/account_reset_password")
        assert issued["data"][0][0] == "riku" and Accounts(app.services.store).verify("riku", issued["data"][0][3])
    finally:
        app.close()


def test_store_before_accounts_is_upgraded_on_both_databases(store_url: str) -> None:  # noqa: F811
    from sqlalchemy import create_engine, text
    s = Store(store_url)
    sid = s.start_session("Typed Name", "sim-activation-en", "scripted", CustomerState())
    s.close()
    eng = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with eng.begin() as c:  # the columns the release before accounts did not have
        for col in ("display_name", "cohort", "role", "password_hash", "must_change", "sso_issuer"):
            c.execute(text(f"ALTER TABLE trainees DROP COLUMN {col}"))
        c.execute(text("DROP TABLE settings"))
    eng.dispose()
    s = Store(store_url)
    try:
        acc = Accounts(s).get("Typed Name")
        assert acc is not None and acc.role == "trainee" and not acc.has_password and not acc.sso
        assert s.get_session(sid).trainee == "Typed Name"
        issued = Accounts(s).issue_password("Typed Name")
        assert Accounts(s).verify("Typed Name", issued.password) is not None
    finally:
        s.close()
