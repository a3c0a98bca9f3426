"""The app attacked on loopback as an anonymous client and as another trainee, on SQLite and
PostgreSQL. The endpoints are listed from the running server (/gradio_api/info), so a new
endpoint is attacked without editing this file."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from simulator.accounts import Accounts
from tests.test_store import PG_ENV, _pg_schema_url
from tests.web_server import SUPERVISOR, RunningApp, new_account, sign_in, signed_client, start_app

NOTICE, CHAT = 2, 3
SEND_NOTICE = 1  # /send streams only the turn outputs: clock, notice, chat (the state stays server-side)
MARKER = "alice-private-marker 高野様、私が確認いたします"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An app that requires sign-in, alice with an open session, bob, and a supervisor."""
    root = tmp_path_factory.mktemp("sec")
    urls: Iterator[str] | None = None
    url = None
    if request.param == "postgresql":
        base = os.environ.get(PG_ENV)
        if not base:
            pytest.skip(f"{PG_ENV} not set")
        urls = _pg_schema_url(base)
        url = next(urls)
    app = start_app(root, accounts=True, store_url=url)
    alice, bob = new_account(app, "alice"), new_account(app, "bob")
    a = signed_client(app, sign_in(app.url, *alice))
    a.predict("", "catalog-bride-ja", "ja", api_name="/start")
    a.predict(MARKER, "ja", api_name="/send")
    sid = app.services.store.list_sessions(trainee="alice")[0].id
    yield {"app": app, "alice": alice, "bob": bob, "sid": sid, "alice_client": a}
    app.close()
    if urls is not None:
        next(urls, None)


def jar(cookie: str) -> dict[str, str]:
    return {"Cookie": f"sim_session={cookie}"}


def _endpoints(app: RunningApp, cookie: str) -> dict[str, Any]:
    info = httpx.get(f"{app.url}gradio_api/info", headers=jar(cookie), timeout=30).json()
    return info["named_endpoints"]


def _args(params: list[dict[str, Any]], payload: str, csv_file: Path) -> list[Any]:
    out: list[Any] = []
    for p in params:
        kind = p.get("type", {}).get("type")
        if p.get("component") in ("File", "UploadButton"):
            out.append(handle_file(str(csv_file)))
        elif kind == "string" and "enum" not in p.get("type", {}):
            out.append(payload)
        elif kind in ("number", "integer"):
            out.append(1)
        else:
            out.append(p.get("parameter_default"))
    return out


def _alice_untouched(app: RunningApp, sid: str) -> None:
    s = app.services.store.get_session(sid)
    assert s.trainee == "alice" and [t.text for t in s.turns if t.role == "trainee"] == [MARKER]
    assert not s.ended and s.card is None and not s.overrides


