"""One conversation, one line of turns: a turn is stored only against the state it was computed
from. Two tabs (two copies of a session in one process) and two replicas (two processes on one
database) try to go on from the same point; the database takes the first and refuses the other,
on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulator.models import CustomerState, Turn
from simulator.store import StaleSession, Store, StoreError
from tests.test_store import REPO, store, store_url  # noqa: F401,F811  (fixtures: both databases)


def _start(store: Store) -> str:  # noqa: F811
    sid = store.start_session("hanako", "catalog-bride-ja", "scripted", CustomerState(clock="15:52:00"))
    store.add_turn(sid, Turn(role="customer", text="opening", at="15:52:00"), CustomerState(clock="15:52:00"), expect=0)
    return sid


def test_a_stale_tab_is_refused_and_nothing_forks(store: Store) -> None:  # noqa: F811
    sid = _start(store)
    # Both tabs have seen one turn; tab A goes on first.
    store.add_turn(sid, Turn(role="trainee", text="A says", at="15:52:30"), CustomerState(clock="15:52:30"), expect=1)
    store.add_turn(sid, Turn(role="customer", text="reply to A", at="15:53:00"), CustomerState(clock="15:53:00"),
                   expect=2)
    with pytest.raises(StaleSession, match=r"has 3 turns stored, this copy has seen 1.*reload to continue"):
        store.add_turn(sid, Turn(role="trainee", text="B says", at="15:52:10"), CustomerState(clock="15:52:10"),
                       expect=1)
    with pytest.raises(StaleSession):
        store.end_session(sid, CustomerState(clock="15:52:10", ended=True), expect=1)
    got = store.get_session(sid)
    assert [t.text for t in got.turns] == ["opening", "A says", "reply to A"]
    assert got.state.clock == "15:53:00"  # the stored clock never runs backwards
    assert not got.ended
    store.end_session(sid, CustomerState(clock="15:53:00", ended=True), expect=3)
    with pytest.raises(StoreError, match="already ended"):
        store.add_turn(sid, Turn(role="trainee", text="late"), CustomerState(), expect=3)


_REPLICA = """
import sys
from simulator.store import Store, StaleSession
from simulator.models import CustomerState, Turn
s = Store(sys.argv[1])
try:
    s.add_turn(sys.argv[2], Turn(role="trainee", text=sys.argv[3]), CustomerState(clock="15:55:00"), expect=1)
    print("stored")
except StaleSession as e:
    print("stale:", e)
"""


def test_two_replicas_racing_from_the_same_turn_store_exactly_one(store: Store, store_url: str) -> None:  # noqa: F811
    sid = _start(store)
    procs = [subprocess.Popen([sys.executable, "-c", _REPLICA, store_url, sid, f"replica {n}"], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    lines = [o[0].strip() for o in outs]
    assert sum(line == "stored" for line in lines) == 1, lines
    assert all(line.startswith("stale: ") and "reload to continue" in line for line in lines if line != "stored")
    turns = store.get_session(sid).turns
    assert len(turns) == 2 and turns[1].text.startswith("replica ")
