"""The trainee tab: layout and events. The session logic itself is in session.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from simulator.web import render
from simulator.web.i18n import Relabeller, t
from simulator.web.services import Services
from simulator.web.session import (ANY, MAX_HOLD_SECONDS, TraineeState, UserError, check_owner, converse,
                                   finish, history_cols, history_frames, resume_session, scenario_choices, scenario_of,
                                   start_session)


SEND_LIMIT = 128  # turns streaming at once in one process; a hung model is cut at its deadline


@dataclass
class TraineeUI:
    state: gr.State
    f_lang: gr.Dropdown
    f_channel: gr.Dropdown
    f_diff: gr.Dropdown
    scenario: gr.Dropdown
    name: gr.Textbox
    start: gr.Button
    resume: gr.Button
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
    chart: gr.HTML
    transcript: gr.HTML
    again: gr.Button
    history: gr.Dataframe
    trend: gr.HTML
    resume_pick: gr.Dropdown

    def view_outputs(self) -> list[Any]:
        return [self.state, self.brief, self.clock, self.notice, self.chat, self.chat_row, self.email_col,
                self.hold_row, self.end, self.msg, self.email, self.card_col, self.card, self.chart,
                self.transcript, self.history, self.trend]

    def turn_outputs(self) -> list[Any]:
        """What a turn streams: plain values only. Gradio rebuilds a component for every
        gr.update/gr.skip output on every yield, which made streaming cost more than the model."""
        return [self.state, self.clock, self.notice, self.chat]

    def turn_end_outputs(self) -> list[Any]:
        """What follows a turn once: the rest of the view but the brief (unchanged by a turn) and
        never the state or the conversation, so a late follow-up cannot roll a newer turn back."""
        streamed = {id(c) for c in (*self.turn_outputs(), self.brief)}
        return [c for c in self.view_outputs() if id(c) not in streamed]


# ------------------------------------------------------------------------------ view


def _status(st: TraineeState, lang: str) -> str:
    if st.customer is None:
        return t("status_idle", lang)
    return t("status_ended" if not st.live else "status_live", lang)


def turn_view(st: TraineeState, lang: str) -> list[Any]:
    """The outputs of `TraineeUI.turn_outputs` from the state (sent on every streamed step)."""
    return [st, render.clock_html(st.customer.clock if st.customer else None, _status(st, lang), t("clock", lang)),
            render.error_html(st.error) + render.info_html(st.info), render.chat_messages(st.lines)]


def view(services: Services, st: TraineeState, lang: str, *, clear_inputs: bool = False,
         history: tuple[pd.DataFrame, str] | None = None) -> list[Any]:
    """Every output of the tab from the state (`view_outputs`), sent once per action or turn."""
    sc = scenario_of(services, st)
    channel = sc.channel if sc else None
    live = st.live
    state, clock, notice, chat = turn_view(st, lang)
    out: list[Any] = [
        state,
        render.brief_html(sc, lang) if sc else "",
        clock,
        notice,
        chat,
        gr.update(visible=live and channel in ("phone", "chat")),
        gr.update(visible=live and channel == "email"),
        gr.update(visible=live and channel == "phone"),
        gr.update(interactive=live, visible=st.customer is not None and st.card is None),
        gr.update(value="") if clear_inputs else gr.skip(),
        gr.update(value="") if clear_inputs else gr.skip(),
    ]
    rubric = services.rubric_or_none()
    if st.card is not None:
        out += [gr.update(visible=True), render.score_html(st.card, rubric, sc, lang, turns=st.turns),
                render.card_chart(st.card, rubric, lang), render.transcript_html(st.turns, st.card, rubric, lang)]
    else:
        out += [gr.update(visible=False), "", "", ""]
    if history is not None:
        out += list(history)
    else:
        out += [gr.skip(), gr.skip()]
    return out


# ------------------------------------------------------------------------------ actions


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
        start = rl.value(gr.Button(t("start", lang0), variant="primary", scale=1, elem_id="sim-start",
                                   elem_classes=["sim-btn"]), "start")
        resume = rl.value(gr.Button(t("resume", lang0), scale=1, elem_id="sim-resume", elem_classes=["sim-btn"]),
                          "resume")
        # Which unfinished session to resume (own sessions only; filled on load when signed in).
        # "" (the default, so API callers may leave it out) means the newest.
        resume_pick = rl.label(gr.Dropdown([("", "")], value="", label=t("resume_pick", lang0), scale=2,
                                           allow_custom_value=True,  # checked against own sessions in resume_session
                                           elem_id="sim-resume-pick"), "resume_pick")
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
            chat = rl.label(gr.Chatbot(label=t("chat", lang0), show_label=False, height=460, render_markdown=False,
                                       sanitize_html=True, allow_tags=False, feedback_options=None, buttons=[],
                                       group_consecutive_messages=False,
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
        rl.value(gr.Markdown(f"## {t('score_card', lang0)}"), "score_card", prefix="## ")
        with gr.Row():
            card = gr.HTML("", elem_id="sim-card")
            chart = gr.HTML("", elem_id="sim-chart")  # server-drawn SVG (render.card_chart)
        rl.value(gr.Markdown(f"### {t('transcript', lang0)}"), "transcript", prefix="### ")
        transcript = gr.HTML("", elem_id="sim-transcript")
        again = rl.value(gr.Button(t("try_again", lang0), variant="primary", elem_id="sim-again"), "try_again")
    with gr.Accordion(t("history", lang0), open=True) as hist_acc:
        rl.add(hist_acc, lambda lg: gr.update(label=t("history", lg)))
        with gr.Row():
            history = gr.Dataframe(pd.DataFrame(columns=history_cols(lang0)), interactive=False,
                                   elem_id="sim-history", scale=1)
            trend = gr.HTML("", elem_id="sim-trend-box")

    ui = TraineeUI(state, f_lang, f_channel, f_diff, scenario, name, start, resume, brief, clock, notice, chat, chat_row,
                   msg, send, email_col, email, send_email, hold_row, hold_s, hold, end, card_col, card, chart,
                   transcript, again, history, trend, resume_pick)
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

    def preview(scenario_id: str | None, lang: str, st: TraineeState) -> Any:
        """Show the brief of the chosen scenario before starting (never during a contact)."""
        if st.customer is not None and st.card is None:
            return gr.skip()
        sc = services.scenarios().get(scenario_id or "")
        return render.brief_html(sc, lang) if sc else ""

    ui.scenario.change(preview, [ui.scenario, lang_radio, ui.state], ui.brief, api_visibility="private",
                       concurrency_limit=None)

    async def on_start(name: str, scenario_id: str, lang: str, st: TraineeState,
                       request: gr.Request = None) -> list[Any]:  # type: ignore[assignment]
        try:
            st = await start_session(services, name, scenario_id, lang, st, request)
        except UserError as e:
            return view(services, st.model_copy(update={"error": str(e), "info": ""}), lang)
        return view(services, st, lang, clear_inputs=True, history=await history_frames(services, st.trainee, lang))

    ui.start.click(on_start, [ui.name, ui.scenario, lang_radio, ui.state], outs, api_name="start",
                   concurrency_limit=16)

    async def on_resume(name: str, lang: str, session_id: str | None, st: TraineeState,
                        request: gr.Request = None) -> list[Any]:  # type: ignore[assignment]
        try:
            st = await resume_session(services, name, lang, request, session_id)
        except UserError as e:
            return view(services, st.model_copy(update={"error": str(e), "info": ""}), lang)
        return view(services, st, lang, clear_inputs=True, history=await history_frames(services, st.trainee, lang))

    ui.resume.click(on_resume, [ui.name, lang_radio, ui.resume_pick, ui.state], outs, api_name="resume",
                    concurrency_limit=16)

    async def on_again(lang: str, st: TraineeState, request: gr.Request = None) -> list[Any]:  # type: ignore[assignment]
        return await on_start(st.trainee, st.scenario_id or "", lang, st, request)

    ui.again.click(on_again, [lang_radio, ui.state], outs, api_name="try_again", concurrency_limit=16)

    # A turn is two events: the reply streams with the four `turn_outputs` (values only), then
    # one full `view` follows (visibility, cleared inputs, score card) — once per turn, not per
    # sentence. The browser runs the `.then`; API clients get the streamed outputs.
    async def on_send(message: str, lang: str, st: TraineeState, request: gr.Request = None,  # type: ignore[assignment]
                      hold_seconds: int = 0):  # async generator
        async for step in converse(services, st, message, lang, hold_seconds, request):
            yield turn_view(step.state, lang)

    end_outs = ui.turn_end_outputs()
    keep = [i for i, c in enumerate(outs) if c in end_outs]

    async def after_turn(lang: str, st: TraineeState, clear: bool = True) -> list[Any]:
        history = await history_frames(services, st.trainee, lang) if st.card is not None else None
        full = view(services, st, lang, clear_inputs=clear and not st.error, history=history)
        return [full[i] for i in keep]

    async def after_hold(lang: str, st: TraineeState) -> list[Any]:
        return await after_turn(lang, st, clear=False)  # the trainee may be typing already

    async def on_hold(seconds: float | None, lang: str, st: TraineeState,
                      request: gr.Request = None):  # type: ignore[assignment]
        sc = scenario_of(services, st)
        try:
            if st.customer is None:
                raise UserError(t("err_not_started", lang))
            if sc is None or sc.channel != "phone":
                raise UserError(t("err_hold_phone", lang))
            if seconds is None or not (1 <= seconds <= MAX_HOLD_SECONDS) or int(seconds) != seconds:
                raise UserError(t("err_hold_range", lang))
        except UserError as e:
            yield turn_view(st.model_copy(update={"error": str(e), "info": ""}), lang)
            return
        async for out in on_send("", lang, st, request, hold_seconds=int(seconds)):
            yield out

    turn_outs = ui.turn_outputs()
    for trigger, fn, inputs, name, then in [
            (ui.send.click, on_send, [ui.msg, lang_radio, ui.state], "send", after_turn),
            (ui.msg.submit, on_send, [ui.msg, lang_radio, ui.state], None, after_turn),
            (ui.send_email.click, on_send, [ui.email, lang_radio, ui.state], "send_email", after_turn),
            (ui.hold.click, on_hold, [ui.hold_s, lang_radio, ui.state], "hold", after_hold)]:
        # Enter in the chat line does what Send does; one API name is enough, so it stays private.
        visibility = {"api_name": name} if name else {"api_visibility": "private"}
        trigger(fn, inputs, turn_outs, concurrency_limit=SEND_LIMIT, concurrency_id="send", **visibility).then(
            then, [lang_radio, ui.state], end_outs, api_visibility="private", concurrency_limit=None)

    async def on_end(lang: str, st: TraineeState, request: gr.Request = None) -> list[Any]:  # type: ignore[assignment]
        if st.customer is None or st.session_id is None:
            return view(services, st.model_copy(update={"error": t("err_not_started", lang)}), lang)
        try:
            check_owner(services, st, request, lang)
        except UserError as e:
            return view(services, st.model_copy(update={"error": str(e)}), lang)
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
