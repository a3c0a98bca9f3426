"""The trainee tab: choose a scenario, talk to the simulated customer, get the score card.

All per-browser data lives in one `TraineeState` (a pydantic model in gr.State), handed into
each handler and handed back as a new object, so sessions never share anything. Every turn is
committed to the store before the UI finalises it (and before the input is usable again).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd
from pydantic import BaseModel, Field

from simulator.customers.base import CustomerReply
from simulator.models import CustomerState, ScoreCard, Scenario, Transcript, Turn, format_clock, parse_clock
from simulator.web import render
from simulator.web.i18n import Relabeller, t
from simulator.web.render import MAX_MESSAGE_CHARS, ChatLine
from simulator.web.services import Services, blocking

MAX_NAME_CHARS = 40
MAX_HOLD_SECONDS = 600
ANY = "*"


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


@dataclass
class TraineeUI:
    state: gr.State
    f_lang: gr.Dropdown
    f_channel: gr.Dropdown
    f_diff: gr.Dropdown
    scenario: gr.Dropdown
    name: gr.Textbox
    start: gr.Button
    brief: gr.HTML
    clock: gr.HTML
    notice: gr.HTML
    chat: gr.Chatbot
    chat_row: gr.Row
    msg: gr.Textbox
    send: gr.Button
    email_col: gr.Column
    email: gr.Textbox
    send_email: gr.Button
    hold_row: gr.Row
    hold_s: gr.Number
    hold: gr.Button
    end: gr.Button
    card_col: gr.Column
    card: gr.HTML
    chart: gr.BarPlot
    transcript: gr.HTML
    again: gr.Button
    history: gr.Dataframe
    trend: gr.LinePlot

    def view_outputs(self) -> list[Any]:
        return [self.state, self.brief, self.clock, self.notice, self.chat, self.chat_row, self.email_col,
                self.hold_row, self.end, self.msg, self.email, self.card_col, self.card, self.chart,
                self.transcript, self.history, self.trend]


# ------------------------------------------------------------------------------ view


def _scenario(services: Services, st: TraineeState) -> Scenario | None:
    return services.scenarios().get(st.scenario_id or "")


def _status(st: TraineeState, lang: str) -> str:
    if st.customer is None:
        return t("status_idle", lang)
    return t("status_ended" if not st.live else "status_live", lang)


def view(services: Services, st: TraineeState, lang: str, *, clear_inputs: bool = False,
         full: bool = True, history: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> list[Any]:
    """Every output of the tab from the state. `full=False` (while streaming) skips the heavy parts."""
    sc = _scenario(services, st)
    channel = sc.channel if sc else None
    live = st.live
    notice = render.error_html(st.error) + render.info_html(st.info)
    out: list[Any] = [
        st,
        render.brief_html(sc, lang) if sc else "",
        render.clock_html(st.customer.clock if st.customer else None, _status(st, lang), t("clock", lang)),
        notice,
        render.chat_messages(st.lines),
        gr.update(visible=live and channel in ("phone", "chat")),
        gr.update(visible=live and channel == "email"),
        gr.update(visible=live and channel == "phone"),
        gr.update(interactive=live, visible=st.customer is not None and st.card is None),
        gr.update(value="") if clear_inputs else gr.skip(),
        gr.update(value="") if clear_inputs else gr.skip(),
    ]
    if not full:
        return out + [gr.skip()] * 6
    rubric = _rubric(services)
    if st.card is not None:
        out += [gr.update(visible=True), render.score_html(st.card, rubric, sc, lang),
                render.chart_frame(st.card, rubric, lang), render.transcript_html(st.turns, st.card, rubric, lang)]
    else:
        out += [gr.update(visible=False), "", render.chart_frame(None, rubric, lang), ""]
    if history is not None:
        out += list(history)
    else:
        out += [gr.skip(), gr.skip()]
    return out


def _rubric(services: Services) -> Any:
    try:
        return services.rubric()
    except KeyError:
        return None


async def history_frames(services: Services, trainee: str, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The trainee's own scored sessions (keyed by the name in this browser's state only)."""
    cols = [t("h_date", lang), t("h_scenario", lang), t("h_total", lang)]
    if not trainee:
        return pd.DataFrame(columns=cols), render.frame([], attempt=int, total=float, scenario=str)
    rows = await blocking(services.store.list_sessions, trainee=trainee, limit=200)
    scored = [r for r in rows if r.total is not None]
    table = pd.DataFrame([[r.started_at.strftime("%Y-%m-%d %H:%M"), r.scenario, round(r.total, 1)]
                          for r in scored], columns=cols)
    oldest_first = list(reversed(scored))
    trend = render.frame([{"attempt": i + 1, "total": r.total, "scenario": r.scenario}
                          for i, r in enumerate(oldest_first)], attempt=int, total=float, scenario=str)
    return table, trend