def test_anonymous_clients_get_nothing(world: dict[str, Any]) -> None:
    app = world["app"]
    endpoints = _endpoints(app, sign_in(app.url, *world["bob"]))
    assert {"/start", "/send", "/resume", "/end", "/dashboard", "/export", "/open_session"} <= set(endpoints)
    with httpx.Client(base_url=app.url, timeout=30) as c:
        for name in endpoints:
            r = c.post(f"/gradio_api/call{name}", json={"data": [world["sid"]]})
            assert r.status_code == 401, (name, r.status_code)
        for path in ["/", "/config", "/gradio_api/info", "/gradio_api/queue/join",
                     f"/gradio_api/file={app.root / 'sim.db'}"]:
            assert c.get(path).status_code == 401, path
        page = c.get("/", headers={"accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/login"
        forged = c.get("/config", headers=jar("eyJ1IjoiYWxpY2UifQ.forged.sig"))
        assert forged.status_code == 401
    _alice_untouched(app, world["sid"])


def test_trainee_b_cannot_read_or_write_trainee_a_through_any_endpoint(world: dict[str, Any],
                                                                      tmp_path: Path) -> None:
    app, sid = world["app"], world["sid"]
    cookie = sign_in(app.url, *world["bob"])
    b = signed_client(app, cookie)
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text("name,login,group\nMallory,mallory,x\n", encoding="utf-8")
    endpoints = _endpoints(app, cookie)
    tried = 0
    for payload in (sid, "alice"):
        for name, spec in endpoints.items():
            try:
                out = b.predict(*_args(spec["parameters"], payload, csv_file), api_name=name)
            except AppError as e:  # refused with a message (supervisor-only, bad input)
                assert MARKER not in str(e) and sid not in str(e)
                continue
            finally:
                tried += 1
            assert MARKER not in repr(out), name  # nothing of alice's conversation leaks
    assert tried == 2 * len(endpoints)
    _alice_untouched(app, sid)
    assert all(s.trainee == "bob" for s in app.services.store.list_sessions() if s.id != sid)
    assert Accounts(app.services.store).get("mallory") is None  # bob cannot make accounts
    # bob's resume offers bob's sessions, never alice's, whatever name is typed
    out = b.predict("alice", "en", api_name="/resume")
    assert MARKER not in repr(out)
    out = b.predict("alice", "en", sid, api_name="/resume")  # naming her session does not help
    assert MARKER not in repr(out)
    assert "another account" in out[NOTICE] or "No unfinished contact for bob" in out[NOTICE]


def test_a_second_tab_and_a_second_replica_cannot_fork_a_conversation(world: dict[str, Any]) -> None:
    app = world["app"]
    cookie = sign_in(app.url, *world["alice"])
    tab1, tab2 = signed_client(app, cookie), signed_client(app, cookie)
    tab1.predict("", "sim-activation-en", "en", api_name="/start")
    tab2.predict("", "en", api_name="/resume")  # the newest open session: the one tab1 started
    tab1.predict("You must have been worried. Your application did arrive.", "en", api_name="/send")
    out = tab2.predict("A different line from a stale tab.", "en", api_name="/send")
    assert "went on in another window — reload to continue" in out[SEND_NOTICE]
    # a second replica on the same database, the same cookie (the key is in the database)
    replica = start_app(app.root / "replica", accounts=True, store_url=app.services.store.url)
    try:
        other = signed_client(replica, cookie)
        other.predict("", "en", api_name="/resume")
        tab1.predict("It will arrive by Friday 18:00.", "en", api_name="/send")
        out = other.predict("Forked line from replica two.", "en", api_name="/send")
        assert "went on in another window" in out[SEND_NOTICE]
    finally:
        replica.close()
    # alice herself can pick which unfinished session to resume (not just the newest)
    out = signed_client(app, cookie).predict("", "en", world["sid"], api_name="/resume")
    assert MARKER in repr(out[CHAT])
    mine = [s for s in app.services.store.list_sessions(trainee="alice") if s.scenario == "sim-activation-en"][0]
    texts = [t.text for t in app.services.store.get_session(mine.id).turns]
    assert not any("stale tab" in x or "replica two" in x for x in texts)
    clocks = [t.at for t in app.services.store.get_session(mine.id).turns]
    assert clocks == sorted(clocks)  # the stored clock never runs backwards


def test_body_over_the_cap_is_refused_before_parsing(world: dict[str, Any]) -> None:
    app = world["app"]
    host, port = app.url.split("//")[1].rstrip("/").split(":")
    big = 100 * 1024 * 1024
    t0 = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=30) as s:  # declares 100 MB, sends 1 KB
        s.sendall(f"POST /gradio_api/upload HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/octet-stream\r\n"
                  f"Content-Length: {big}\r\n\r\n".encode() + b"x" * 1024)
        head = b""
        while chunk := s.recv(4096):  # the server answers and closes without reading the body
            head += chunk
        head = head.decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head[:200]
    assert "limit is 1048576 bytes" in head
    assert time.perf_counter() - t0 < 2

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"y" * 65536

    r = httpx.post(f"{app.url}auth/login", content=chunks(), timeout=30,
                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_sign_in_failures_lock_out_per_account_and_address(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = start_app(tmp_path, accounts=True)
    try:
        login, password = new_account(app, "carol")
        with caplog.at_level("WARNING", logger="simulator.security"):
            codes = [httpx.post(f"{app.url}auth/login", data={"login": login, "password": f"guess-{i}"},
                                timeout=30).status_code for i in range(10)]
            assert codes == [401] * 10
            locked = httpx.post(f"{app.url}auth/login", data={"login": login, "password": password}, timeout=30)
            assert locked.status_code == 429 and "try again in 15 minute" in locked.text
            # the address is locked too: another account from the same client waits as well
            other = httpx.post(f"{app.url}auth/login", data={"login": "dave", "password": "x" * 12}, timeout=30)
            assert other.status_code == 429
        lines = [r.getMessage() for r in caplog.records]
        assert sum("failed sign-in for account 'carol' from 127.0.0.1" in x for x in lines) == 10
        assert any("locked out" in x for x in lines)
        assert not any("guess-" in x or password in x for x in lines)  # never the password
    finally:
        app.close()


def test_a_lock_out_holds_on_every_replica(tmp_path: Path) -> None:
    one = start_app(tmp_path / "one", accounts=True)
    two = start_app(tmp_path / "two", accounts=True, store_url=one.services.store.url)
    try:
        login, password = new_account(one, "ivan")
        codes = [httpx.post(f"{app.url}auth/login", data={"login": login, "password": f"guess-{i}"},
                            timeout=30).status_code for i, app in enumerate([one, two] * 5)]
        assert codes == [401] * 10  # five guesses on each replica
        for app in (one, two):
            r = httpx.post(f"{app.url}auth/login", data={"login": login, "password": password}, timeout=30)
            assert r.status_code == 429
    finally:
        two.close()
        one.close()


def test_exports_are_served_once_to_their_maker_only(tmp_path: Path) -> None:
    app = start_app(tmp_path, accounts=True)
    try:
        head = sign_in(app.url, *SUPERVISOR)
        other = new_account(app, "second-coach", role="supervisor")
        t = signed_client(app, sign_in(app.url, *new_account(app, "erin")))
        t.predict("", "morning-delivery-en", "en", api_name="/start")
        t.predict("I will call the carrier now and update you by 12:30.", "en", api_name="/send")
        t.predict("en", api_name="/end")
        s = signed_client(app, head)
        s.predict(SUPERVISOR[0], SUPERVISOR[1], "en", api_name="/supervisor_login")
        file = s.predict("csv", "erin", "", "", "", "en", api_name="/export")[0]
        url = file["url"]
        assert app.services.exports.pending() == 1
        assert httpx.get(url, headers=jar(sign_in(app.url, *other)), timeout=30).status_code == 403
        r = httpx.get(url, headers=jar(head), timeout=30)
        assert r.status_code == 200 and "erin" in r.content.decode("utf-8-sig")
        assert httpx.get(url, headers=jar(head), timeout=30).status_code in (403, 404)
        assert app.services.exports.pending() == 0
        assert not list(Path(file["path"]).parent.glob("*"))
    finally:
        app.close()


def test_exports_expire_after_an_hour(tmp_path: Path) -> None:
    from simulator.web.exports import ExportFiles
    now = [1000.0]
    ex = ExportFiles(now=lambda: now[0])
    path = ex.new_path("csv")
    path.write_text("a,b\n", encoding="utf-8")
    ex.register(path, "coach")
    now[0] += 3601
    assert ex.sweep() == 1 and not path.parent.exists() and ex.pending() == 0


def test_uploads_are_counted_per_user(tmp_path: Path) -> None:
    from simulator.web.limits import UPLOADS_PER_HOUR
    app = start_app(tmp_path, accounts=True)
    try:
        url = f"{app.url}gradio_api/upload"
        gina, hank = (sign_in(app.url, *new_account(app, n)) for n in ("gina", "hank"))
        with httpx.Client(timeout=30) as c:
            codes = [c.post(url, files={"files": ("s.yaml", b"id: x\n")}, headers=jar(gina)).status_code
                     for _ in range(UPLOADS_PER_HOUR + 1)]
            assert codes[:-1] == [200] * UPLOADS_PER_HOUR and codes[-1] == 429
            assert c.post(url, files={"files": ("s.yaml", b"id: x\n")}, headers=jar(hank)).status_code == 200
            big = c.post(url, files={"files": ("big.yaml", b"#" * 2_000_000)}, headers=jar(hank))
            assert big.status_code == 413  # over the body cap before any counting or parsing
    finally:
        app.close()


def test_the_streaming_turn_api_acts_only_for_the_signed_in_owner(world: dict[str, Any]) -> None:
    """/api/v1 (issue 14) sits beside Gradio's endpoints: the same rules hold there."""
    app, sid = world["app"], world["sid"]
    api = f"{app.url.rstrip('/')}/api/v1"
    before = app.services.store.get_session(sid).turns
    anon = httpx.post(f"{api}/sessions/{sid}/turns", json={"text": "hello", "lang": "en"}, timeout=30)
    assert anon.status_code in (401, 303, 302, 403), anon.status_code
    bob = {"sim_session": sign_in(app.url, *world["bob"])}
    r = httpx.post(f"{api}/sessions/{sid}/turns", json={"text": "written by bob", "lang": "en"}, cookies=bob, timeout=30)
    assert r.status_code == 403, (r.status_code, r.text[:200])
    r = httpx.get(f"{api}/sessions/{sid}", cookies=bob, timeout=30)
    assert r.status_code == 403 and MARKER not in r.text
    started = httpx.post(f"{api}/sessions", json={"trainee": "alice", "scenario": "sim-activation-en", "lang": "en"},
                         cookies=bob, timeout=30)
    assert started.status_code == 200 and started.json()["trainee"] == "bob", started.text  # the typed name is ignored
    assert app.services.store.get_session(sid).turns == before
