"""Load benchmark: N concurrent trainees x T turns against `simulator serve` with the LLM engine
pointed at a loopback OpenAI-compatible stub (bench/stub_openai.py: first token 0.5 s, 50 tokens/s).

Prints, per N: p50/p95 turn time and time to first visible text as ratios to the stub's own
times measured in the same run (N direct streams at once), errors, fallbacks, turns lost
(counted in the store), the server's peak RSS and CPU, and the driver's CPU beside it (the driver
must stay under half the server's CPU to be trusted).

    python bench/bench_load.py                        # N = 1, 25, 100; 10 turns; the streaming API
    python bench/bench_load.py --via gradio -n 25     # the same through the Gradio page's queue
    python bench/bench_load.py --url http://127.0.0.1:7950 --database postgresql+psycopg://...  # a running server/proxy
    python bench/bench_load.py --smoke                # seconds-long check that everything works (CI)

Each trainee is its own HTTP client with its own connection, like a browser. The driver is one
asyncio process (httpx) to keep its CPU small; its CPU is measured, not assumed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import subprocess
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from load_clients import TurnResult, api_trainee, client, gradio_trainee  # noqa: E402
from stub_openai import REPLY, sentence_tokens  # noqa: E402
from topology import Topology, start_stub, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "catalog-bride-ja"
LINES = ["お電話ありがとうございます。ご心配をおかけしております。", "確認いたしますので、1分ほどお待ちいただけますか。",
         "お待たせいたしました。手配は入っております。", "差し支えなければ、いつ頃までに必要でしょうか。", "承知いたしました。",
         "16時までに発送できるか確認いたします。", "5分以内に折り返しご連絡いたします。", "ほかにご不明な点はございますか。",
         "ありがとうございます。", "確認いたします。"]  # ten lines after which the call is still open


# ----------------------------------------------------------------------------- processes


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, key: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ------------------------------------------------------------------------------- stub times


@dataclass
class StubTimes:
    first_sentence: list[float] = field(default_factory=list)
    total: list[float] = field(default_factory=list)


async def stub_times(stub_port: int, n: int) -> StubTimes:
    """The stub's own times with n streams at once, through the same kind of client."""
    out = StubTimes()
    body = {"model": "stub", "stream": True, "messages": [{"role": "user", "content": "はい"}]}
    need = sentence_tokens()

    async def one(c: httpx.AsyncClient) -> None:
        t0 = time.monotonic()
        seen = 0
        async with c.stream("POST", f"http://127.0.0.1:{stub_port}/v1/chat/completions", json=body) as r:
            async for line in r.aiter_lines():
                if line.startswith("data: {") and '"content": "' in line and '"content": ""' not in line:
                    seen += 1
                    if seen == need:
                        out.first_sentence.append(time.monotonic() - t0)
        out.total.append(time.monotonic() - t0)
    async with client(n) as c:
        await asyncio.gather(*(one(c) for _ in range(n)))
    return out


# --------------------------------------------------------------------------------- one run


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def count_lost(database: str, results: list[list[TurnResult]], trainees: list[str]) -> tuple[int, int]:
    """(lost, extra): turns the driver saw committed (the opening, its own messages, every customer
    reply shown) that the store does not hold, and turns the store holds that it never saw."""
    from simulator.store import Store

    lost = extra = 0
    with Store(database) as store:
        for name, turns in zip(trainees, results):
            expected = 1 + sum(1 + r.customer_turn for r in turns if r.ok) if any(r.ok for r in turns) else 0
            found = store.list_sessions(trainee=name)
            got = sum(store.get_session(f.id).turn_count for f in found)
            lost += max(0, expected - got)
            extra += max(0, got - expected) if all(r.ok for r in turns) else 0
    return lost, extra


async def run(n: int, turns: int, url: str, via: str, think: float) -> tuple[list[list[TurnResult]], list[str]]:
    lines = [LINES[i % len(LINES)] for i in range(turns)]
    trainee = api_trainee if via == "api" else gradio_trainee
    async with client(n, url) as c:
        got = await asyncio.gather(*(trainee(c, f"load-{n}-{i}-{time.time_ns() % 10**6}", SCENARIO, lines, think)
                                     for i in range(n)))
    return [g[1] for g in got], [g[0] for g in got]


