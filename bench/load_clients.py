"""The load benchmark's trainees: one through the streaming API (`/api/v1`), one through the
Gradio page's own queue protocol (join, then the server-sent events of that browser session),
each timing its turns the way a trainee sees them."""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import time
import uuid
from dataclasses import dataclass

import httpx

FIRST_WORDS = "そうなんですね"  # in the stub's first sentence: the customer's text is on screen


def client(n: int, url: str = "") -> httpx.AsyncClient:
    """One client for n trainees, each request on a connection of its own: a trainee is a
    connection, as a browser is, without n copies of httpx's setup (TLS context ~30 ms of CPU each)."""
    # No shared cookie jar: each trainee keeps its own sticky-proxy cookie (`_sticky`).
    jar = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(base_url=url, timeout=60, cookies=jar,
                             limits=httpx.Limits(max_connections=2 * n + 10, max_keepalive_connections=2 * n + 10))


def _sticky(r: httpx.Response, headers: dict[str, str]) -> None:
    """Keep a proxy's sticky cookie (name=value) for this trainee's next requests."""
    cookie = r.headers.get("set-cookie")
    if cookie:
        headers["Cookie"] = cookie.split(";", 1)[0]


@dataclass
class TurnResult:
    ok: bool
    done: float = 0.0                 # seconds from send to the whole reply shown
    first_text: float | None = None   # seconds from send to the first customer text shown
    customer_turn: bool = False       # a customer reply was shown (so the store must hold it)
    source: str | None = None         # llm / scripted-fallback (API only)
    bytes: int = 0                    # sent by the server for this turn
    events: int | None = None         # Gradio messages for this turn
    outputs: int | None = None        # Gradio outputs sent for this turn, summed over messages
    error: str = ""
    retried: bool = False             # sent again after a keep-alive connection closed unanswered


async def api_trainee(c: httpx.AsyncClient, name: str, scenario: str, lines: list[str],
                      think: float) -> tuple[str, list[TurnResult]]:
    out: list[TurnResult] = []
    headers: dict[str, str] = {}
    r = await c.post("/api/v1/sessions", json={"trainee": name, "scenario": scenario})
    if r.status_code != 200:
        return name, [TurnResult(ok=False, error=f"start: HTTP {r.status_code} {r.text[:80]}")]
    _sticky(r, headers)
    sid = r.json()["session_id"]
    for line in lines:
        out.append(await _api_turn(c, sid, line, headers))
        if think:
            await asyncio.sleep(think)
    return name, out


async def _api_turn(c: httpx.AsyncClient, sid: str, line: str, headers: dict[str, str]) -> TurnResult:
    # Like a browser, resend once a request whose reused keep-alive connection was closed before
    # any answer came (the request never reached the proxy: its log shows none); counted apart,
    # and the store check would show a turn stored twice.
    res = await _api_turn_once(c, sid, line, headers)
    if res.error == STALE:
        res = await _api_turn_once(c, sid, line, headers)
        res.retried = True
    return res


STALE = "turn: connection closed before any answer"


async def _api_turn_once(c: httpx.AsyncClient, sid: str, line: str, headers: dict[str, str]) -> TurnResult:
    t0 = time.monotonic()
    res = TurnResult(ok=False)
    answered = False
    try:
        async with c.stream("POST", f"/api/v1/sessions/{sid}/turns", json={"text": line}, headers=headers) as r:
            answered = True
            if r.status_code != 200:
                res.error = f"turn: HTTP {r.status_code} {(await r.aread())[:80]!r}"
                return res
            async for raw in r.aiter_lines():
                res.bytes += len(raw.encode()) + 1
                ev = json.loads(raw)
                if ev["type"] == "delta" and res.first_text is None:
                    res.first_text = time.monotonic() - t0
                elif ev["type"] == "error":
                    res.error = f"turn: {ev['error'][:80]}"
                elif ev["type"] == "done":
                    res.done, res.ok = time.monotonic() - t0, True
                    res.customer_turn = ev["turn"] is not None
                    res.source = ev["turn"]["source"] if ev["turn"] else None
    except httpx.HTTPError as e:
        res.error = STALE if isinstance(e, httpx.RemoteProtocolError) and not answered else f"turn: {type(e).__name__}"
    return res


