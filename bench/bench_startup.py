"""Benchmark: how long `bash scripts/run.sh` takes to serve the page on a second start (goal:
under 5 s). run.sh installs only when pyproject.toml changed (a hash in .venv/.installed), so a
second start is Python starting the app: importing gradio, loading the catalog, launching.

    python bench/bench_startup.py [--runs 5] [--port 8031]

Prints, per start, the wall time from launching run.sh to the first HTTP 200 on the page, the
CPU seconds the server process had used by then, and the machine's load average: on a shared
machine the wall time follows the load, the CPU time much less (it is what an idle machine's
wall time comes close to).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 5.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def one_start(port: int) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(["bash", "scripts/run.sh", "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None:
                    raise SystemExit(f"scripts/run.sh exited with {proc.returncode} before serving")
                time.sleep(0.05)
        wall = time.perf_counter() - t0
        return wall, cpu_seconds(proc.pid), os.getloadavg()[0]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--port", type=int, default=8031)
    a = ap.parse_args()
    stamp = REPO / ".venv" / ".installed"
    print(f"install stamp present: {stamp.exists()} (absent: the first start installs, and is not a second start)")
    walls, cpus = [], []
    for i in range(a.runs):
        wall, cpu, load = one_start(a.port)
        print(f"start {i + 1}: serving after {wall:.2f} s wall, {cpu:.2f} s CPU, load average {load:.2f}")
        if i or stamp.exists():
            walls.append(wall)
            cpus.append(cpu)
    if walls:
        print(f"second starts: median {statistics.median(walls):.2f} s wall (best {min(walls):.2f}), "
              f"median {statistics.median(cpus):.2f} s CPU; goal < {GOAL_SECONDS:.0f} s: "
              f"{'met' if statistics.median(walls) < GOAL_SECONDS else 'NOT met at this load'}")


if __name__ == "__main__":
    main()
