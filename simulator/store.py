"""The session store: trainees, sessions, turns, score cards and supervisor overrides.

SQLite by default (./data/simulator.db, or SIMULATOR_DATABASE_URL), PostgreSQL by URL.
Every write is its own committed transaction before the call returns, so a session survives a
killed process with every turn the trainee has seen. On SQLite each write opens with
BEGIN IMMEDIATE: taking the write lock up front lets the busy timeout queue writers instead of
failing with "database is locked" when a reader tries to upgrade to a writer mid-transaction.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (Engine, Text, cast, create_engine, event, func, insert, inspect, select, text,
                        update)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession

from simulator.models import CustomerState, ScoreCard, Turn
from simulator.store_schema import (Base, Override, OverrideRow, ScoreCardRow, SessionFilter,
                                    SessionRow, SessionSummary, StoredSession, StoreError, TraineeRow,
                                    TurnRow, conditions)

__all__ = ["Store", "StoreError", "SessionNotFound", "SessionFilter", "SessionSummary",
           "StoredSession", "Override", "default_url", "mask_url"]

DEFAULT_PATH = Path("data") / "simulator.db"
BUSY_TIMEOUT_MS = 30_000
_TURN_FIELDS = {"role", "text", "at", "source"}
_PASSWORD_RE = re.compile(r"(://[^:/@]*:)[^/]*@")  # greedy: passwords may hold @


class SessionNotFound(StoreError):
    pass


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, safe for error messages and logs."""
    return _PASSWORD_RE.sub(r"\1***@", url)


