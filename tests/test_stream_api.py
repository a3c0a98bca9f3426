"""The streaming turn API (/api/v1) against real servers on loopback: NDJSON sentence by
sentence, clear errors, continuity through the store (a second server goes on with a session
the first one started), and turn slots released at the deadline when the model hangs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from simulator.customers import make_backend
from simulator.llm import LLMSettings
from tests.fake_openai import Fault, FakeOpenAI
from tests.web_server import RunningApp, start_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    running = start_app(tmp_path_factory.mktemp("api"))
    yield running
    running.close()


def start(url: str, trainee: str, scenario: str = "catalog-bride-ja") -> str:
    url = url.rstrip("/")
    r = httpx.post(f"{url}/api/v1/sessions", json={"trainee": trainee, "scenario": scenario}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["session_id"]


def turn(url: str, sid: str, timeout: float = 30, **body: object) -> tuple[int, list[dict]]:
    url = url.rstrip("/")
    with httpx.stream("POST", f"{url}/api/v1/sessions/{sid}/turns", json=body, timeout=timeout) as r:
        if r.status_code != 200:
            return r.status_code, [json.loads(r.read())]
        assert r.headers["content-type"].startswith("application/x-ndjson")
        return 200, [json.loads(line) for line in r.iter_lines() if line]


def test_a_turn_streams_and_is_stored(app: RunningApp) -> None:
    sid = start(app.url, "API trainee")
    status, events = turn(app.url, sid, text="ご心配をおかけしております。私が確認いたします。")
    assert status == 200 and events[-1]["type"] == "done" and events[:-1]
    deltas = "".join(e["text"] for e in events if e["type"] == "delta")
    done = events[-1]
    assert done["turn"]["role"] == "customer" and done["turn"]["text"] == deltas and not done["ended"]
    stored = app.services.store.get_session(sid)
    assert [t.role for t in stored.turns] == ["customer", "trainee", "customer"]
    assert stored.turns[-1].text == deltas and stored.state.clock == done["clock"]
    got = httpx.get(f"{app.url.rstrip('/')}/api/v1/sessions/{sid}", timeout=10).json()
    assert [t["text"] for t in got["turns"]] == [t.text for t in stored.turns] and got["live"]


def test_bad_input_gets_clear_errors_and_loses_nothing(app: RunningApp) -> None:
    r = httpx.post(f"{app.url.rstrip('/')}/api/v1/sessions", json={"trainee": "A", "scenario": "no-such-scenario"}, timeout=10)
    assert r.status_code == 422 and "no-such-scenario" in r.json()["error"]
    r = httpx.post(f"{app.url.rstrip('/')}/api/v1/sessions", json={"trainee": "A", "scenaro": "x"}, timeout=10)
    assert r.status_code == 422 and "scenaro" in r.text  # the misspelt field is named
    sid = start(app.url, "Bad input")
    status, body = turn(app.url, sid, text="   ")
    assert status == 422 and body[0]["error"].startswith("text:")
    status, body = turn(app.url, sid, hold_seconds=601)
    assert status == 422 and "hold_seconds" in json.dumps(body)
    status, body = turn(app.url, "no-such-session", text="hello")
    assert status == 404 and "no-such-session" in body[0]["error"]
    assert app.services.store.get_session(sid).turn_count == 1  # only the opening
    status, events = turn(app.url, sid, text="本日はお電話ありがとうございます。")
    assert status == 200 and events[-1]["type"] == "done"
    # an ended contact refuses more turns, clearly
    state = app.services.store.get_session(sid).state
    app.services.store.end_session(sid, state.model_copy(update={"ended": True, "ended_by": "trainee"}))
    status, body = turn(app.url, sid, text="もしもし")
    assert status == 409 and body[0]["error"]


def test_a_second_server_goes_on_with_the_session_from_the_store(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    a = start_app(tmp_path / "a", database=database)
    b = start_app(tmp_path / "b", database=database)
    try:
        sid = start(a.url, "Replica trainee")
        _, first = turn(a.url, sid, text="ご心配をおかけしております。")
        _, second = turn(b.url, sid, text="差し支えなければ、いつ頃までに必要でしょうか。")
        assert first[-1]["type"] == second[-1]["type"] == "done"
        stored = a.services.store.get_session(sid)
        assert [t.role for t in stored.turns] == ["customer", "trainee", "customer", "trainee", "customer"]
        assert stored.state.clock == second[-1]["clock"] > first[-1]["clock"]  # B went on from A's state
    finally:
        a.close()
        b.close()


def test_hung_model_calls_give_their_slots_back_at_the_deadline(tmp_path: Path) -> None:
    """Two slots, two turns whose model hangs for 30 s, and a third turn at the same time: the
    third gets a slot only if the hung turns let theirs go at the 1 s deadline (its client gives
    up after 20 s), and then the model answers it."""
    with FakeOpenAI(default="はい。そうですか。") as srv:
        srv.script(Fault.hang(30), Fault.hang(30))
        settings = LLMSettings(base_url=srv.base_url, model="fake-model", timeout=25, max_retries=0,
                               turn_deadline=1.0)
        running = start_app(tmp_path, backend=make_backend("openai", settings), api_slots=2)
        try:
            sids = [start(running.url, f"Slot {i}") for i in range(3)]
            with ThreadPoolExecutor(3) as pool:
                hung = [pool.submit(turn, running.url, sid, 20, text="確認いたします。") for sid in sids[:2]]
                while len(srv.requests) < 2:  # both hung calls hold their slots now
                    pass
                third = pool.submit(turn, running.url, sids[2], 20, text="確認いたします。")
                results = [f.result() for f in hung] + [third.result()]
            for status, events in results[:2]:
                assert status == 200 and events[-1]["turn"]["source"] == "scripted-fallback" and events[-1]["notice"]
            status, events = results[2]
            assert status == 200 and events[-1]["turn"]["source"] == "llm" and events[-1]["turn"]["text"] == "はい。そうですか。"
        finally:
            running.close()


def test_a_stale_writer_cannot_fork_a_session(app: RunningApp) -> None:
    """The per-session lock lives in one process; across replicas (or two tabs) the store refuses
    a turn written from an out-of-date view, so a conversation never forks."""
    from simulator.models import Turn
    from simulator.store import StoreError

    sid = start(app.url, "Two tabs")
    store = app.services.store
    seen = store.get_session(sid)  # both "tabs" have read the opening
    _, events = turn(app.url, sid, text="ご心配をおかけしております。")  # tab A goes on
    assert events[-1]["type"] == "done"
    with pytest.raises(StoreError, match="went on elsewhere"):  # tab B writes from its old view
        store.add_turn(sid, Turn(role="trainee", text="stale", at=seen.state.clock), seen.state,
                       expect=len(seen.turns))
    assert [t.text for t in store.get_session(sid).turns].count("stale") == 0
