"""A trainee's role-play session, without any layout: start, converse, finish, history.

All per-browser data lives in one `TraineeState` (a pydantic model kept in gr.State), handed
into each step and handed back as a new object, so browser sessions never share anything.
Every turn is committed to the store before the step that shows it as final.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from simulator import charts
from simulator.customers.base import CustomerReply
from simulator.models import CustomerState, ScoreCard, Scenario, Transcript, Turn
from simulator.textfile import strip_controls
from simulator.web import render
from simulator.web.i18n import t
from simulator.web.render import MAX_MESSAGE_CHARS, ChatLine
from simulator.web.services import Services, blocking

MAX_NAME_CHARS = 40
MAX_HOLD_SECONDS = 600
ANY = "*"
TYPING = " ▌"  # marks a reply still streaming in (customers' own lines often end in "…")


class TraineeState(BaseModel):
    """One browser session's role-play: serialisable, never shared."""

    trainee: str = ""
    scenario_id: str | None = None
    session_id: str | None = None
    customer: CustomerState | None = None
    turns: list[Turn] = Field(default_factory=list)
    lines: list[ChatLine] = Field(default_factory=list)
    card: ScoreCard | None = None
    error: str = ""
    info: str = ""

    @property
    def live(self) -> bool:
        return self.customer is not None and not self.customer.ended and self.card is None


class UserError(Exception):
    """A problem the trainee can fix; shown in the page, never a crash."""


class Step(BaseModel):
    """One screen update of a conversation step; `scored` once the score card is in. While the
    customer's reply streams, `delta` is the text added since the previous step."""

    state: TraineeState
    scored: bool = False
    delta: str = ""


def scenario_of(services: Services, st: TraineeState) -> Scenario | None:
    return services.scenarios().get(st.scenario_id or "")


def history_cols(lang: str) -> list[str]:
    return [t("h_date", lang), t("h_scenario", lang), t("h_total", lang)]


async def history_frames(services: Services, trainee: str, lang: str) -> tuple[pd.DataFrame, str]:
    """The trainee's own scored sessions (keyed by the name in this browser's state only) and
    their totals over attempts as a chart (HTML)."""
    if not trainee:
        return pd.DataFrame(columns=history_cols(lang)), render.chart_html(None, "sim-trend", lang, title=t("trend", lang))
    rows = await blocking(services.store.list_sessions, trainee=trainee, limit=200)
    scored = [r for r in rows if r.total is not None]
    table = pd.DataFrame([[r.started_at.strftime("%Y-%m-%d %H:%M"), r.scenario, round(r.total, 1)]
                          for r in scored], columns=history_cols(lang))
    oldest_first = [r.total for r in reversed(scored)]
    chart = charts.LineChart(series=[charts.LineSeries(name=trainee, x=list(range(1, len(oldest_first) + 1)),
                                                       y=oldest_first)],
                             x_title=t("axis_attempt", lang), y_title=t("axis_total", lang), legend=False)
    return table, render.chart_html(chart if scored else None, "sim-trend", lang, title=t("trend", lang))


def scenario_choices(services: Services, lang_f: str, channel: str, diff: str) -> list[tuple[str, str]]:
    out = []
    # Japanese scenarios first (the default UI language), then by id.
    for sid, sc in sorted(services.scenarios().items(), key=lambda kv: (kv[1].language != "ja", kv[0])):
        if lang_f not in (ANY, None) and sc.language != lang_f:
            continue
        if channel not in (ANY, None) and sc.channel != channel:
            continue
        if diff not in (ANY, None) and sc.difficulty != diff:
            continue
        out.append((f"{sc.title} ({sid})", sid))
    return out


def trainee_of(services: Services, name: str | None, request: Any, lang: str) -> str:
    """Whose attempt this is: the signed-in account when sign-in is required (a typed name
    counts for nothing then), else the typed name (personal practice mode)."""
    if services.auth.require_signin:
        p = services.auth.principal(request)
        if p is None:
            raise UserError(t("err_signin", lang))
        return p.login
    return _check_name(name, lang)


def check_owner(services: Services, st: TraineeState, request: Any, lang: str) -> None:
    """A session is continued only by the account that started it."""
    if services.auth.require_signin and st.session_id is not None:
        p = services.auth.principal(request)
        if p is None:
            raise UserError(t("err_signin", lang))
        if p.login != st.trainee:
            raise UserError(t("err_not_yours", lang))


