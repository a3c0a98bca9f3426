"""The deployment topology as local processes: N `simulator serve` replicas on one store, behind
HAProxy with cookie-sticky sessions (deploy/haproxy.cfg, the file the compose setup uses, with
the replica addresses filled in). Used by bench/bench_load.py --replicas and tests/test_replicas.py;
Docker is not needed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
SERVERS_MARK = "    # replicas (filled in by the deployment)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def haproxy_config(listen: int, replicas: list[int]) -> str:
    """deploy/haproxy.cfg with this run's listening port and replica servers."""
    text = HAPROXY_CFG.read_text(encoding="utf-8").replace("bind :8080", f"bind 127.0.0.1:{listen}")
    servers = "\n".join(f"    server app{i + 1} 127.0.0.1:{p} check inter 1s fall 3 rise 1 cookie app{i + 1}"
                        for i, p in enumerate(replicas))
    if SERVERS_MARK not in text:
        raise RuntimeError(f"{HAPROXY_CFG} lost its line {SERVERS_MARK.strip()!r}")
    head, _, _ = text.partition(SERVERS_MARK)
    return f"{head}{SERVERS_MARK}\n{servers}\n"


def start_stub(first: float, tps: float) -> tuple[subprocess.Popen[str], int]:
    """bench/stub_openai.py in its own process (its CPU is not the server's); (process, port)."""
    p = subprocess.Popen([sys.executable, str(ROOT / "bench" / "stub_openai.py"), "--first-token", str(first),
                          "--tps", str(tps)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert p.stdout is not None
    line = p.stdout.readline()
    if not line.startswith("port "):
        stop(p)
        raise RuntimeError(f"the stub did not start: {line}")
    return p, int(line.split()[1])


def wait_ready(url: str, proc: subprocess.Popen[str] | None = None, seconds: float = 180) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with status {proc.returncode} (its log: see the run's folder)")
        try:
            if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up within {seconds:g} s")


def stop(p: subprocess.Popen[str] | None) -> None:
    if p is not None and p.poll() is None:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def start_server(port: int, env: dict[str, str], log_dir: Path) -> subprocess.Popen[str]:
    exe = Path(sys.executable).with_name("simulator")
    # The log goes to a file: a pipe nobody reads would fill up and stall the server.
    log = open(log_dir / f"serve-{port}.log", "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    p = subprocess.Popen([str(exe), "serve", "--port", str(port), *(["--backend", "openai"]
                          if env.get("SIMULATOR_LLM_BASE_URL") else [])],
                         stdout=log, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                         env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **env})
    log.close()  # the child has its own copy
    return p


@dataclass
class Topology:
    """Replicas (+ a proxy when there are several, or when asked). `url` is where clients go."""

    database: str
    llm_base_url: str | None = None
    replicas: int = 1
    proxy: bool = False
    workdir: Path = field(default_factory=lambda: Path(os.environ.get("TMPDIR", "/tmp")))
    servers: list[subprocess.Popen[str]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    haproxy: subprocess.Popen[str] | None = None
    url: str = ""

    def __enter__(self) -> "Topology":
        env = {"SIMULATOR_DATABASE_URL": self.database}
        if self.llm_base_url:
            env |= {"SIMULATOR_LLM_BASE_URL": self.llm_base_url, "SIMULATOR_LLM_MODEL": "stub"}
        try:
            for _ in range(self.replicas):
                port = free_port()
                self.ports.append(port)
                self.servers.append(start_server(port, env, self.workdir))
            for port, p in zip(self.ports, self.servers):
                wait_ready(f"http://127.0.0.1:{port}", p)
            self.url = f"http://127.0.0.1:{self.ports[0]}"
            if self.proxy or self.replicas > 1:
                self._start_proxy()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start_proxy(self) -> None:
        exe = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(exe).exists():
            raise RuntimeError("haproxy is not installed (scripts/test.sh installs Debian's package when root)")
        listen = free_port()
        cfg = self.workdir / f"haproxy-{listen}.cfg"
        cfg.write_text(haproxy_config(listen, self.ports), encoding="utf-8")
        check = subprocess.run([exe, "-c", "-f", str(cfg)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy rejects {cfg}: {check.stdout}{check.stderr}")
        self.haproxy = subprocess.Popen([exe, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, text=True)  # the config was checked above
        self.url = f"http://127.0.0.1:{listen}"
        wait_ready(self.url, self.haproxy)

    def pids(self) -> list[int]:
        return [p.pid for p in self.servers if p.poll() is None]

    def kill(self, index: int) -> None:
        """Stop one replica abruptly (what a crash looks like to the proxy)."""
        self.servers[index].kill()
        self.servers[index].wait(10)

    def __exit__(self, *exc: object) -> None:
        stop(self.haproxy)
        for p in self.servers:
            stop(p)