def default_url() -> str:
    env = os.environ.get("SIMULATOR_DATABASE_URL", "").strip()
    return env or f"sqlite:///{DEFAULT_PATH.resolve()}"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _name(value: str, what: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StoreError(f"{what} must be a non-empty text, got {value!r}")
    value = value.strip()
    if len(value) > max_len:
        raise StoreError(f"{what} is {len(value)} characters long; at most {max_len} allowed: {value[:40]!r}...")
    if any(ord(c) < 32 for c in value):
        raise StoreError(f"{what} contains control characters (newline, tab...): {value!r}")
    return value


class Store:
    """Open (and create on first use) the store at `url`; `now` is injectable for reproducible tests."""

    def __init__(self, url: str | None = None, *, now: Callable[[], datetime] | None = None) -> None:
        self.url = url or default_url()
        self.safe_url = mask_url(self.url)
        self._now = now or _utcnow
        self._engine = self._make_engine()
        self._sqlite = self._engine.dialect.name == "sqlite"
        try:
            with self._write() as conn:
                if not self._sqlite:
                    # Two processes starting at once must not both CREATE TABLE.
                    conn.execute(text("SELECT pg_advisory_xact_lock(74110501)"))
                Base.metadata.create_all(conn)
                _upgrade(conn)
        except SQLAlchemyError as e:
            self._engine.dispose()
            raise StoreError(f"cannot open the session store at {self.safe_url}: {_cause(e)}") from e

    # --------------------------------------------------------------------- engine

    def _make_engine(self) -> Engine:
        try:
            u = make_url(self.url)
        except ArgumentError as e:
            raise StoreError(f"bad database URL {self.safe_url!r}: {e}; expected e.g. "
                             "sqlite:///data/simulator.db or postgresql+psycopg://user@host/db") from e
        backend = u.get_backend_name()
        if backend == "postgresql":
            if u.drivername == "postgresql":  # plain postgresql:// would pick psycopg2, not installed
                u = u.set(drivername="postgresql+psycopg")
            try:
                return create_engine(u, pool_pre_ping=True, connect_args={"connect_timeout": 10})
            except (NoSuchModuleError, ImportError) as e:
                raise StoreError(f"bad database URL {self.safe_url!r}: {e}") from e
        if backend != "sqlite":
            raise StoreError(f"unsupported database {backend!r} in {self.safe_url!r}; "
                             "use sqlite:/// or postgresql+psycopg://")
        if u.database and u.database != ":memory:" and not u.database.startswith("file:"):
            path = Path(u.database)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(f"cannot create the folder for the session store {self.safe_url}: {e}") from e
        engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is on disk before add_turn returns, even across a power cut.
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        eng = self._engine.execution_options(sqlite_begin="IMMEDIATE") if self._sqlite else self._engine
        with eng.begin() as conn:
            yield conn

    @contextmanager
    def _orm_write(self) -> Iterator[OrmSession]:
        try:
            with self._write() as conn, OrmSession(bind=conn) as s:
                yield s
                s.flush()
        except SQLAlchemyError as e:
            raise StoreError(f"session store {self.safe_url}: {_cause(e)}") from e

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as e:
            raise StoreError(f"session store {self.safe_url}: {_cause(e)}") from e

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------------------------- writing

    def start_session(self, trainee: str, scenario_id: str, backend: str, state: CustomerState, *,
                      language: str | None = None, session_id: str | None = None) -> str:
        """Record a new session and return its id (a UUID). Language defaults from the id suffix."""
        trainee = _name(trainee, "trainee name", 100)
        scenario_id = _name(scenario_id, "scenario id", 64)
        backend = _name(backend, "backend", 32)
        if language is None:
            language = "en" if scenario_id.endswith("-en") else "ja"
        if language not in ("ja", "en"):
            raise StoreError(f"language must be 'ja' or 'en', got {language!r}")
        if session_id is None:
            session_id = str(uuid.uuid4())
        else:
            try:
                session_id = str(uuid.UUID(session_id))
            except (ValueError, AttributeError, TypeError) as e:
                raise StoreError(f"session id must be a UUID, got {session_id!r}") from e
        now = self._now()
        with self._orm_write() as s:
            s.execute(_insert_ignore(self._engine, TraineeRow, {"name": trainee, "created_at": now}))
            s.add(SessionRow(id=session_id, trainee=trainee, scenario=scenario_id, backend=backend,
                             language=language, started_at=now, ended_at=None, next_turn=0,
                             state=state.model_dump(mode="json")))
        return session_id

    def _locked(self, s: OrmSession, session_id: str) -> SessionRow:
        # FOR UPDATE serialises appends to one session on PostgreSQL (SQLite's IMMEDIATE already does).
        row = s.scalars(select(SessionRow).where(SessionRow.id == str(session_id)).with_for_update()).first()
        if row is None:
            raise SessionNotFound(f"no session {session_id!r} in the session store at {self.safe_url}")
        return row

    def add_turn(self, session_id: str, turn: Turn, state: CustomerState, expect_index: int | None = None) -> int:
        """Append a turn and save the state in one transaction, committed on return; gives the turn's index.
        With `expect_index`, refuse (StoreError) unless the turn gets that index: a writer whose view
        is stale (the session went on in another tab or replica) must not fork it."""
        st, tt = SessionRow.__table__, TurnRow.__table__
        dumped = turn.model_dump(mode="json")
        extra = {k: v for k, v in dumped.items() if k not in _TURN_FIELDS} or None
        try:
            with self._write() as conn:
                # One UPDATE both locks the session row (serialising appends on PostgreSQL too) and
                # hands out the index, so two writers can never pick the same one.
                index = conn.execute(
                    update(st).where(st.c.id == str(session_id), st.c.ended_at.is_(None),
                                     *([st.c.next_turn == expect_index] if expect_index is not None else []))
                    .values(next_turn=st.c.next_turn + 1, state=state.model_dump(mode="json"))
                    .returning(st.c.next_turn)).scalar()
                if index is None:
                    ended = conn.execute(select(st.c.ended_at).where(st.c.id == str(session_id))).first()
                    if ended is None:
                        raise SessionNotFound(f"no session {session_id!r} in the session store at {self.safe_url}")
                    if ended[0] is None:
                        raise StoreError(f"session {session_id} went on elsewhere (turn {expect_index} is taken); reload it")
                    raise StoreError(f"session {session_id} has already ended; start a new session to go on")
                conn.execute(insert(tt).values(session_id=str(session_id), index=index - 1, role=turn.role,
                                               text=turn.text, at=turn.at, source=turn.source, extra=extra,
                                               created_at=self._now()))
        except SQLAlchemyError as e:
            raise StoreError(f"session store {self.safe_url}: {_cause(e)}") from e
        return index - 1

    def end_session(self, session_id: str, state: CustomerState) -> None:
        """Mark the session over (the first end time counts) and save the final state."""
        with self._orm_write() as s:
            row = self._locked(s, session_id)
            row.state = state.model_dump(mode="json")
            if row.ended_at is None:
                row.ended_at = self._now()

    def save_score(self, session_id: str, card: ScoreCard) -> int:
        """Store a score card; the newest one is the session's card. Returns its row id."""
        with self._orm_write() as s:
            row = self._locked(s, session_id)
            c = ScoreCardRow(session_id=row.id, judge=card.judge, rubric=card.rubric,
                             card=card.model_dump(mode="json"), total=card.total, created_at=self._now())
            s.add(c)
            s.flush()
            return c.id

    def add_override(self, session_id: str, criterion: str, score: int, comment: str,
                     supervisor: str) -> Override:
        """A supervisor's level for one criterion; the criterion must be on the session's score card."""
        supervisor = _name(supervisor, "supervisor name", 100)
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 4:
            raise StoreError(f"override score for {criterion!r} must be a whole number 0-4, got {score!r}")
        with self._orm_write() as s:
            row = self._locked(s, session_id)
            card = s.scalars(select(ScoreCardRow.card).where(ScoreCardRow.session_id == row.id)
                             .order_by(ScoreCardRow.id.desc()).limit(1)).first()
            if card is None:
                raise StoreError(f"session {session_id} has no score card yet; score it before overriding")
            known = [c["id"] for c in card["criteria"]]
            if criterion not in known:
                raise StoreError(f"criterion {criterion!r} is not on the score card of session "
                                 f"{session_id}; known: {', '.join(known)}")
            o = OverrideRow(session_id=row.id, criterion=criterion, score=score, comment=comment or "",
                            supervisor=supervisor, created_at=self._now())
            s.add(o)
        return Override(criterion=criterion, score=score, comment=comment or "", supervisor=supervisor,
                        created_at=o.created_at)

    def import_sessions(self, sessions: list[StoredSession]) -> int:
        """Insert whole sessions (e.g. a JSON export, or SQLite -> PostgreSQL) in one transaction.
        Ids must be new; the latest score card and all overrides come along."""
        rows_s, rows_t, rows_c, rows_o = [], [], [], []
        for x in sessions:
            rows_s.append({"id": x.id, "trainee": _name(x.trainee, "trainee name", 100), "scenario": x.scenario,
                           "backend": x.backend, "language": x.language, "started_at": x.started_at,
                           "ended_at": x.ended_at, "state": x.state.model_dump(mode="json"),
                           "next_turn": len(x.turns)})
            for i, t in enumerate(x.turns):
                d = t.model_dump(mode="json")
                rows_t.append({"session_id": x.id, "index": i, "role": t.role, "text": t.text, "at": t.at,
                               "source": t.source, "created_at": x.started_at,
                               "extra": {k: v for k, v in d.items() if k not in _TURN_FIELDS} or None})
            if x.card:
                rows_c.append({"session_id": x.id, "judge": x.card.judge, "rubric": x.card.rubric,
                               "card": x.card.model_dump(mode="json"), "total": x.card.total,
                               "created_at": x.card_at or x.ended_at or x.started_at})
            rows_o += [{"session_id": x.id, **o.model_dump()} for o in x.overrides]
        names = sorted({r["trainee"] for r in rows_s})
        try:
            with self._write() as conn:
                for n in names:
                    conn.execute(_insert_ignore(self._engine, TraineeRow, {"name": n, "created_at": self._now()}))
                for model, rows in ((SessionRow, rows_s), (TurnRow, rows_t), (ScoreCardRow, rows_c),
                                    (OverrideRow, rows_o)):
                    if rows:
                        conn.execute(insert(model.__table__), rows)
        except SQLAlchemyError as e:
            raise StoreError(f"import into {self.safe_url} failed, nothing was imported: {_cause(e)}") from e
        return len(rows_s)

    # -------------------------------------------------------------------- reading

    def get_session(self, session_id: str) -> StoredSession:
        found = self.sessions(SessionFilter(session=str(session_id)))
        if not found:
            raise SessionNotFound(f"no session {session_id!r} in the session store at {self.safe_url}")
        return found[0]

    def sessions(self, flt: SessionFilter | None = None, *, turns: bool = True) -> list[StoredSession]:
        """Whole sessions matching `flt`, oldest first, in a handful of set queries (exports use this)."""
        conds = conditions(flt or SessionFilter())
        st, tt, ct, ot = (SessionRow.__table__, TurnRow.__table__, ScoreCardRow.__table__,
                          OverrideRow.__table__)
        ids = select(st.c.id).where(*conds)
        # JSON columns come back as text and pydantic parses them in one step: about twice as
        # fast as json.loads + validate, which matters for exports of thousands of sessions.
        cols = [c for c in st.c if c.name != "state"] + [cast(st.c.state, Text).label("state_json")]
        with self._read() as conn:
            srows = conn.execute(select(*cols).where(*conds).order_by(st.c.started_at, st.c.id)).all()
            cards: dict[str, Any] = {}
            for r in conn.execute(select(ct.c.session_id, cast(ct.c.card, Text).label("card_json"), ct.c.created_at)
                                  .where(ct.c.session_id.in_(ids)).order_by(ct.c.id)):
                cards[r.session_id] = r  # later rows replace earlier: the newest card wins
            overrides: dict[str, list[Override]] = {}
            for r in conn.execute(select(ot).where(ot.c.session_id.in_(ids)).order_by(ot.c.id)):
                overrides.setdefault(r.session_id, []).append(Override(
                    criterion=r.criterion, score=r.score, comment=r.comment, supervisor=r.supervisor,
                    created_at=r.created_at))
            tmap: dict[str, list[Turn]] = {}
            if turns:
                for r in conn.execute(select(tt).where(tt.c.session_id.in_(ids))
                                      .order_by(tt.c.session_id, tt.c.index)):
                    tmap.setdefault(r.session_id, []).append(Turn(
                        role=r.role, text=r.text, at=r.at, source=r.source, **(r.extra or {})))
        out = []
        for r in srows:
            c = cards.get(r.id)
            out.append(StoredSession(
                id=r.id, trainee=r.trainee, scenario=r.scenario, backend=r.backend, language=r.language,
                started_at=r.started_at, ended_at=r.ended_at,
                state=CustomerState.model_validate_json(r.state_json), turn_count=r.next_turn,
                turns=tmap.get(r.id, []), card=ScoreCard.model_validate_json(c.card_json) if c else None,
                card_at=c.created_at if c else None, overrides=overrides.get(r.id, [])))
        return out

    def list_sessions(self, trainee: str | None = None, scenario: str | None = None,
                      since: Any = None, until: Any = None, *, open_only: bool = False,
                      limit: int | None = 100, offset: int = 0) -> list[SessionSummary]:
        """Session summaries, newest first. since/until: dates (UTC days, inclusive) or datetimes."""
        try:
            flt = SessionFilter(trainee=trainee, scenario=scenario, since=since, until=until)
        except ValidationError as e:
            bad = "; ".join(f"{'.'.join(map(str, x['loc']))}={x['input']!r}: {x['msg']}" for x in e.errors())
            raise StoreError(f"bad session filter: {bad} (dates are YYYY-MM-DD)") from None
        conds = conditions(flt)
        st = SessionRow.__table__
        if open_only:
            conds.append(st.c.ended_at.is_(None))
        latest = (select(func.max(ScoreCardRow.__table__.c.id))
                  .where(ScoreCardRow.__table__.c.session_id == st.c.id).correlate(st).scalar_subquery())
        ct = ScoreCardRow.__table__
        q = (select(st.c.id, st.c.trainee, st.c.scenario, st.c.backend, st.c.language, st.c.started_at,
                    st.c.ended_at, st.c.next_turn.label("turns"), ct.c.total, ct.c.judge)
             .select_from(st.outerjoin(ct, ct.c.id == latest))
             .where(*conds).order_by(st.c.started_at.desc(), st.c.id.desc()).offset(offset))
        if limit is not None:
            q = q.limit(limit)
        with self._read() as conn:
            return [SessionSummary(**r._mapping) for r in conn.execute(q)]

    def open_sessions(self, trainee: str) -> list[SessionSummary]:
        """Unfinished sessions of a trainee, newest first: what the resume picker offers."""
        return self.list_sessions(trainee=trainee, open_only=True, limit=None)

    def trainees(self) -> list[str]:
        with self._read() as conn:
            return list(conn.scalars(select(TraineeRow.name).order_by(TraineeRow.name)))


def _upgrade(conn: Connection) -> None:
    """Bring a store made by an earlier version up to date (create_all adds tables, not columns)."""
    cols = {c["name"] for c in inspect(conn).get_columns("sessions")}
    if "next_turn" not in cols:  # turn numbering moved into the sessions row
        conn.execute(text("ALTER TABLE sessions ADD COLUMN next_turn INTEGER NOT NULL DEFAULT 0"))
        conn.execute(text("UPDATE sessions SET next_turn = (SELECT COUNT(*) FROM turns "
                          "WHERE turns.session_id = sessions.id)"))


def _insert_ignore(engine: Engine, model: type[Base], values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the engine's dialect (two writers may add one trainee)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model).values(**values).on_conflict_do_nothing()


def _cause(e: SQLAlchemyError) -> str:
    orig = getattr(e, "orig", None)
    return mask_url(str(orig if orig is not None else e).strip().splitlines()[0])