def _check_name(name: str | None, lang: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UserError(t("err_no_name", lang))
    if len(name) > MAX_NAME_CHARS:
        raise UserError(t("err_name_long", lang))
    return name


def store_error(e: Exception, lang: str) -> str:
    """What the trainee reads when a store write fails; a stale copy gets the reload message."""
    from simulator.store import StaleSession
    return t("err_stale", lang) if isinstance(e, StaleSession) else t("err_store", lang, e=e)


def check_message(message: str | None, lang: str) -> str:
    """The message stripped, or UserError: empty, or over MAX_MESSAGE_CHARS (trainee chat and editor trial)."""
    text = strip_controls(message or "").strip()  # what is scored is exactly what is stored
    if not text:
        raise UserError(t("err_empty", lang))
    if len(text) > MAX_MESSAGE_CHARS:
        raise UserError(t("err_too_long", lang, n=len(text), max=MAX_MESSAGE_CHARS))
    return text


async def start_session(services: Services, name: str | None, scenario_id: str | None, lang: str,
                        st: TraineeState, request: Any = None) -> TraineeState:
    trainee = trainee_of(services, name, request, lang)
    if not scenario_id:
        raise UserError(t("err_no_scenario", lang))
    sc = services.scenarios().get(scenario_id)
    if sc is None:
        raise UserError(t("err_unknown_scenario", lang, id=scenario_id))
    reply: CustomerReply = services.backend.start(sc, seed=secrets.randbelow(2**31))
    try:
        sid = await blocking(services.store.start_session, trainee, sc.id, services.backend.name, reply.state,
                             language=sc.language)
        if reply.turn is not None:
            await blocking(services.store.add_turn, sid, reply.turn, reply.state, expect=0)
    except Exception as e:  # store errors carry the (masked) URL and cause
        raise UserError(t("err_store", lang, e=e)) from e
    turns = [reply.turn] if reply.turn else []
    lines = [ChatLine(role="customer", text=x.text, at=x.at) for x in turns]
    return TraineeState(trainee=trainee, scenario_id=sc.id, session_id=sid, customer=reply.state,
                        turns=turns, lines=lines, info=reply.notice or "")


async def open_choices(services: Services, trainee: str) -> list[tuple[str, str]]:
    """(label, session id) of the trainee's unfinished sessions, newest first: the resume picker."""
    open_ = await blocking(services.store.open_sessions, trainee)
    return [(f"{o.started_at:%Y-%m-%d %H:%M} · {o.scenario} · {o.turns}", o.id)
            for o in open_ if o.scenario in services.scenarios()]


async def resume_session(services: Services, name: str | None, lang: str, request: Any = None,
                         session_id: str | None = None) -> TraineeState:
    """Pick up one of this trainee's unfinished sessions — the one chosen, else the newest —
    (e.g. after a closed tab or a server restart): every turn the trainee saw was committed, so
    the transcript and state are whole. With sign-in, "this trainee" is the signed-in account,
    never a typed name, and only its own sessions can be chosen."""
    trainee = trainee_of(services, name, request, lang)
    known = [sid for _, sid in await open_choices(services, trainee)]
    if not known:
        raise UserError(t("err_no_open", lang, name=trainee))
    if session_id and session_id not in known:
        raise UserError(t("err_not_yours", lang))
    return await load_session(services, session_id or known[0], info=t("resumed", lang))


async def load_session(services: Services, session_id: str, info: str = "") -> TraineeState:
    """A stored session as a TraineeState: what any process (or replica) needs to go on with it.
    Raises the store's SessionNotFound for an unknown id."""
    stored = await blocking(services.store.get_session, session_id)
    lines = [ChatLine(role=x.role, text=x.text, at=x.at) for x in stored.turns]
    return TraineeState(trainee=stored.trainee, scenario_id=stored.scenario, session_id=stored.id,
                        customer=stored.state, turns=stored.turns, lines=lines, card=stored.card, info=info)


async def finish(services: Services, st: TraineeState, lang: str, by_customer: bool) -> TraineeState:
    """End the contact (if the customer has not), store it, score it, store the card."""
    sc = scenario_of(services, st)
    assert st.customer is not None and st.session_id is not None and sc is not None
    state = st.customer
    if not state.ended:
        state = state.model_copy(update={"ended": True, "ended_by": "trainee"})
    try:
        await blocking(services.store.end_session, st.session_id, state, expect=len(st.turns))
    except Exception as e:
        raise UserError(store_error(e, lang)) from e
    try:
        scorer = services.scorer_for(services.rubric())
        card: ScoreCard = await scorer(Transcript(scenario=sc.id, turns=st.turns), sc)
    except Exception as e:
        raise UserError(t("err_score", lang, e=e)) from e
    try:
        await blocking(services.store.save_score, st.session_id, card)
    except Exception as e:
        raise UserError(t("err_store", lang, e=e)) from e
    info = t("ended_by_customer", lang) if by_customer else ""
    return st.model_copy(update={"customer": state, "card": card, "info": info, "error": ""})


async def converse(services: Services, st: TraineeState, message: str, lang: str,
                   hold_seconds: int = 0, request: Any = None) -> AsyncIterator[Step]:
    """The trainee's message (or a silent hold), then the customer's streamed reply; ends the
    contact and scores it when the customer hangs up. Errors come back in `state.error`.

    Every write names the turn index this state was computed from, and the store refuses it
    once the session went on elsewhere (a second tab, a double click, another replica), so a
    conversation never forks; the page then asks the trainee to reload."""
    try:
        check_owner(services, st, request, lang)
    except UserError as e:
        yield Step(state=st.model_copy(update={"error": str(e), "info": ""}))
        return
    async for step in _converse(services, st, message, lang, hold_seconds):
        yield step


async def _converse(services: Services, st: TraineeState, message: str, lang: str,
                    hold_seconds: int) -> AsyncIterator[Step]:
    st = st.model_copy(update={"error": "", "info": ""})
    try:
        if st.customer is None or st.session_id is None:
            raise UserError(t("err_not_started", lang))
        if not st.live:
            raise UserError(t("err_ended", lang))
        text = check_message(message, lang) if hold_seconds == 0 else ""
    except UserError as e:
        yield Step(state=st.model_copy(update={"error": str(e)}))
        return
    sc = scenario_of(services, st)
    assert sc is not None and st.customer is not None and st.session_id is not None
    lines, turns = list(st.lines), list(st.turns)
    before = tuple(turns)  # the conversation the customer reacts to, this message aside
    if text:
        mine = Turn(role="trainee", text=text, at=st.customer.clock, source="trainee")
        try:
            await blocking(services.store.add_turn, st.session_id, mine, st.customer, expect=len(turns))
        except Exception as e:
            yield Step(state=st.model_copy(update={"error": store_error(e, lang)}))
            return
        turns.append(mine)
        lines.append(ChatLine(role="trainee", text=text, at=mine.at))
    else:
        lines.append(ChatLine(role="notice", text=t("hold_notice", lang, s=hold_seconds)))
    st = st.model_copy(update={"lines": lines, "turns": turns})
    yield Step(state=st)
    # Stream: deltas are shown as typing; the turn is committed before it is final on screen.
    partial = ""
    reply: CustomerReply | None = None
    try:
        async for ev in services.backend.stream(sc, text, st.customer, hold_seconds=hold_seconds, transcript=before):
            if ev.done is not None:
                reply = ev.done
                break
            partial += ev.delta
            shown = ChatLine(role="customer", text=partial + TYPING, at=None)
            yield Step(state=st.model_copy(update={"lines": [*lines, shown]}), delta=ev.delta)
        if reply is None:
            raise RuntimeError("the customer stream ended without a reply")
    except Exception as e:
        yield Step(state=st.model_copy(update={"error": t("err_engine", lang, e=e)}))
        return
    if reply.turn is not None:
        try:
            await blocking(services.store.add_turn, st.session_id, reply.turn, reply.state, expect=len(turns))
        except Exception as e:
            yield Step(state=st.model_copy(update={"error": store_error(e, lang)}))
            return
        turns = [*turns, reply.turn]
        lines = [*lines, ChatLine(role="customer", text=reply.turn.text, at=reply.turn.at)]
    st = st.model_copy(update={"customer": reply.state, "turns": turns, "lines": lines,
                               "info": reply.notice or ""})
    if reply.state.ended:
        try:
            st = await finish(services, st, lang, by_customer=reply.state.ended_by != "trainee")
        except UserError as e:
            yield Step(state=st.model_copy(update={"error": str(e)}))
            return
        yield Step(state=st, scored=True)
        return
    yield Step(state=st)
