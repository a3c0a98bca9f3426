"""kill -9 in the middle of a session: every turn whose add_turn returned must still be there,
the session must be offered for resume, and it must go on from where it stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from test_store import store_url  # noqa: F401  (fixture: SQLite, and PostgreSQL when configured)

from simulator.models import CustomerState, Turn
from simulator.store import Store

REPO = Path(__file__).resolve().parents[1]

# The child prints a turn's index only after add_turn returned, i.e. after the commit: those are
# the turns the UI would have shown. It never stops on its own.
_CHILD = """
import sys
from simulator.store import Store
from simulator.models import CustomerState, Turn
s = Store(sys.argv[1])
sid = s.start_session("kill-test", "morning-delivery-ja", "scripted", CustomerState(clock="12:05:00"))
print("session", sid, flush=True)
i = 0
while True:
    role = "customer" if i % 2 == 0 else "trainee"
    idx = s.add_turn(sid, Turn(role=role, text=f"発言 {i}", at="12:05:00"), CustomerState(turn=i, mood=0.1))
    print("committed", idx, flush=True)
    i += 1
"""


def test_kill_dash_nine_mid_session_then_resume(store_url: str) -> None:  # noqa: F811
    Store(store_url).close()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, store_url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    first = proc.stdout.readline().split()
    assert first[:1] == ["session"], proc.stderr.read() if proc.stderr else first
    sid = first[1]
    seen: list[int] = []
    deadline = time.monotonic() + 30
    while len(seen) < 40 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        assert line, proc.stderr.read() if proc.stderr else "child stopped"
        seen.append(int(line.split()[1]))
    os.kill(proc.pid, signal.SIGKILL)  # no cleanup, no atexit, possibly mid-transaction
    rest = proc.stdout.read()  # lines already written before the kill still count as shown
    seen += [int(x.split()[1]) for x in rest.splitlines() if x.startswith("committed")]
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    s = Store(store_url)
    assert [o.id for o in s.open_sessions("kill-test")] == [sid]
    got = s.get_session(sid)
    indices = list(range(len(got.turns)))
    assert set(seen) <= set(indices), "a turn the child saw committed is missing"
    assert [t.text for t in got.turns] == [f"発言 {i}" for i in indices]  # no gap, no torn turn
    assert got.state.turn == len(got.turns) - 1  # state written in the same transaction as the turn

    # Resume: the next turn follows on, and the session can be finished normally.
    nxt = s.add_turn(sid, Turn(role="trainee", text="お待たせいたしました"), CustomerState(turn=len(indices)))
    assert nxt == len(indices)
    s.end_session(sid, CustomerState(ended=True, ended_by="trainee"))
    assert s.open_sessions("kill-test") == []
    assert s.get_session(sid).turns[-1].text == "お待たせいたしました"
    s.close()
