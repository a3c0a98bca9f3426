"""Two `simulator serve` replicas behind a real HAProxy (Debian's package, deploy/haproxy.cfg)
on one PostgreSQL, with the LLM engine on a loopback OpenAI-compatible stub: the load benchmark
runs through the proxy without an error or a lost turn, sessions spread over both replicas and
stick to theirs, and when a replica dies its trainee goes on on the other one from the store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from topology import Topology, start_stub, stop  # noqa: E402

DB = os.environ.get("SIMULATOR_TEST_DATABASE_URL")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not DB, reason="needs SIMULATOR_TEST_DATABASE_URL (PostgreSQL; .ci/run sets it)"),
    pytest.mark.skipif(HAPROXY is None, reason="haproxy is not installed: scripts/test.sh installs Debian's "
                                               "package when run as root with apt-get"),
]


@pytest.fixture(scope="module")
def stub() -> Iterator[int]:
    p, port = start_stub(0.05, 400)
    yield port
    stop(p)


@pytest.fixture(scope="module")
def two(stub: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    assert DB is not None
    with Topology(database=DB, llm_base_url=f"http://127.0.0.1:{stub}/v1", replicas=2,
                  workdir=tmp_path_factory.mktemp("proxy")) as t:
        yield t


def _start(url: str, trainee: str) -> tuple[str, str, str]:
    """A new session through the proxy: its id, the sticky cookie and the replica that took it."""
    r = httpx.post(f"{url}/api/v1/sessions", json={"trainee": trainee, "scenario": "catalog-bride-ja"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["session_id"], r.headers["set-cookie"].split(";", 1)[0], r.headers["x-simulator-replica"]


def _turn(url: str, sid: str, cookie: str, text: str) -> tuple[str, dict]:
    with httpx.stream("POST", f"{url}/api/v1/sessions/{sid}/turns", json={"text": text},
                      headers={"Cookie": cookie}, timeout=30) as r:
        assert r.status_code == 200, r.read()
        lines = [json.loads(x) for x in r.iter_lines() if x]
        return r.headers["x-simulator-replica"], lines[-1]


def test_load_benchmark_through_the_proxy_loses_nothing(two: Topology, stub: int) -> None:
    assert DB is not None
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_load.py"), "--url", two.url,
                          "--stub-port", str(stub), "--database", DB, "-n", "12", "--turns", "3",
                          *[f"--server-pid={p}" for p in two.pids()]],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "errors 0," in out.stdout and "turns lost (store) 0, turns stored twice 0" in out.stdout, out.stdout


def test_sessions_spread_and_stick_then_fail_over_from_the_store(two: Topology) -> None:
    tag = uuid.uuid4().hex[:6]
    started = [_start(two.url, f"replica-{tag}-{i}") for i in range(6)]
    assert {replica for _, _, replica in started} == {"app1", "app2"}  # both replicas take sessions
    for sid, cookie, replica in started[:2]:
        for text in ("ご心配をおかけしております。", "確認いたします。"):
            served, done = _turn(two.url, sid, cookie, text)
            assert served == replica and done["type"] == "done"  # sticky
    # app1 dies; its trainee's next turn is taken by app2, from what the store holds
    sid, cookie, replica = next(s for s in started if s[2] == "app1")
    _, before = _turn(two.url, sid, cookie, "お待たせいたしました。")
    two.kill(0)
    served, done = _turn(two.url, sid, cookie, "差し支えなければ、いつ頃までに必要でしょうか。")
    assert served == "app2" and done["type"] == "done" and done["clock"] > before["clock"]
    from simulator.store import Store
    with Store(DB) as store:
        turns = store.get_session(sid).turns
    assert [t.role for t in turns[-4:]] == ["trainee", "customer", "trainee", "customer"]
    assert turns[-1].text == done["turn"]["text"]
