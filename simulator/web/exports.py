"""Export files a supervisor downloads: served only to the supervisor who made them, removed
after the download or after an hour.

Gradio serves a handler's output file from its own cache folder (named by a hash of the file's
content) through /gradio_api/file=...; `ExportFiles` remembers which cache folder belongs to
which export and who made it, and `ExportGuard` (ASGI middleware) checks each file request
against that before Gradio sees it, then deletes the export once it was sent.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import JSONResponse

MAX_AGE_S = 3600
FILE_ROUTE = "/gradio_api/file="


@dataclass(frozen=True)
class _Entry:
    owner: str | None   # login of the signed-in supervisor; None: made through the tab form only
    folder: Path        # where the export was written (its Gradio cache copy is found by hash)
    made: float


class ExportFiles:
    def __init__(self, max_age_s: float = MAX_AGE_S, now: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s, self._now = max_age_s, now
        self._root: Path | None = None
        self._entries: dict[str, _Entry] = {}
        self._served: dict[str, Path] = {}  # content hash -> Gradio's cached copy, once seen
        self._lock = threading.Lock()

    def new_path(self, fmt: str) -> Path:
        """A fresh, unguessable folder for one export file."""
        with self._lock:
            if self._root is None:
                self._root = Path(tempfile.mkdtemp(prefix="sim-exports-"))
        folder = self._root / secrets.token_hex(16)
        folder.mkdir()
        return folder / f"sessions.{fmt}"

    def register(self, path: str | Path, owner: str | None) -> None:
        from gradio.processing_utils import hash_file  # the name Gradio gives the cache copy's folder
        key = hash_file(path)
        with self._lock:
            self._entries[key] = _Entry(owner=owner, folder=Path(path).parent, made=self._now())
        self.sweep()

    def allowed(self, cached: str, login: str | None) -> bool | None:
        """None: not an export; else whether `login` may fetch this export's cached copy."""
        key = Path(cached).parent.name
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return None
        with self._lock:
            self._served[key] = Path(cached)
        if self._now() - entry.made > self.max_age_s:
            self._remove(key, Path(cached))
            return False
        return entry.owner is None or entry.owner == login

    def downloaded(self, cached: str) -> None:
        self._remove(Path(cached).parent.name, Path(cached))

    def sweep(self) -> int:
        """Remove every export older than max_age_s (and its cached copy when it was seen)."""
        with self._lock:
            old = [k for k, e in self._entries.items() if self._now() - e.made > self.max_age_s]
        for k in old:
            self._remove(k, None)
        return len(old)

    def _remove(self, key: str, cached: Path | None) -> None:
        with self._lock:
            entry = self._entries.pop(key, None)
            cached = cached or self._served.pop(key, None)
        if entry is not None:
            shutil.rmtree(entry.folder, ignore_errors=True)
        if cached is not None and cached.parent.name == key:
            shutil.rmtree(cached.parent, ignore_errors=True)

    def pending(self) -> int:
        with self._lock:
            return len(self._entries)


class ExportGuard:
    """ASGI middleware: an export file goes only to its maker, once; everything else passes."""

    def __init__(self, app: Callable[..., Any], exports: ExportFiles, auth: Any) -> None:
        self.app, self.exports, self.auth = app, exports, auth

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(FILE_ROUTE):
            await self.app(scope, receive, send)
            return
        cached = unquote(path[len(FILE_ROUTE):])
        p = self.auth.principal(Request(scope))
        verdict = self.exports.allowed(cached, p.login if p else None)
        if verdict is None:
            await self.app(scope, receive, send)
            return
        if not verdict:
            await JSONResponse({"error": "this export belongs to another supervisor, or has expired"},
                               status_code=403)(scope, receive, send)
            return
        status = 0

        async def watch(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watch)
        if status == 200 and scope.get("method") == "GET":
            self.exports.downloaded(cached)
