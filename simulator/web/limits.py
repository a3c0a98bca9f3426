"""Limits that run before any work: the request-body cap and sliding-window counters.

`BodyCap` is plain ASGI middleware in front of Gradio's routes: a request whose declared
Content-Length is over the cap gets 413 before a byte is read, and a chunked body is counted as
it streams in and cut off at the cap, so no handler ever parses (or buffers) more than the cap.
`Window` counts events per key (an account, a client address) over a sliding time window; the
sign-in limiter and the upload counter are two instances of it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger("simulator.security")

DEFAULT_BODY_CAP = 1024 * 1024
SIGNIN_FAILURES = 10        # failed sign-ins allowed per account and per client address...
SIGNIN_WINDOW_S = 15 * 60   # ...in this many seconds; then the caller waits
UPLOADS_PER_HOUR = 60       # scenario uploads per user

Scope = dict[str, Any]


def body_cap_from_env() -> int:
    """SIMULATOR_MAX_BODY_BYTES (default 1 MiB); a bad value is a startup error that says so."""
    raw = os.environ.get("SIMULATOR_MAX_BODY_BYTES", "").strip()
    if not raw:
        return DEFAULT_BODY_CAP
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"SIMULATOR_MAX_BODY_BYTES must be a whole number of bytes, got {raw!r}") from None
    if value < 64 * 1024:
        raise ValueError(f"SIMULATOR_MAX_BODY_BYTES={value} is too small for the app's own requests; use at least 65536")
    return value


class BodyTooLarge(Exception):
    pass


class BodyCap:
    """ASGI middleware: refuse request bodies over `cap` bytes with 413, before they are parsed."""

    def __init__(self, app: Callable[..., Any], cap: int = DEFAULT_BODY_CAP) -> None:
        self.app = app
        self.cap = cap

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = self.cap + 1
            if declared > self.cap:
                await self._refuse(scope, send, declared)
                return
        seen = 0
        started = False

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.cap:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, seen)

    async def _refuse(self, scope: Scope, send: Callable[..., Any], size: int) -> None:
        client = (scope.get("client") or ("?",))[0]
        log.warning("refused a %d-byte request body to %s from %s (cap %d)", size, scope.get("path"), client, self.cap)
        body = json.dumps({"error": f"request body too large: {size} bytes, the limit is {self.cap} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


class Window:
    """Events per key within the last `seconds`; thread-safe; `now` injectable for tests."""

    def __init__(self, limit: int, seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.seconds, self._now = limit, seconds, now
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        q = self._events.get(key)
        if q is None:
            return deque()
        cutoff = self._now() - self.seconds
        while q and q[0] <= cutoff:
            q.popleft()
        if not q:
            del self._events[key]  # keys do not pile up for callers who went away
        return q

    def wait(self, *keys: str) -> float:
        """Seconds until every key is under its limit again (0: go ahead)."""
        with self._lock:
            waits = [q[0] + self.seconds - self._now() for k in keys if len(q := self._recent(k)) >= self.limit]
        return max(waits, default=0.0)

    def hit(self, *keys: str) -> None:
        with self._lock:
            t = self._now()
            for k in keys:
                self._recent(k)
                self._events.setdefault(k, deque()).append(t)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)


class TooManyAttempts(Exception):
    """Sign-in refused without checking the password: too many recent failures."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"too many failed sign-ins; try again in {max(1, round(wait_s / 60))} minute(s)")
        self.wait_s = wait_s


class SignInLimiter:
    """At most SIGNIN_FAILURES failures per account and per address in SIGNIN_WINDOW_S; logged
    with account and address, never the password."""

    def __init__(self, limit: int = SIGNIN_FAILURES, seconds: float = SIGNIN_WINDOW_S,
                 now: Callable[[], float] = time.monotonic, window: Any = None) -> None:
        # `window`: anything with wait/hit/clear, e.g. accounts.StoreWindow so replicas share counts.
        self.window = window or Window(limit, seconds, now)

    @staticmethod
    def _keys(login: str, address: str) -> tuple[str, str]:
        return f"account:{login.strip().lower()}", f"address:{address}"

    def check(self, login: str, address: str) -> None:
        wait = self.window.wait(*self._keys(login, address))
        if wait > 0:
            log.warning("sign-in refused (locked out) for account %r from %s; %.0f s left", login, address, wait)
            raise TooManyAttempts(wait)

    def failed(self, login: str, address: str) -> None:
        log.warning("failed sign-in for account %r from %s", login, address)
        self.window.hit(*self._keys(login, address))

    def succeeded(self, login: str, address: str) -> None:
        log.info("signed in: account %r from %s", login, address)
        self.window.clear(self._keys(login, address)[0])


class UploadCount:
    """ASGI middleware: file uploads (each already under the body cap) counted per signed-in
    user, or per client address in practice mode: at most UPLOADS_PER_HOUR an hour, then 429."""

    PATH = "/gradio_api/upload"

    def __init__(self, app: Callable[..., Any], auth: Any, limit: int = UPLOADS_PER_HOUR,
                 seconds: float = 3600) -> None:
        self.app, self.auth = app, auth
        self.window = Window(limit, seconds)

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http" or scope.get("path") != self.PATH or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        p = self.auth.principal(Request(scope))
        key = f"account:{p.login}" if p else f"address:{(scope.get('client') or ('?',))[0]}"
        wait = self.window.wait(key)
        if wait > 0:
            log.warning("refused an upload from %s: %d uploads in the last hour", key, self.window.limit)
            await JSONResponse({"error": f"too many uploads; try again in {max(1, round(wait / 60))} minute(s)"},
                               status_code=429)(scope, receive, send)
            return
        self.window.hit(key)
        await self.app(scope, receive, send)