def report(n: int, turns: int, results: list[list[TurnResult]], stub: StubTimes, lost: tuple[int, int], server_cpu: float,
           driver_cpu: float, wall: float, rss: float, via: str) -> dict[str, float]:
    flat = [r for rs in results for r in rs]
    ok = [r for r in flat if r.ok]
    turn_t = [r.done for r in ok]
    first_t = [r.first_text for r in ok if r.first_text is not None]
    s_total, s_first = statistics.median(stub.total), statistics.median(stub.first_sentence)
    errors = len(flat) - len(ok) + (n * turns - len(flat))
    fallbacks = sum(1 for r in ok if r.source == "scripted-fallback")
    out = {"p50_turn": pct(turn_t, 0.5) / s_total, "p95_turn": pct(turn_t, 0.95) / s_total,
           "p50_first": pct(first_t, 0.5) / s_first, "p95_first": pct(first_t, 0.95) / s_first,
           "errors": errors, "lost": lost[0] + lost[1], "rss": rss, "server_cpu": server_cpu, "driver_cpu": driver_cpu}
    print(f"\nN={n} trainees x {turns} turns via {via}: {len(ok)} turns ok in {wall:.1f} s")
    print(f"  stub's own (N streams at once): first sentence {s_first:.3f} s, whole reply {s_total:.3f} s")
    print(f"  turn time      p50 {pct(turn_t, .5):.3f} s ({out['p50_turn']:.2f}x)   p95 {pct(turn_t, .95):.3f} s "
          f"({out['p95_turn']:.2f}x the stub's reply)")
    print(f"  first text     p50 {pct(first_t, .5):.3f} s ({out['p50_first']:.2f}x)   p95 {pct(first_t, .95):.3f} s "
          f"({out['p95_first']:.2f}x the stub's first sentence)")
    if ok and ok[0].events is not None:
        print(f"  per turn: {statistics.mean(r.events or 0 for r in ok):.1f} messages, "
              f"{statistics.mean(r.outputs or 0 for r in ok):.1f} outputs, {statistics.mean(r.bytes for r in ok):,.0f} bytes")
    else:
        print(f"  per turn: {statistics.mean(r.bytes for r in ok) if ok else 0:,.0f} bytes")
    retried = sum(1 for r in flat if r.retried)
    print(f"  errors {errors}, scripted fallbacks {fallbacks}, turns lost (store) {lost[0]}, turns stored twice {lost[1]}"
          f", resent after a closed keep-alive connection {retried}")
    kinds = sorted({r.error for r in flat if not r.ok})
    if kinds:
        print("  error kinds: " + "; ".join(kinds[:5]))
    print(f"  server: CPU {server_cpu:.1f} s ({100 * server_cpu / wall:.0f} % of one core), peak RSS {rss:.0f} MB; "
          f"driver CPU {driver_cpu:.1f} s ({driver_cpu / server_cpu if server_cpu else float('nan'):.2f}x the server's)")
    return out


def main() -> int:
    p = argparse.ArgumentParser(description="load benchmark of simulator serve")
    p.add_argument("-n", "--trainees", default="1,25,100", help="comma-separated trainee counts")
    p.add_argument("--turns", type=int, default=10)
    p.add_argument("--via", choices=["api", "gradio"], default="api")
    p.add_argument("--think", type=float, default=0.0, help="seconds a trainee waits before the next message")
    p.add_argument("--first-token", type=float, default=0.5)
    p.add_argument("--tps", type=float, default=50.0)
    p.add_argument("--url", default=None, help="drive a running server (or proxy) instead of starting one")
    p.add_argument("--stub-port", type=int, default=None, help="with --url: the stub that server uses")
    p.add_argument("--server-pid", action="append", type=int, default=[], help="with --url: pids to measure")
    p.add_argument("--database", default=None, help="store URL (default: a temp SQLite file)")
    p.add_argument("--replicas", type=int, default=1, help="app replicas; above 1 behind HAProxy (deploy/haproxy.cfg)")
    p.add_argument("--proxy", action="store_true", help="put HAProxy in front even of one replica")
    p.add_argument("--py-spy", default=None, metavar="FILE", help="profile the server during each run "
                   "(py-spy record, raw stacks to FILE.N; pip install py-spy)")
    p.add_argument("--smoke", action="store_true", help="2 trainees x 2 turns, fast stub: checks, not figures")
    a = p.parse_args()
    if a.smoke:
        a.trainees, a.turns, a.first_token, a.tps = "2", 2, 0.05, 500.0
    tmp = tempfile.TemporaryDirectory(prefix="bench-load-")
    database = a.database or f"sqlite:///{tmp.name}/load.db"
    stub = None
    failed = False
    try:
        stub_port = a.stub_port
        if stub_port is None:
            stub, stub_port = start_stub(a.first_token, a.tps)
        with contextlib.ExitStack() as stack:
            pids, url = list(a.server_pid), a.url
            if url is None:
                topo = stack.enter_context(Topology(database=database, llm_base_url=f"http://127.0.0.1:{stub_port}/v1",
                                                    replicas=a.replicas, proxy=a.proxy, workdir=Path(tmp.name)))
                pids, url = topo.pids(), topo.url
            print(f"stub: first token {a.first_token} s, {a.tps:g} tokens/s, {len(REPLY)} tokens "
                  f"(first sentence after {sentence_tokens()}); server {url} ({len(pids)} measured process(es)); "
                  f"store {database.split('@')[-1]}")
            asyncio.run(run(1, 2, url, a.via, 0))  # warm-up (client, tokenizer, guard): not measured
            for n in [int(x) for x in a.trainees.split(",")]:
                stub_t = asyncio.run(stub_times(stub_port, n))
                cpu0, own0, t0 = sum(cpu_seconds(q) for q in pids), own_cpu(), time.monotonic()
                spy = [subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(q), "-r", "100",
                                         "-f", "raw", "-o", f"{a.py_spy}.{n}.{q}", "--nonblocking"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                       for q in (pids if a.py_spy else [])]
                results, sessions = asyncio.run(run(n, a.turns, url, a.via, a.think))
                for sp in spy:
                    sp.send_signal(signal.SIGINT)
                    sp.wait(30)
                wall = time.monotonic() - t0
                server_cpu, driver_cpu = sum(cpu_seconds(q) for q in pids) - cpu0, own_cpu() - own0
                lost = count_lost(database, results, sessions)
                out = report(n, a.turns, results, stub_t, lost, server_cpu, driver_cpu, wall,
                             sum(rss_mb(q) for q in pids), a.via)
                failed = failed or out["errors"] > 0 or out["lost"] > 0
    finally:
        stop(stub)
        tmp.cleanup()
    if failed:
        print("FAILED: errors or lost turns (see above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