# ------------------------------------------------------------------------------ actions


def scenario_choices(services: Services, lang_f: str, channel: str, diff: str) -> list[tuple[str, str]]:
    out = []
    for sid, sc in sorted(services.scenarios().items()):
        if lang_f not in (ANY, None) and sc.language != lang_f:
            continue
        if channel not in (ANY, None) and sc.channel != channel:
            continue
        if diff not in (ANY, None) and sc.difficulty != diff:
            continue
        out.append((f"{sc.title} ({sid})", sid))
    return out


def _check_name(name: str | None, lang: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UserError(t("err_no_name", lang))
    if len(name) > MAX_NAME_CHARS:
        raise UserError(t("err_name_long", lang))
    return name


def _check_message(message: str | None, lang: str) -> str:
    text = (message or "").strip()
    if not text:
        raise UserError(t("err_empty", lang))
    if len(text) > MAX_MESSAGE_CHARS:
        raise UserError(t("err_too_long", lang, n=len(text), max=MAX_MESSAGE_CHARS))
    return text


async def start_session(services: Services, name: str | None, scenario_id: str | None, lang: str,
                        st: TraineeState) -> TraineeState:
    trainee = _check_name(name, lang)
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
            await blocking(services.store.add_turn, sid, reply.turn, reply.state)
    except Exception as e:  # store errors carry the (masked) URL and cause
        raise UserError(t("err_store", lang, e=e)) from e
    turns = [reply.turn] if reply.turn else []
    lines = [ChatLine(role="customer", text=x.text, at=x.at) for x in turns]
    return TraineeState(trainee=trainee, scenario_id=sc.id, session_id=sid, customer=reply.state,
                        turns=turns, lines=lines, info=reply.notice or "")


async def finish(services: Services, st: TraineeState, lang: str, by_customer: bool) -> TraineeState:
    """End the contact (if the customer has not), store it, score it, store the card."""
    sc = _scenario(services, st)
    assert st.customer is not None and st.session_id is not None and sc is not None
    state = st.customer
    if not state.ended:
        state = state.model_copy(update={"ended": True, "ended_by": "trainee"})
    try:
        await blocking(services.store.end_session, st.session_id, state)
    except Exception as e:
        raise UserError(t("err_store", lang, e=e)) from e
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


def _hold_clock(clock: str, seconds: int) -> str:
    return format_clock(parse_clock(clock) + seconds)


def build(services: Services, lang_radio: gr.Radio, rl: Relabeller) -> TraineeUI:
    """Lay out the trainee tab inside the current Blocks context and wire its events."""
    lang0 = "ja"
    any_ = (t("any", lang0), ANY)
    state = gr.State(TraineeState())
    with gr.Row():
        f_lang = rl.add(gr.Dropdown([any_, ("日本語", "ja"), ("English", "en")], value=ANY,
                                    label=t("f_language", lang0), scale=1),
                        lambda lg: gr.update(label=t("f_language", lg),
                                             choices=[(t("any", lg), ANY), ("日本語", "ja"), ("English", "en")]))
        f_channel = rl.add(gr.Dropdown(_channel_choices(lang0), value=ANY, label=t("f_channel", lang0), scale=1),
                           lambda lg: gr.update(label=t("f_channel", lg), choices=_channel_choices(lg)))
        f_diff = rl.add(gr.Dropdown(_diff_choices(lang0), value=ANY, label=t("f_difficulty", lang0), scale=1),
                        lambda lg: gr.update(label=t("f_difficulty", lg), choices=_diff_choices(lg)))
    with gr.Row():
        first = scenario_choices(services, ANY, ANY, ANY)
        scenario = rl.label(gr.Dropdown(first, value=first[0][1] if first else None, label=t("scenario", lang0),
                                        scale=3, elem_id="sim-scenario", allow_custom_value=True), "scenario")
        name = rl.label(gr.Textbox(label=t("your_name", lang0), scale=2, elem_id="sim-name", max_lines=1),
                        "your_name")
        start = rl.value(gr.Button(t("start", lang0), variant="primary", scale=1, elem_id="sim-start", elem_classes=["sim-btn"]), "start")
    notice = gr.HTML("", elem_id="sim-notice")
    with gr.Row():
        with gr.Column(scale=2, min_width=280):
            brief = gr.HTML("", elem_id="sim-brief")
            clock = gr.HTML(render.clock_html(None, t("status_idle", lang0), t("clock", lang0)), elem_id="sim-clock")
            with gr.Row(visible=False) as hold_row:
                hold_s = rl.label(gr.Number(value=45, precision=0,
                                            label=t("hold_seconds", lang0), elem_id="sim-hold-seconds"),
                                  "hold_seconds")
                hold = rl.value(gr.Button(t("hold", lang0), elem_id="sim-hold"), "hold")
            end = rl.value(gr.Button(t("end", lang0), variant="stop", visible=False, elem_id="sim-end"), "end")
        with gr.Column(scale=3, min_width=360):
            chat = rl.label(gr.Chatbot(label=t("chat", lang0), height=460, render_markdown=False,
                                       sanitize_html=True, allow_tags=False, feedback_options=None, buttons=[],
                                       elem_id="sim-chat"), "chat")
            with gr.Row(visible=False) as chat_row:
                msg = rl.label(gr.Textbox(label=t("message", lang0), placeholder=t("message_ph", lang0),
                                          scale=5, max_lines=4, elem_id="sim-msg"), "message", "message_ph")
                send = rl.value(gr.Button(t("send", lang0), variant="primary", scale=1, elem_id="sim-send", elem_classes=["sim-btn"]), "send")
            with gr.Column(visible=False) as email_col:
                email = rl.label(gr.Textbox(label=t("email_body", lang0), placeholder=t("email_ph", lang0),
                                            lines=8, max_lines=20, elem_id="sim-email"), "email_body", "email_ph")
                send_email = rl.value(gr.Button(t("send_email", lang0), variant="primary", elem_id="sim-send-email"),
                                      "send_email")
    with gr.Column(visible=False, elem_id="sim-card-col") as card_col:
        rl.value(gr.Markdown(f"## {t('score_card', lang0)}"), "score_card")
        with gr.Row():
            card = gr.HTML("", elem_id="sim-card")
            chart = rl.label(gr.BarPlot(render.chart_frame(None, None, lang0), x="criterion", y="score",
                                        y_lim=[0, 4], label=t("chart", lang0), height=260, elem_id="sim-chart"),
                             "chart")
        rl.value(gr.Markdown(f"### {t('transcript', lang0)}"), "transcript")
        transcript = gr.HTML("", elem_id="sim-transcript")
        again = rl.value(gr.Button(t("try_again", lang0), variant="primary", elem_id="sim-again"), "try_again")
    with gr.Accordion(t("history", lang0), open=True) as hist_acc:
        rl.add(hist_acc, lambda lg: gr.update(label=t("history", lg)))
        with gr.Row():
            history = gr.Dataframe(interactive=False, elem_id="sim-history", scale=1)
            trend = rl.label(gr.LinePlot(render.frame([], attempt=int, total=float, scenario=str), x="attempt",
                                         y="total", y_lim=[0, 100], label=t("trend", lang0), height=220,
                                         elem_id="sim-trend", scale=1), "trend")

    ui = TraineeUI(state, f_lang, f_channel, f_diff, scenario, name, start, brief, clock, notice, chat, chat_row,
                   msg, send, email_col, email, send_email, hold_row, hold_s, hold, end, card_col, card, chart,
                   transcript, again, history, trend)
    _wire(services, ui, lang_radio)
    return ui


def _channel_choices(lang: str) -> list[tuple[str, str]]:
    return [(t("any", lang), ANY)] + [(t(f"ch_{c}", lang), c) for c in ("phone", "chat", "email")]


def _diff_choices(lang: str) -> list[tuple[str, str]]:
    return [(t("any", lang), ANY)] + [(t(f"d_{d}", lang), d) for d in ("easy", "medium", "hard")]


def _wire(services: Services, ui: TraineeUI, lang_radio: gr.Radio) -> None:
    outs = ui.view_outputs()

    def refilter(lang_f: str, channel: str, diff: str, current: str | None) -> Any:
        choices = scenario_choices(services, lang_f, channel, diff)
        ids = [c[1] for c in choices]
        return gr.update(choices=choices, value=current if current in ids else (ids[0] if ids else None))

    for f in (ui.f_lang, ui.f_channel, ui.f_diff):
        f.change(refilter, [ui.f_lang, ui.f_channel, ui.f_diff, ui.scenario], ui.scenario,
                 concurrency_limit=None, api_visibility="private")

    async def on_start(name: str, scenario_id: str, lang: str, st: TraineeState) -> list[Any]:
        try:
            st = await start_session(services, name, scenario_id, lang, st)
        except UserError as e:
            return view(services, st.model_copy(update={"error": str(e), "info": ""}), lang)
        return view(services, st, lang, clear_inputs=True, history=await history_frames(services, st.trainee, lang))

    ui.start.click(on_start, [ui.name, ui.scenario, lang_radio, ui.state], outs, api_name="start",
                   concurrency_limit=16)

    async def on_again(lang: str, st: TraineeState) -> list[Any]:
        return await on_start(st.trainee, st.scenario_id or "", lang, st)

    ui.again.click(on_again, [lang_radio, ui.state], outs, api_name="try_again", concurrency_limit=16)

    async def on_send(message: str, lang: str, st: TraineeState, hold_seconds: int = 0):  # async generator
        st = st.model_copy(update={"error": "", "info": ""})
        try:
            if st.customer is None or st.session_id is None:
                raise UserError(t("err_not_started", lang))
            if not st.live:
                raise UserError(t("err_ended", lang))
            text = _check_message(message, lang) if hold_seconds == 0 else ""
        except UserError as e:
            yield view(services, st.model_copy(update={"error": str(e)}), lang, full=False)
            return
        sc = _scenario(services, st)
        assert sc is not None and st.customer is not None and st.session_id is not None
        lines, turns = list(st.lines), list(st.turns)
        if text:
            mine = Turn(role="trainee", text=text, at=st.customer.clock, source="trainee")
            try:
                await blocking(services.store.add_turn, st.session_id, mine, st.customer)
            except Exception as e:
                yield view(services, st.model_copy(update={"error": t("err_store", lang, e=e)}), lang, full=False)
                return
            turns.append(mine)
            lines.append(ChatLine(role="trainee", text=text, at=mine.at))
        else:
            lines.append(ChatLine(role="notice", text=t("hold_notice", lang, s=hold_seconds)))
        st = st.model_copy(update={"lines": lines, "turns": turns})
        yield view(services, st, lang, clear_inputs=True, full=False)
        # Stream: deltas are shown as typing; the turn is committed before it is final on screen.
        partial = ""
        reply: CustomerReply | None = None
        try:
            async for ev in services.backend.stream(sc, text, st.customer, hold_seconds=hold_seconds):
                if ev.done is not None:
                    reply = ev.done
                    break
                partial += ev.delta
                shown = ChatLine(role="customer", text=partial + " …", at=None)
                yield view(services, st.model_copy(update={"lines": [*lines, shown]}), lang, full=False)
            if reply is None:
                raise RuntimeError("the customer stream ended without a reply")
        except Exception as e:
            yield view(services, st.model_copy(update={"error": t("err_engine", lang, e=e)}), lang, full=False)
            return
        if reply.turn is not None:
            try:
                await blocking(services.store.add_turn, st.session_id, reply.turn, reply.state)
            except Exception as e:
                yield view(services, st.model_copy(update={"error": t("err_store", lang, e=e)}), lang, full=False)
                return
            turns = [*turns, reply.turn]
            lines = [*lines, ChatLine(role="customer", text=reply.turn.text, at=reply.turn.at)]
        st = st.model_copy(update={"customer": reply.state, "turns": turns, "lines": lines,
                                   "info": reply.notice or ""})
        if reply.state.ended:
            try:
                st = await finish(services, st, lang, by_customer=reply.state.ended_by != "trainee")
            except UserError as e:
                yield view(services, st.model_copy(update={"error": str(e)}), lang)
                return
            yield view(services, st, lang, history=await history_frames(services, st.trainee, lang))
            return
        yield view(services, st, lang, full=False)

    ui.send.click(on_send, [ui.msg, lang_radio, ui.state], outs, api_name="send", concurrency_limit=32,
                  concurrency_id="send")
    # Enter in the chat line does the same; one API name is enough, so this one stays private.
    ui.msg.submit(on_send, [ui.msg, lang_radio, ui.state], outs, api_visibility="private",
                  concurrency_limit=32, concurrency_id="send")
    ui.send_email.click(on_send, [ui.email, lang_radio, ui.state], outs, api_name="send_email", concurrency_limit=32)

    async def on_hold(seconds: float | None, lang: str, st: TraineeState):
        sc = _scenario(services, st)
        try:
            if st.customer is None:
                raise UserError(t("err_not_started", lang))
            if sc is None or sc.channel != "phone":
                raise UserError(t("err_hold_phone", lang))
            if seconds is None or not (1 <= seconds <= MAX_HOLD_SECONDS) or int(seconds) != seconds:
                raise UserError(t("err_hold_range", lang))
        except UserError as e:
            yield view(services, st.model_copy(update={"error": str(e), "info": ""}), lang, full=False)
            return
        async for out in on_send("", lang, st, hold_seconds=int(seconds)):
            yield out

    ui.hold.click(on_hold, [ui.hold_s, lang_radio, ui.state], outs, api_name="hold", concurrency_limit=32)

    async def on_end(lang: str, st: TraineeState) -> list[Any]:
        if st.customer is None or st.session_id is None:
            return view(services, st.model_copy(update={"error": t("err_not_started", lang)}), lang)
        if st.card is not None:
            return view(services, st.model_copy(update={"error": t("err_ended", lang)}), lang)
        try:
            st = await finish(services, st, lang, by_customer=False)
        except UserError as e:
            return view(services, st.model_copy(update={"error": str(e)}), lang)
        return view(services, st, lang, history=await history_frames(services, st.trainee, lang))

    ui.end.click(on_end, [lang_radio, ui.state], outs, api_name="end", concurrency_limit=8)

    async def on_lang(lang: str, st: TraineeState) -> list[Any]:
        return view(services, st, lang, history=await history_frames(services, st.trainee, lang))

    lang_radio.change(on_lang, [lang_radio, ui.state], outs, api_visibility="private", concurrency_limit=16)
