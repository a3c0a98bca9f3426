"""Accounts: trainees and supervisors with argon2id password hashes, kept in the session store.

An account's login id is the name its sessions are filed under (`sessions.trainee`), so the
dashboard, exports and reports name trainees by their account. Names typed before accounts
existed are accounts without a password: their sessions stay attached, and a supervisor's
`issue_password` lets the person sign in. Initial and reset passwords are random, shown once,
and must be changed at the first sign-in.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pwdlib import PasswordHash
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session as OrmSession

from simulator.store import Store, StoreError
from simulator.store_schema import SettingRow, SignInFailureRow, TraineeRow, insert_ignore

Role = Literal["trainee", "supervisor"]
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
MAX_IMPORT_ROWS = 2000
_hasher = PasswordHash.recommended()  # argon2id, the library's maintained defaults
# Verified when the login is unknown, so a wrong login takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(StoreError):
    """A bad account input, with what is wrong and where (CSV line and column)."""


@dataclass(frozen=True)
class Account:
    login: str
    name: str
    cohort: str
    role: Role
    has_password: bool
    must_change: bool
    sso: bool         # signs in through the organisation's identity provider
    fingerprint: str  # changes with the password: signed cookies carry it, so a new password ends old sign-ins


@dataclass(frozen=True)
class Issued:
    """An account with the one-time password to hand over (never stored in clear)."""

    login: str
    name: str
    cohort: str
    password: str


def check_password(password: str, what: str = "password") -> str:
    """The password, or AccountError: blank, under MIN_PASSWORD characters, or absurdly long."""
    if not isinstance(password, str) or not password.strip():
        raise AccountError(f"{what} is blank")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"{what} is {len(password)} characters long; at least {MIN_PASSWORD} are required")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"{what} is longer than {MAX_PASSWORD} characters")
    return password


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _account(r: TraineeRow) -> Account:
    return Account(login=r.name, name=r.display_name or r.name, cohort=r.cohort or "",
                   role="supervisor" if r.role == "supervisor" else "trainee", has_password=bool(r.password_hash),
                   must_change=bool(r.must_change), sso=bool(r.sso_issuer),
                   fingerprint=_fingerprint(r.password_hash))


def _check_login(login: str, where: str = "login id") -> str:
    login = (login or "").strip()
    if not LOGIN_RE.match(login):
        raise AccountError(f"{where} {login!r} must be 2-64 characters of a-z, 0-9, '.', '_', '@' or '-', "
                           "starting with a letter or digit")
    return login


def _check_text(value: str, where: str, max_len: int) -> str:
    value = (value or "").strip()
    if len(value) > max_len or any(ord(c) < 32 for c in value):
        raise AccountError(f"{where} must be one line of at most {max_len} characters, got {value[:40]!r}")
    return value


def _claim(s: OrmSession, login: str, *, sso: bool) -> TraineeRow:
    """The row to make an account of, locked: new, or a typed name without a password (its
    sessions come along). A password account is never taken over, nor an SSO one by a password."""
    row = s.get(TraineeRow, login, with_for_update=True)
    if row is not None and row.password_hash:
        raise AccountError(f"login id {login!r} belongs to a password account here; ask a supervisor" if sso
                           else f"account {login!r} already exists; reset its password instead")
    if row is not None and row.sso_issuer and not sso:
        raise AccountError(f"account {login!r} signs in through single sign-on ({row.sso_issuer})")
    if row is None:
        row = TraineeRow(name=login, created_at=datetime.now(timezone.utc))
        s.add(row)
    return row


class Accounts:
    """Account operations on a Store (same database, same transactions and error messages)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ reading

    @contextmanager
    def _reading(self) -> Iterator[OrmSession]:
        with self.store._read() as conn, OrmSession(bind=conn) as s:
            yield s

    def get(self, login: str) -> Account | None:
        with self._reading() as s:
            row = s.get(TraineeRow, (login or "").strip())
            return _account(row) if row is not None else None

    def all(self) -> list[Account]:
        with self._reading() as s:
            return [_account(r) for r in s.scalars(select(TraineeRow).order_by(TraineeRow.name))]

    def any_with_password(self) -> bool:
        with self.store._read() as conn:
            return conn.execute(select(TraineeRow.name).where(TraineeRow.password_hash.is_not(None)).limit(1)).first() \
                is not None

    def verify(self, login: str, password: str) -> Account | None:
        """The account when the password matches; the same work is done when the login is unknown."""
        with self._reading() as s:
            row = s.get(TraineeRow, (login or "").strip())
            stored = row.password_hash if row is not None and row.password_hash else None
            ok = _hasher.verify(password or "", stored or _DUMMY_HASH)
            return _account(row) if ok and row is not None and stored else None

    # ------------------------------------------------------------------ writing

    def create(self, login: str, name: str = "", cohort: str = "", role: Role = "trainee") -> Issued:
        """A new account with a random initial password (must be changed at first sign-in).
        A login that exists only as a typed name (no password) is taken over with its sessions."""
        login = _check_login(login)
        name = _check_text(name, f"name of {login}", 100) or login
        cohort = _check_text(cohort, f"group of {login}", 64)
        password = secrets.token_urlsafe(12)
        with self.store._orm_write() as s:
            row = _claim(s, login, sso=False)
            row.display_name, row.cohort, row.role = name, cohort, role
            row.password_hash, row.must_change = _hasher.hash(password), True
        return Issued(login=login, name=name, cohort=cohort, password=password)

    def issue_password(self, login: str) -> Issued:
        """A fresh one-time password for an existing account (forgotten password, or a name
        carried over from before accounts); every sign-in with the old one ends."""
        password = secrets.token_urlsafe(12)
        with self.store._orm_write() as s:
            row = s.get(TraineeRow, (login or "").strip(), with_for_update=True)
            if row is None:
                raise AccountError(f"no account {login!r}")
            row.password_hash, row.must_change = _hasher.hash(password), True
            return Issued(login=row.name, name=row.display_name or row.name, cohort=row.cohort or "",
                          password=password)

    def change_password(self, login: str, current: str, new: str) -> Account:
        account = self.verify(login, current)
        if account is None:
            raise AccountError("the current password is wrong")
        check_password(new, "the new password")
        if new == current:
            raise AccountError("the new password must differ from the current one")
        with self.store._orm_write() as s:
            s.execute(update(TraineeRow).where(TraineeRow.name == account.login)
                      .values(password_hash=_hasher.hash(new), must_change=False))
        found = self.get(account.login)
        assert found is not None
        return found

    def sso_account(self, login: str, name: str, role: Role, issuer: str) -> Account:
        """The account a single sign-on names, made or updated (the provider decides name and
        role); a login that belongs to a password account is refused, never taken over."""
        login = _check_text(login, "login id from the identity provider", 100)
        if not login:
            raise AccountError("the identity provider sent an empty login id")
        with self.store._orm_write() as s:
            row = _claim(s, login, sso=True)
            row.display_name, row.role, row.sso_issuer = _check_text(name, "name", 100) or login, role, issuer
            s.flush()
            return _account(row)

    def import_csv(self, text: str) -> list[Issued]:
        """A cohort from CSV with a header naming `name`, `login` (or `login id`) and `group`
        columns. Every row is checked before any account is made; problems name the line."""
        rows = list(csv.reader(io.StringIO((text or "").lstrip("\ufeff"))))
        if not rows:
            raise AccountError("the CSV is empty; expected a header line: name,login,group")
        header = [h.strip().lower().replace(" ", "_") for h in rows[0]]
        col = {k: header.index(k) for k in ("name", "login", "login_id", "group") if k in header}
        if "login_id" in col:
            col["login"] = col["login_id"]
        missing = [k for k in ("name", "login", "group") if k not in col]
        if missing:
            raise AccountError(f"CSV line 1: header {rows[0]} lacks {', '.join(missing)}; expected name,login,group")
        if len(rows) - 1 > MAX_IMPORT_ROWS:
            raise AccountError(f"the CSV has {len(rows) - 1} rows; import at most {MAX_IMPORT_ROWS} at a time")
        wanted: list[tuple[str, str, str]] = []
        problems: list[str] = []
        seen: dict[str, int] = {}
        for n, r in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in r):
                continue
            cells = [(r[col[k]] if col[k] < len(r) else "") for k in ("name", "login", "group")]
            try:
                login = _check_login(cells[1], f"CSV line {n} column {col['login'] + 1}: login id")
                name = _check_text(cells[0], f"CSV line {n} column {col['name'] + 1}: name", 100)
                cohort = _check_text(cells[2], f"CSV line {n} column {col['group'] + 1}: group", 64)
            except AccountError as e:
                problems.append(str(e))
                continue
            if login in seen:
                problems.append(f"CSV line {n}: login id {login!r} already on line {seen[login]}")
                continue
            existing = self.get(login)
            if existing is not None and existing.has_password:
                problems.append(f"CSV line {n}: account {login!r} already exists")
                continue
            seen[login] = n
            wanted.append((login, name, cohort))
        if problems:
            raise AccountError("nothing was imported:\n" + "\n".join(problems))
        return [self.create(login, name, cohort) for login, name, cohort in wanted]


