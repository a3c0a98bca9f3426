"""Who is signed in: the bootstrap supervisor from the environment, accounts in the store, the
signed session cookie, and the supervisor tab's server-side tokens.

Sign-in sets a signed (itsdangerous), HttpOnly cookie carrying the login, the role and a
fingerprint of the password hash; it expires after SESSION_TTL_SECONDS, and a changed password
ends every older sign-in. Every Gradio handler that needs an identity reads it from the request
(`principal(request)`), never from a typed name. The supervisor tab keeps its token in the
browser's server-side gr.State: a login (form, or the cookie on page load) issues the token
and every supervisor handler calls `require()` first.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import BaseModel

from simulator.web.limits import SignInLimiter, TooManyAttempts

TOKEN_TTL_SECONDS = 8 * 3600
SESSION_TTL_SECONDS = 8 * 3600
COOKIE = "sim_session"
__all__ = ["Auth", "ConfigError", "NotAuthorised", "Principal", "SupervisorCredentials", "TooManyAttempts",
           "COOKIE"]


class ConfigError(ValueError):
    """A server setting that must be fixed before starting (message says which and how)."""


class SupervisorCredentials(BaseModel):
    user: str
    password: str

    @classmethod
    def from_env(cls) -> "SupervisorCredentials | None":
        """None (no bootstrap supervisor) unless both variables are set; a blank or short password
        is refused with ConfigError rather than guarded by it."""
        from simulator.accounts import MIN_PASSWORD
        user = os.environ.get("SIMULATOR_SUPERVISOR_USER", "").strip()
        password = os.environ.get("SIMULATOR_SUPERVISOR_PASSWORD", "")
        if not user and not password:
            return None
        if not user:
            raise ConfigError("SIMULATOR_SUPERVISOR_PASSWORD is set but SIMULATOR_SUPERVISOR_USER is blank")
        if not password.strip():
            raise ConfigError("SIMULATOR_SUPERVISOR_PASSWORD is blank; set a password of at least "
                              f"{MIN_PASSWORD} characters for {user!r}")
        if len(password) < MIN_PASSWORD:
            raise ConfigError(f"SIMULATOR_SUPERVISOR_PASSWORD is {len(password)} characters long; use at least "
                              f"{MIN_PASSWORD} (a passphrase of several words is easiest)")
        return cls(user=user, password=password)


class NotAuthorised(Exception):
    """Raised by `require` when a supervisor-only handler is called without a live login."""


@dataclass(frozen=True)
class Principal:
    login: str
    name: str
    role: Literal["trainee", "supervisor"]
    fingerprint: str
    must_change: bool = False


class Auth:
    """Sign-in for the whole app. `accounts` (simulator.accounts.Accounts) is None in the
    personal-practice mode; `require_signin` is True whenever the page must not be used
    anonymously (accounts exist, or the server listens beyond loopback)."""

    def __init__(self, credentials: SupervisorCredentials | None, accounts: Any = None, *,
                 secret: str | None = None, require_signin: bool = False,
                 limiter: SignInLimiter | None = None, oidc: Any = None) -> None:
        self.credentials = credentials
        self.accounts = accounts
        self.oidc = oidc  # simulator.web.oidc.OIDCSettings when single sign-on is configured
        self.require_signin = require_signin
        self.limiter = limiter or SignInLimiter()
        self._secret = secret or secrets.token_urlsafe(48)
        self._signer = URLSafeTimedSerializer(self._secret, salt="sim-session")
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether anyone can be a supervisor here (bootstrap supervisor, or accounts to sign in with)."""
        return self.credentials is not None or (self.accounts is not None and self.require_signin)

    @property
    def secret(self) -> str:
        return self._secret

    @staticmethod
    def principal_of(acc: Any) -> Principal:
        """The principal of an accounts.Account."""
        return Principal(login=acc.login, name=acc.name, role=acc.role, fingerprint=acc.fingerprint,
                         must_change=acc.must_change)

    # --------------------------------------------------------------- passwords

    def _admin_fingerprint(self) -> str:
        assert self.credentials is not None
        return hmac.new(self._secret.encode(), self.credentials.password.encode(), hashlib.sha256).hexdigest()[:16]

    def authenticate(self, login: str, password: str, address: str) -> Principal | None:
        """The principal for a correct login and password, else None; TooManyAttempts (without
        looking at the password) after too many recent failures for the account or address."""
        login = (login or "").strip()
        self.limiter.check(login, address)
        found: Principal | None = None
        if self.credentials is not None and hmac.compare_digest(login.encode(), self.credentials.user.encode()):
            if hmac.compare_digest((password or "").encode(), self.credentials.password.encode()):
                found = Principal(login=login, name=login, role="supervisor", fingerprint=self._admin_fingerprint())
        elif self.accounts is not None:
            acc = self.accounts.verify(login, password or "")
            if acc is not None:
                found = self.principal_of(acc)
        if found is None:
            self.limiter.failed(login, address)
        else:
            self.limiter.succeeded(login, address)
        return found

    # ------------------------------------------------------------------ cookie

    def cookie_value(self, p: Principal) -> str:
        return self._signer.dumps({"u": p.login, "f": p.fingerprint})

    def from_cookie(self, value: str | None) -> Principal | None:
        """The principal a cookie names, if its signature, age and password fingerprint hold."""
        if not value:
            return None
        try:
            data = self._signer.loads(value, max_age=SESSION_TTL_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        login, fp = str(data.get("u", "")), str(data.get("f", ""))
        if self.credentials is not None and login == self.credentials.user:
            p = Principal(login=login, name=login, role="supervisor", fingerprint=self._admin_fingerprint())
        elif self.accounts is not None and (acc := self.accounts.get(login)) is not None and \
                (acc.has_password or acc.sso):
            p = self.principal_of(acc)
        else:
            return None
        if not hmac.compare_digest(fp, p.fingerprint) or p.must_change:
            return None
        return p

    def principal(self, request: Any) -> Principal | None:
        """The signed-in principal of a Starlette or Gradio request (None when anonymous)."""
        if request is None:
            return None
        cookies = getattr(request, "cookies", None) or {}
        return self.from_cookie(cookies.get(COOKIE))

    # ------------------------------------------------------------- tab tokens

    def login(self, user: str, password: str, address: str = "?") -> str | None:
        """A fresh supervisor-tab token, or None (wrong password, or not a supervisor)."""
        p = self.authenticate(user, password, address)
        if p is None or p.role != "supervisor" or p.must_change:
            return None
        return self.token_for(p)

    def token_for(self, p: Principal) -> str:
        if p.role != "supervisor":
            raise NotAuthorised(f"{p.login} is not a supervisor")
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            # Expired tokens are dropped as new ones are made, so the table stays small.
            for k in [k for k, (_, exp) in self._tokens.items() if exp < now]:
                del self._tokens[k]
            self._tokens[token] = (p.login, now + TOKEN_TTL_SECONDS)
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
