"""The session store against real SQLite files and, when SIMULATOR_TEST_DATABASE_URL is set, a
real PostgreSQL (each test in a fresh schema, dropped afterwards).

`store_url` and `clock` are imported by test_store_kill.py and test_export.py.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from simulator.models import CriterionScore, CustomerState, Evidence, ScoreCard, Turn
from simulator.store import SessionFilter, SessionNotFound, Store, StoreError, mask_url

PG_ENV = "SIMULATOR_TEST_DATABASE_URL"
REPO = Path(__file__).resolve().parents[1]


class Clock:
    """Deterministic store clock: each call advances one minute from a fixed start."""

    def __init__(self, start: datetime = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)) -> None:
        self.t = start

    def __call__(self) -> datetime:
        self.t += timedelta(minutes=1)
        return self.t


def _pg_schema_url(base: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    u = make_url(base)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    admin = create_engine(u, connect_args={"connect_timeout": 5})
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as e:  # set but unreachable is a broken test setup, not a reason to skip
        pytest.fail(f"{PG_ENV}={u.render_as_string(hide_password=True)} is set but unusable: "
                    f"{str(e).splitlines()[0]}", pytrace=False)
    try:
        yield u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'sim.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    yield from _pg_schema_url(base)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url, now=Clock())
    yield s
    s.close()


def card(total: float = 50.0, empathy: int = 2, judge: str = "heuristic") -> ScoreCard:
    return ScoreCard(scenario="catalog-bride-ja", rubric="default", judge=judge, total=total, criteria=[
        CriterionScore(id="empathy", score=empathy, evidence=[Evidence(turn=1, quote="ご心配")], feedback="良い"),
        CriterionScore(id="wait_time", score=1, feedback="時刻を"),
    ])


# ----------------------------------------------------------------------------- basics


def test_round_trip_of_a_whole_session(store: Store) -> None:
    sid = store.start_session("山田 花子", "catalog-bride-ja", "scripted", CustomerState(clock="15:52:00"))
    assert uuid.UUID(sid)
    i0 = store.add_turn(sid, Turn(role="customer", text="あの…", at="15:52:00", source="scripted"),
                        CustomerState(clock="15:52:00", turn=1))
    i1 = store.add_turn(sid, Turn(role="trainee", text="ご心配だったことと思います", at="15:52:30",
                                  source="trainee", msg_id="m-1"),
                        CustomerState(clock="15:52:30", turn=1, mood=0.3, revealed_needs=["wedding"]))
    assert (i0, i1) == (0, 1)
    store.save_score(sid, card(40.0))
    store.save_score(sid, card(75.0, empathy=3, judge="llm"))
    store.add_override(sid, "empathy", 1, "定型的", "鈴木")
    store.add_override(sid, "empathy", 4, "見直した", "佐藤")
    got = store.get_session(sid)
    assert got.trainee == "山田 花子" and got.scenario == "catalog-bride-ja" and got.language == "ja"
    assert [t.text for t in got.turns] == ["あの…", "ご心配だったことと思います"]
    assert got.turns[1].model_extra == {"msg_id": "m-1"} and got.turns[1].source == "trainee"
    assert got.state.revealed_needs == ["wedding"] and got.state.mood == 0.3
    assert got.card is not None and got.card.total == 75.0 and got.card.judge == "llm"
    assert [o.score for o in got.overrides] == [1, 4]
    assert got.latest_overrides()["empathy"].supervisor == "佐藤"
    assert got.started_at.tzinfo is not None and not got.ended
    store.end_session(sid, CustomerState(ended=True, ended_by="trainee"))
    ended = store.get_session(sid)
    assert ended.ended and ended.state.ended_by == "trainee"


def test_list_filters_resume_and_trainees(store: Store) -> None:
    a1 = store.start_session("a", "catalog-bride-ja", "scripted", CustomerState())
    a2 = store.start_session("a", "apple-email-en", "openai", CustomerState())
    b1 = store.start_session("b", "catalog-bride-ja", "scripted", CustomerState())
    store.add_turn(a1, Turn(role="customer", text="x"), CustomerState())
    store.save_score(a1, card(60.0))
    store.end_session(a1, CustomerState(ended=True))
    assert [s.id for s in store.list_sessions()] == [b1, a2, a1]  # newest first
    assert [s.id for s in store.list_sessions(trainee="a")] == [a2, a1]
    assert [s.id for s in store.list_sessions(scenario="catalog-bride-ja")] == [b1, a1]
    assert [s.id for s in store.list_sessions(limit=1, offset=1)] == [a2]
    first = store.list_sessions(trainee="a")[1]
    assert (first.turns, first.total, first.judge, first.ended) == (1, 60.0, "heuristic", True)
    assert store.list_sessions(trainee="a")[0].language == "en"
    assert [s.id for s in store.open_sessions("a")] == [a2]
    assert store.trainees() == ["a", "b"]
    day = date(2026, 4, 1)
    assert len(store.list_sessions(since=day, until=day)) == 3
    assert store.list_sessions(since=day + timedelta(days=1)) == []
    assert store.list_sessions(until=day - timedelta(days=1)) == []
    assert [s.id for s in store.sessions(SessionFilter(trainee="b"))] == [b1]


def test_bad_inputs_get_clear_errors(store: Store) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(SessionNotFound, match=missing):
        store.add_turn(missing, Turn(role="customer", text="x"), CustomerState())
    with pytest.raises(SessionNotFound, match="nope"):
        store.get_session("nope")
    with pytest.raises(StoreError, match="trainee name must be a non-empty"):
        store.start_session("  ", "s", "scripted", CustomerState())
    with pytest.raises(StoreError, match="control characters"):
        store.start_session("a\nb", "s", "scripted", CustomerState())
    with pytest.raises(StoreError, match="session id must be a UUID"):
        store.start_session("a", "s", "scripted", CustomerState(), session_id="123")
    sid = store.start_session("a", "s", "scripted", CustomerState())
    with pytest.raises(StoreError, match="no score card yet"):
        store.add_override(sid, "empathy", 3, "", "boss")
    store.save_score(sid, card())
    with pytest.raises(StoreError, match="'typo' is not on the score card.*empathy, wait_time"):
        store.add_override(sid, "typo", 3, "", "boss")
    with pytest.raises(StoreError, match="whole number 0-4, got 5"):
        store.add_override(sid, "empathy", 5, "", "boss")
    with pytest.raises(StoreError, match="bad session filter: since='April': .*YYYY-MM-DD"):
        store.list_sessions(since="April")
    with pytest.raises(StoreError, match="since 2026-04-02 is after until 2026-04-01"):
        store.list_sessions(since=date(2026, 4, 2), until=date(2026, 4, 1))
    store.end_session(sid, CustomerState(ended=True))
    with pytest.raises(StoreError, match="already ended"):
        store.add_turn(sid, Turn(role="customer", text="x"), CustomerState())


def test_bad_urls_name_the_url_with_password_masked(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"postgresql\+psycopg://u:\*\*\*@127.0.0.1:1/db.*refused") as e:
        Store("postgresql+psycopg://u:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in str(e.value)
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        Store("mysql://root:pw@localhost/x")
    with pytest.raises(StoreError, match="bad database URL 'not a url'"):
        Store("not a url")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store(f"sqlite:///{blocker}/sub/x.db")
    assert mask_url("postgresql://me:p@ss@h/db") == "postgresql://me:***@h/db"


def test_default_path_env_and_sqlite_pragmas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIMULATOR_DATABASE_URL", raising=False)
    Store().close()
    db = tmp_path / "data" / "simulator.db"
    assert db.exists()
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other = tmp_path / "elsewhere.db"
    monkeypatch.setenv("SIMULATOR_DATABASE_URL", f"sqlite:///{other}")
    s = Store()
    assert other.exists()
    with s._engine.connect() as c:  # the pragmas every connection gets
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    s.close()


def test_store_from_an_earlier_version_is_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    s = Store(f"sqlite:///{db}")
    sid = s.start_session("a", "s", "scripted", CustomerState())
    for i in range(3):
        s.add_turn(sid, Turn(role="customer", text=str(i)), CustomerState())
    s.close()
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE sessions DROP COLUMN next_turn")  # what the first release wrote
    con.commit()
    con.close()
    s = Store(f"sqlite:///{db}")
    assert s.add_turn(sid, Turn(role="trainee", text="3"), CustomerState()) == 3
    assert s.list_sessions()[0].turns == 4
    s.close()


# ------------------------------------------------------------------------ concurrency

N_WRITERS, N_TURNS = 20, 100


def _writer(url: str, n: int, k: int, out: "mp.Queue[str]") -> None:
    s = Store(url)
    sid = s.start_session(f"writer-{n}", "catalog-bride-ja", "scripted", CustomerState())
    for i in range(k):
        s.add_turn(sid, Turn(role="trainee" if i % 2 else "customer", text=f"{n}:{i}"), CustomerState(turn=i))
    s.close()
    out.put(sid)


def test_twenty_concurrent_writer_processes_lose_nothing(store_url: str) -> None:
    Store(store_url).close()  # create the schema once, as the app does at start-up
    ctx = mp.get_context("fork")
    q: "mp.Queue[str]" = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(store_url, n, N_TURNS, q)) for n in range(N_WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * N_WRITERS  # a "database is locked" would fail here
    ids = {q.get(timeout=5) for _ in range(N_WRITERS)}
    s = Store(store_url)
    got = s.sessions()
    assert {g.id for g in got} == ids
    for g in got:
        n = g.trainee.split("-")[1]
        assert [t.text for t in g.turns] == [f"{n}:{i}" for i in range(N_TURNS)]
        assert g.state.turn == N_TURNS - 1
    s.close()


def test_threads_appending_to_one_session_get_distinct_indices(store: Store) -> None:
    sid = store.start_session("a", "s", "scripted", CustomerState())
    got: list[int] = []

    def work(n: int) -> None:
        for i in range(20):
            got.append(store.add_turn(sid, Turn(role="customer", text=f"{n}-{i}"), CustomerState()))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(160))
    assert len({t.text for t in store.get_session(sid).turns}) == 160


_PEER = """
import sys
from simulator.store import Store
from simulator.models import CustomerState
s = Store(sys.argv[1])
if sys.argv[2] == "create":
    print(s.start_session("peer", "sim-activation-en", "scripted", CustomerState()))
else:
    print(",".join(x.id for x in s.list_sessions(trainee="main")))
"""


def test_two_processes_see_each_others_sessions(store: Store, store_url: str) -> None:
    def peer(cmd: str) -> str:
        r = subprocess.run([sys.executable, "-c", _PEER, store_url, cmd], capture_output=True, text=True,
                           timeout=60, cwd=REPO)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    theirs = peer("create")
    assert [s.id for s in store.list_sessions(trainee="peer")] == [theirs]
    mine = store.start_session("main", "catalog-bride-ja", "scripted", CustomerState())
    assert peer("list") == mine