_CONFIG: dict[str, dict[str, int]] = {}
_THEN: dict[str, dict[int, list[int]]] = {}


async def _fn_index(c: httpx.AsyncClient, url: str) -> dict[str, int]:
    """api name -> event id; also notes which events the page runs after each (`.then`)."""
    if url not in _CONFIG:
        deps = (await c.get("/config")).json()["dependencies"]
        _CONFIG[url] = {d["api_name"]: d["id"] for d in deps if d.get("api_name")}
        then: dict[int, list[int]] = {}
        for d in deps:
            if d.get("trigger_after") is not None:
                then.setdefault(d["trigger_after"], []).append(d["id"])
        _THEN[url] = then
    return _CONFIG[url]


async def _page_event(c: httpx.AsyncClient, fn: int, data: list, session: str,
                      headers: dict[str, str]) -> TurnResult:
    """An event and the events the page chains after it (each gets the page language and the
    state), summed into one result: what a browser does for one click."""
    res = await _gradio_event(c, fn, data, session, headers)
    t0 = time.monotonic() - res.done
    for nxt in _THEN.get(str(c.base_url), {}).get(fn, []):
        if not res.ok:
            break
        more = await _gradio_event(c, nxt, ["ja", None], session, headers)
        res.ok, res.error = more.ok, more.error
        res.bytes += more.bytes
        res.events = (res.events or 0) + (more.events or 0)
        res.outputs = (res.outputs or 0) + (more.outputs or 0)
        if res.first_text is None and more.first_text is not None:
            res.first_text = time.monotonic() - t0
    res.done = time.monotonic() - t0
    return res


async def _gradio_event(c: httpx.AsyncClient, fn: int, data: list, session: str,
                        headers: dict[str, str]) -> TurnResult:
    """One Gradio event as the page sends it; times the first customer words and completion."""
    t0 = time.monotonic()
    res = TurnResult(ok=False, events=0, outputs=0)
    generating = 0
    r = await c.post("/gradio_api/queue/join", json={"data": data, "event_data": None, "fn_index": fn,
                                                     "trigger_id": None, "session_hash": session},
                     headers=headers)
    _sticky(r, headers)
    if r.status_code != 200:
        res.error = f"join: HTTP {r.status_code}"
        return res
    event_id = r.json()["event_id"]
    async with c.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}, headers=headers) as s:
        async for raw in s.aiter_lines():
            if not raw.startswith("data:"):
                continue
            msg = json.loads(raw[5:])
            if msg.get("event_id") not in (None, event_id):
                continue
            kind = msg.get("msg")
            if kind in ("process_generating", "process_completed"):
                res.bytes += len(raw.encode()) + 2
                res.events = (res.events or 0) + 1
                res.outputs = (res.outputs or 0) + len((msg.get("output") or {}).get("data") or [])
                generating += 1
                # the first message repeats the chat so far (with earlier replies): skip it
                if res.first_text is None and generating > 1 and FIRST_WORDS in raw:
                    res.first_text = time.monotonic() - t0
            if kind == "process_completed":
                res.ok = bool(msg.get("success"))
                res.error = "" if res.ok else f"event failed: {str(msg.get('output'))[:80]}"
                res.done = time.monotonic() - t0
                return res
    res.error = "stream closed before completion"
    return res


async def gradio_trainee(c: httpx.AsyncClient, name: str, scenario: str, lines: list[str],
                         think: float) -> tuple[str, list[TurnResult]]:
    out: list[TurnResult] = []
    fns = await _fn_index(c, str(c.base_url))
    session = uuid.uuid4().hex[:11]
    headers: dict[str, str] = {}
    started = await _page_event(c, fns["start"], [name, scenario, "ja", None], session, headers)
    if not started.ok:
        return name, [started]
    for line in lines:
        try:
            res = await _page_event(c, fns["send"], [line, "ja", None], session, headers)
        except httpx.HTTPError as e:
            res = TurnResult(ok=False, error=f"turn: {type(e).__name__}")
        res.customer_turn = res.ok and res.first_text is not None
        out.append(res)
        if think:
            await asyncio.sleep(think)
    return name, out