def secret_key(store: Store) -> str:
    """The cookie-signing key: SIMULATOR_SECRET_KEY, else one made on first start and kept in
    the database, so every replica on it signs and checks alike and restarts keep sign-ins."""
    env = os.environ.get("SIMULATOR_SECRET_KEY", "").strip()
    if env:
        if len(env) < 32:
            raise AccountError("SIMULATOR_SECRET_KEY must be at least 32 characters")
        return env
    with store._write() as conn:
        conn.execute(insert_ignore(store._engine, SettingRow, {"key": "cookie_key", "value": secrets.token_urlsafe(48)}))
        return conn.execute(select(SettingRow.value).where(SettingRow.key == "cookie_key")).scalar_one()


class StoreWindow:
    """limits.Window's interface (wait, hit, clear) with the events in the database, so a
    lock-out holds on every replica that shares it; rows older than the window are pruned."""

    def __init__(self, store: Store, limit: int, seconds: float) -> None:
        self.store, self.limit, self.seconds = store, limit, seconds

    def wait(self, *keys: str) -> float:
        now = datetime.now(timezone.utc)
        ft = SignInFailureRow.__table__
        with self.store._read() as conn:
            rows = conn.execute(select(func.count(), func.min(ft.c.at)).where(
                ft.c.key.in_(keys), ft.c.at > now - timedelta(seconds=self.seconds)).group_by(ft.c.key)).all()
        # min() keeps the column's type, so `first` comes back timezone-aware on both databases
        waits = [(first + timedelta(seconds=self.seconds) - now).total_seconds() for n, first in rows if n >= self.limit]
        return max(waits, default=0.0)

    def hit(self, *keys: str) -> None:
        now = datetime.now(timezone.utc)
        ft = SignInFailureRow.__table__
        with self.store._write() as conn:
            conn.execute(delete(ft).where(ft.c.at <= now - timedelta(seconds=self.seconds)))
            conn.execute(insert(ft), [{"key": k, "at": now} for k in keys])

    def clear(self, key: str) -> None:
        with self.store._write() as conn:
            conn.execute(delete(SignInFailureRow.__table__).where(SignInFailureRow.__table__.c.key == key))


def shared_limiter(store: Store) -> Any:
    """The sign-in limiter with its counts in the database (every replica sees every failure)."""
    from simulator.web.limits import SIGNIN_FAILURES, SIGNIN_WINDOW_S, SignInLimiter
    return SignInLimiter(window=StoreWindow(store, SIGNIN_FAILURES, SIGNIN_WINDOW_S))
