"""Tables of the session store (SQLAlchemy 2 declarative) and the typed records that leave it.

The ORM rows never leave simulator.store: callers get the pydantic records below, so the web
app and the exports cannot accidentally lazy-load from a closed database session.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import (JSON, Boolean, DateTime, Engine, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, inspect, text)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.expression import false
from sqlalchemy.types import TypeDecorator

from simulator.models import CustomerState, Language, ScoreCard, Turn


class UTCDateTime(TypeDecorator[datetime]):
    """Always hand back timezone-aware UTC: SQLite drops the zone, PostgreSQL keeps it."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store timestamps must be timezone-aware")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class TraineeRow(Base):
    """An account (trainee or supervisor). `name` is the login id sessions are filed under; a
    row without a password is a name typed in practice mode (or before accounts), kept so its
    sessions stay attached until a supervisor issues it a password."""

    __tablename__ = "trainees"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    display_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    cohort: Mapped[str | None] = mapped_column(String(64), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="trainee", server_default="trainee")
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    must_change: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sso_issuer: Mapped[str | None] = mapped_column(String(255), nullable=True)


class SignInFailureRow(Base):
    """A failed sign-in, keyed by account or client address (shared by every replica)."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SettingRow(Base):
    """Server-wide values every replica must share (the cookie-signing key)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    trainee: Mapped[str] = mapped_column(ForeignKey("trainees.name"), index=True)
    scenario: Mapped[str] = mapped_column(String(64), index=True)
    backend: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Index the next turn gets; bumped by the same UPDATE that locks the row (one round trip).
    next_turn: Mapped[int] = mapped_column(Integer, default=0)


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("session_id", "index", name="uq_turns_session_index"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    index: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[str | None] = mapped_column(String(8), nullable=True)
    source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Turn allows extra fields (contracts.md); keep them so a stored session round-trips.
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ScoreCardRow(Base):
    __tablename__ = "score_cards"
    __table_args__ = (Index("ix_score_cards_session", "session_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    judge: Mapped[str] = mapped_column(String(16))
    rubric: Mapped[str] = mapped_column(String(64))
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OverrideRow(Base):
    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_session", "session_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    criterion: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    supervisor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


# ------------------------------------------------------------------------ typed records


class Override(BaseModel):
    """A supervisor's score for one criterion, replacing the AI's level in coaching views."""

    criterion: str
    score: int = Field(ge=0, le=4)
    comment: str = ""
    supervisor: str
    created_at: datetime


class SessionSummary(BaseModel):
    """One line of a session list (supervisor page, resume picker)."""

    id: str
    trainee: str
    scenario: str
    backend: str
    language: Language
    started_at: datetime
    ended_at: datetime | None = None
    turns: int = 0
    total: float | None = Field(default=None, description="latest score card's total, if scored")
    judge: str | None = None

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


class StoredSession(BaseModel):
    """A whole stored session: transcript, state, latest score card and overrides."""

    id: str
    trainee: str
    scenario: str
    backend: str
    language: Language
    started_at: datetime
    ended_at: datetime | None = None
    state: CustomerState
    turn_count: int = Field(default=0, description="turns stored, also when `turns` was not loaded")
    turns: list[Turn] = Field(default_factory=list)
    card: ScoreCard | None = Field(default=None, description="the latest score card")
    card_at: datetime | None = None
    overrides: list[Override] = Field(default_factory=list, description="oldest first")

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def latest_overrides(self) -> dict[str, Override]:
        """criterion id -> the newest override (a later supervisor decision replaces an earlier one)."""
        return {o.criterion: o for o in self.overrides}

    def override_levels(self) -> dict[str, int]:
        """criterion id -> the level a supervisor set last (what replaces the AI's level)."""
        return {o.criterion: o.score for o in self.overrides}


class StoreError(RuntimeError):
    """A store problem with a message that names the database (password masked) and the cause."""


class FilterError(StoreError):
    """A filter that can match nothing by construction (e.g. since after until)."""


class SessionFilter(BaseModel):
    """Which sessions to list or export. Dates are UTC calendar days, both ends inclusive."""

    model_config = ConfigDict(frozen=True)
    trainee: str | None = None
    scenario: str | None = None
    since: date | None = None
    until: date | None = None
    session: str | None = None

    @field_validator("since", "until", mode="before")
    @classmethod
    def _day(cls, v: object) -> object:
        # A datetime is a date subclass; keep only its day so both ends mean whole days.
        return v.date() if isinstance(v, datetime) else v


def conditions(flt: SessionFilter) -> list[Any]:
    """The WHERE clauses of a filter (dates are whole UTC days)."""
    st = SessionRow.__table__
    conds: list[Any] = []
    if flt.since and flt.until and flt.since > flt.until:
        raise FilterError(f"date range is empty: since {flt.since} is after until {flt.until}")
    if flt.session is not None:
        conds.append(st.c.id == flt.session)
    if flt.trainee is not None:
        conds.append(st.c.trainee == flt.trainee)
    if flt.scenario is not None:
        conds.append(st.c.scenario == flt.scenario)
    if flt.since is not None:
        conds.append(st.c.started_at >= datetime.combine(flt.since, time(), timezone.utc))
    if flt.until is not None:
        conds.append(st.c.started_at < datetime.combine(flt.until + timedelta(days=1), time(), timezone.utc))
    return conds


# ------------------------------------------------------------------------ migrations


def upgrade(conn: Connection) -> None:
    """Bring a store made by an earlier version up to date (create_all adds tables, not columns)."""
    cols = {c["name"] for c in inspect(conn).get_columns("sessions")}
    if "next_turn" not in cols:  # turn numbering moved into the sessions row
        conn.execute(text("ALTER TABLE sessions ADD COLUMN next_turn INTEGER NOT NULL DEFAULT 0"))
        conn.execute(text("UPDATE sessions SET next_turn = (SELECT COUNT(*) FROM turns "
                          "WHERE turns.session_id = sessions.id)"))
    # Accounts: every typed trainee name becomes an account of that name (no password yet), so
    # its sessions stay attached; a supervisor issues the password.
    cols = {c["name"] for c in inspect(conn).get_columns("trainees")}
    for name, ddl in (("display_name", "VARCHAR(100)"), ("cohort", "VARCHAR(64)"),
                      ("role", "VARCHAR(16) NOT NULL DEFAULT 'trainee'"), ("password_hash", "VARCHAR(255)"),
                      ("must_change", "BOOLEAN NOT NULL DEFAULT FALSE"), ("sso_issuer", "VARCHAR(255)")):
        if name not in cols:
            conn.execute(text(f"ALTER TABLE trainees ADD COLUMN {name} {ddl}"))


def insert_ignore(engine: Engine, model: type[Base], values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the engine's dialect (two writers may add one trainee)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model).values(**values).on_conflict_do_nothing()
