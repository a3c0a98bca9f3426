"""Supervisor login for the supervisor tab (the trainee tab needs none).

Gradio's launch(auth=...) would lock the whole app, trainees included, so the supervisor tab
has its own login. A successful login issues a random token kept here, server-side; the
browser's per-session gr.State holds only the token. Every supervisor handler calls
`require()` first, so the API endpoints behind the tab refuse callers without a live token
(gradio_client users included), not just the hidden UI.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time

from pydantic import BaseModel

TOKEN_TTL_SECONDS = 8 * 3600


class SupervisorCredentials(BaseModel):
    user: str
    password: str

    @classmethod
    def from_env(cls) -> "SupervisorCredentials | None":
        """None (supervisor page disabled) unless both variables are set and non-empty."""
        user = os.environ.get("SIMULATOR_SUPERVISOR_USER", "").strip()
        password = os.environ.get("SIMULATOR_SUPERVISOR_PASSWORD", "")
        if not user or not password:
            return None
        return cls(user=user, password=password)


class NotAuthorised(Exception):
    """Raised by `require` when a supervisor-only handler is called without a live login."""


class SupervisorAuth:
    def __init__(self, credentials: SupervisorCredentials | None) -> None:
        self.credentials = credentials
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.credentials is not None

    def login(self, user: str, password: str) -> str | None:
        """A fresh token, or None. Both fields are compared in constant time."""
        if self.credentials is None:
            return None
        ok_user = hmac.compare_digest(user.strip().encode(), self.credentials.user.encode())
        ok_pw = hmac.compare_digest(password.encode(), self.credentials.password.encode())
        if not (ok_user and ok_pw):
            return None
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (self.credentials.user, time.monotonic() + TOKEN_TTL_SECONDS)
        return token

    def user_for(self, token: str | None) -> str | None:
        if not token:
            return None
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return None
            user, expires = entry
            if time.monotonic() > expires:
                del self._tokens[token]
                return None
            return user

    def require(self, token: str | None) -> str:
        user = self.user_for(token)
        if user is None:
            raise NotAuthorised("supervisor login required")
        return user

    def logout(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._tokens.pop(token, None)
