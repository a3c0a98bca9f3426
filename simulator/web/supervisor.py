"""The supervisor tab: login, scenario editor with live validation and a trial chat, rubrics,
cohort dashboard with overrides, and exports.

Every handler starts with `_user(st)` (a live login token, checked server-side in auth.py),
so the API endpoints refuse trainees and anonymous gradio_client callers alike.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from pydantic import BaseModel, Field

from simulator.models import CustomerState, Scenario, Turn
from simulator.web import accounts_tab, dashboard, phrase, problems, render
from simulator.web.problems import MARK_LINES_JS, validate_text, validation_html
from simulator.web.auth import NotAuthorised, TooManyAttempts
from simulator.web.i18n import Relabeller, t
from simulator.web.render import ChatLine
from simulator.web.session import UserError, check_message
from simulator.web.services import Services, blocking

FILE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.ya?ml$")
_SAVE_LOCK = threading.Lock()  # check-hash-then-write must not interleave within this server


class SupervisorState(BaseModel):
    token: str | None = None
    loaded_file: str | None = None
    loaded_hash: str | None = None
    trial_scenario: Scenario | None = None
    trial_state: CustomerState | None = None
    trial_lines: list[ChatLine] = Field(default_factory=list)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Denied(Exception):
    pass


@dataclass
class Ctx:
    services: Services

    def user(self, st: SupervisorState, lang: str) -> str:
        try:
            return self.services.auth.require(st.token)
        except NotAuthorised:
            raise gr.Error(t("login_required", lang)) from None


# -------------------------------------------------------------------------- editor logic


def save_file(services: Services, text: str, file_name: str, st: SupervisorState, lang: str,
              as_new: bool) -> tuple[SupervisorState, str]:
    """Write the draft; never overwrite a file someone else changed since it was loaded."""
    if not FILE_RE.match(file_name or ""):
        raise Denied(t("err_bad_filename", lang, f=file_name))
    sc, found = validate_text(text, file_name)
    if sc is None:
        raise Denied(t("err_invalid_draft", lang) + "\n" + "\n".join(problems.line(p, lang) for p in found))
    path = services.scenario_dir / file_name
    with _SAVE_LOCK:
        if as_new or st.loaded_file != file_name:
            owner = _catalog_owner(services, sc.id)
            if owner is not None:
                raise Denied(t("err_id_taken", lang, id=sc.id, f=Path(owner).name))
            try:
                with open(path, "x", encoding="utf-8") as f:  # "x": fails if the file appeared meanwhile
                    f.write(text)
            except FileExistsError:
                raise Denied(t("err_exists", lang, f=file_name)) from None
        else:
            if not st.loaded_hash:
                raise Denied(t("err_nothing_loaded", lang))
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if content_hash(current) != st.loaded_hash:
                raise Denied(t("err_conflict", lang, f=file_name))
            owner = _catalog_owner(services, sc.id)
            if owner is not None and Path(owner).name != file_name:
                raise Denied(t("err_id_taken", lang, id=sc.id, f=Path(owner).name))
            tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)  # atomic: readers see the old or the new file, never half
        _publish(services, sc, str(path))
    return st.model_copy(update={"loaded_file": file_name, "loaded_hash": content_hash(text)}), \
        t("saved", lang, f=file_name)


def _catalog_owner(services: Services, sid: str) -> str | None:
    if sid not in services.catalog.scenarios:
        return None
    return getattr(services.catalog, "sources", {}).get(f"scenario:{sid}", "the catalog")


def _publish(services: Services, sc: Scenario, path: str) -> None:
    """Make a saved scenario available to trainees at once (their picker refreshes on load)."""
    services.catalog.scenarios[sc.id] = sc
    sources = getattr(services.catalog, "sources", None)
    if isinstance(sources, dict):
        sources[f"scenario:{sc.id}"] = path


def scenario_files(services: Services) -> list[str]:
    d = services.scenario_dir
    return sorted(p.name for p in d.glob("*.y*ml") if p.is_file()) if d.is_dir() else []


# ------------------------------------------------------------------------------- layout


def build(services: Services, lang_radio: gr.Radio, rl: Relabeller) -> dict[str, Any]:
    lg = "ja"
    ctx = Ctx(services)
    st = gr.State(SupervisorState())
    enabled = services.auth.enabled
    if not enabled:
        rl.add(gr.HTML(render.info_html(t("sup_disabled", lg)), elem_id="sim-sup-disabled"),
               lambda lang: gr.update(value=render.info_html(t("sup_disabled", lang))))
    with gr.Column(visible=enabled, elem_id="sim-login") as login_col:
        rl.value(gr.Markdown(f"### {t('login_title', lg)}"), "login_title", prefix="### ")
        with gr.Row():
            user = rl.label(gr.Textbox(label=t("username", lg), elem_id="sim-sup-user", max_lines=1), "username")
            pw = rl.label(gr.Textbox(label=t("password", lg), type="password", elem_id="sim-sup-pw", max_lines=1),
                          "password")
            login = rl.value(gr.Button(t("login", lg), variant="primary", elem_id="sim-sup-login", elem_classes=["sim-btn"]), "login")
        login_msg = gr.HTML("", elem_id="sim-login-msg")
    with gr.Column(visible=False, elem_id="sim-sup-main") as main_col:
        with gr.Row():
            who = gr.HTML("", elem_id="sim-sup-who")
            logout = rl.value(gr.Button(t("logout", lg), size="sm", scale=0, elem_id="sim-sup-logout"), "logout")
        with gr.Tabs():
            with gr.Tab(t("t_editor", lg), id="editor") as tab_e:
                rl.label(tab_e, "t_editor")
                ed = _editor(ctx, st, lang_radio, rl)
            with gr.Tab(t("t_rubrics", lg), id="rubrics") as tab_r:
                rl.label(tab_r, "t_rubrics")
                _rubrics(ctx, st, lang_radio, rl)
            with gr.Tab(t("t_dashboard", lg), id="dashboard") as tab_d:
                rl.label(tab_d, "t_dashboard")
                dash = dashboard.build(ctx, st, lang_radio, rl)
            with gr.Tab(t("t_export", lg), id="export") as tab_x:
                rl.label(tab_x, "t_export")
                dashboard.build_export(ctx, st, lang_radio, rl, dash)
            with gr.Tab(t("t_accounts", lg), id="accounts") as tab_a:
                rl.label(tab_a, "t_accounts")
                accounts_tab.build(ctx, st, lang_radio, rl)

    def enter(token: str, lang: str, s: SupervisorState) -> list[Any]:
        """The tab once signed in (by the form, or by the session cookie on page load)."""
        name = services.auth.user_for(token) or ""
        files = scenario_files(services)
        return [s.model_copy(update={"token": token}), "", gr.update(visible=False), gr.update(visible=True),
                render.info_html(t("login_ok", lang, u=name)),
                gr.update(value=""), ] + [gr.update(choices=files, value=files[0] if files else None)]

    async def on_login(u: str, p: str, lang: str, s: SupervisorState,
                       request: gr.Request = None) -> list[Any]:  # type: ignore[assignment]
        address = request.client.host if request is not None and request.client else "?"
        try:
            # Failures are counted per account and per client address (limits.SignInLimiter) and logged.
            token = await blocking(services.auth.login, u or "", p or "", address)
            message = t("login_failed" if enabled else "sup_disabled", lang)
        except TooManyAttempts as e:
            token, message = None, str(e)
        if token is None:
            return [s, render.error_html(message),
                    gr.update(), gr.update(visible=False), "", gr.update(value=""), gr.update()]
        return enter(token, lang, s)

    outs = [st, login_msg, login_col, main_col, who, pw, ed["load_dd"]]
    # The dashboard is filled right after sign-in: nobody should have to click Refresh first.
    login.click(on_login, [user, pw, lang_radio, st], outs, api_name="supervisor_login",
                concurrency_limit=4).then(**dash["reload"])
    pw.submit(on_login, [user, pw, lang_radio, st], outs, api_visibility="private", concurrency_limit=4,
              concurrency_id="login").then(**dash["reload"])

    def on_logout(s: SupervisorState) -> list[Any]:
        services.auth.logout(s.token)
        return [SupervisorState(), "", gr.update(visible=enabled), gr.update(visible=False), "", gr.update(),
                gr.update()]

    logout.click(on_logout, [st], outs, api_visibility="private", concurrency_limit=4)

    def on_language(lang: str, s: SupervisorState) -> Any:
        name = services.auth.user_for(s.token)
        return gr.update() if name is None else render.info_html(t("login_ok", lang, u=name))

    lang_radio.change(on_language, [lang_radio, st], who, api_visibility="private", concurrency_limit=8)
    return {"state": st, "outputs": outs, "enter": enter}


def _editor(ctx: Ctx, st: gr.State, lang_radio: gr.Radio, rl: Relabeller) -> dict[str, Any]:
    services, lg = ctx.services, "ja"
    with gr.Row():
        load_dd = rl.label(gr.Dropdown([], label=t("load_scenario", lg), scale=3, elem_id="sim-ed-file"),
                           "load_scenario")
        load_btn = rl.value(gr.Button(t("load", lg), scale=1, elem_id="sim-ed-load", elem_classes=["sim-btn"]), "load")
        upload = rl.label(gr.UploadButton(t("upload_yaml", lg), file_types=[".yaml", ".yml"], type="filepath",
                                          scale=1, elem_id="sim-ed-upload", elem_classes=["sim-btn"]), "upload_yaml")
        rl.add(upload, lambda lang: gr.update(label=t("upload_yaml", lang)))
    code = rl.label(gr.Code("", language="yaml", lines=18, max_lines=18, label=t("yaml", lg), elem_id="sim-ed-code"),
                    "yaml")
    validation = gr.HTML("", elem_id="sim-ed-validation")
    with gr.Row():
        fname = rl.label(gr.Textbox(label=t("file_name", lg), scale=2, max_lines=1, elem_id="sim-ed-fname"),
                         "file_name")
        save = rl.value(gr.Button(t("save", lg), variant="primary", scale=1, elem_id="sim-ed-save", elem_classes=["sim-btn"]), "save")
        save_new = rl.value(gr.Button(t("save_new", lg), scale=1, elem_id="sim-ed-save-new", elem_classes=["sim-btn"]), "save_new")
    save_msg = gr.HTML("", elem_id="sim-ed-save-msg")
    phrase.build(lg, rl, code, fname, lang_radio, st, ctx.user)
    with gr.Accordion(t("try_draft", lg), open=False) as acc:
        rl.add(acc, lambda lang: gr.update(label=t("try_draft", lang)))
        try_start = rl.value(gr.Button(t("try_start", lg), elem_id="sim-try-start"), "try_start")
        try_chat = gr.Chatbot(height=260, render_markdown=False, allow_tags=False, feedback_options=None,
                              buttons=[], elem_id="sim-try-chat", show_label=False)
        with gr.Row():
            try_msg = rl.label(gr.Textbox(label=t("message", lg), scale=5, max_lines=3, elem_id="sim-try-msg"),
                               "message")
            try_send = rl.value(gr.Button(t("send", lg), scale=1, elem_id="sim-try-send", elem_classes=["sim-btn"]), "send")
        try_err = gr.HTML("")

    def on_load(fname_in: str | None, lang: str, s: SupervisorState) -> list[Any]:
        ctx.user(s, lang)
        if not fname_in or fname_in not in scenario_files(services):
            raise gr.Error(t("err_bad_filename", lang, f=fname_in or ""))
        text = (services.scenario_dir / fname_in).read_text(encoding="utf-8")
        s = s.model_copy(update={"loaded_file": fname_in, "loaded_hash": content_hash(text)})
        return [s, text, fname_in, validation_html(text, fname_in, lang), ""]

    load_btn.click(on_load, [load_dd, lang_radio, st], [st, code, fname, validation, save_msg],
                   api_name="editor_load", concurrency_limit=4)

    def on_upload(path: str | None, lang: str, s: SupervisorState) -> list[Any]:
        ctx.user(s, lang)
        try:
            text = Path(path or "").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise gr.Error(t("err_upload", lang, e=e)) from None
        name = Path(path or "draft.yaml").name.lower()
        s = s.model_copy(update={"loaded_file": None, "loaded_hash": None})
        return [s, text, name, validation_html(text, name, lang), ""]

    upload.upload(on_upload, [upload, lang_radio, st], [st, code, fname, validation, save_msg],
                  api_visibility="private", concurrency_limit=4)

    async def on_validate(text: str, fname_in: str, lang: str, s: SupervisorState) -> str:
        ctx.user(s, lang)
        return await blocking(validation_html, text or "", fname_in or "draft.yaml", lang)

    code.change(on_validate, [code, fname, lang_radio, st], validation, api_name="validate_scenario",
                trigger_mode="always_last", concurrency_limit=8, show_progress="hidden")
    validation.change(None, [validation], None, js=MARK_LINES_JS, api_visibility="private", queue=False)

    def saver(as_new: bool) -> Any:
        def on_save(text: str, fname_in: str, lang: str, s: SupervisorState) -> list[Any]:
            ctx.user(s, lang)
            try:
                s, msg = save_file(services, text or "", (fname_in or "").strip(), s, lang, as_new)
            except Denied as e:
                return [s, render.error_html(str(e)), gr.update()]
            files = scenario_files(services)
            return [s, render.info_html(msg), gr.update(choices=files, value=s.loaded_file)]
        return on_save

    save.click(saver(False), [code, fname, lang_radio, st], [st, save_msg, load_dd], api_name="editor_save",
               concurrency_limit=2, concurrency_id="save")
    save_new.click(saver(True), [code, fname, lang_radio, st], [st, save_msg, load_dd], api_name="editor_save_new",
                   concurrency_limit=2, concurrency_id="save")

    backend = services.draft_backend or services.backend

    def on_try_start(text: str, fname_in: str, lang: str, s: SupervisorState) -> list[Any]:
        ctx.user(s, lang)
        sc, found = validate_text(text or "", fname_in or "draft.yaml")
        if sc is None:
            return [s, gr.update(), render.error_html(t("err_invalid_draft", lang) + " "
                                                      + "; ".join(problems.line(p, lang) for p in found[:3]))]
        reply = backend.start(sc, seed=0)
        lines = [ChatLine(role="customer", text=reply.turn.text, at=reply.turn.at)] if reply.turn else []
        s = s.model_copy(update={"trial_scenario": sc, "trial_state": reply.state, "trial_lines": lines})
        return [s, render.chat_messages(lines), ""]

    try_start.click(on_try_start, [code, fname, lang_radio, st], [st, try_chat, try_err], api_name="editor_try_start",
                    concurrency_limit=8)

    async def on_try_send(message: str, lang: str, s: SupervisorState) -> list[Any]:
        ctx.user(s, lang)
        if s.trial_scenario is None or s.trial_state is None:
            return [s, gr.update(), render.error_html(t("err_not_started", lang)), gr.update()]
        if s.trial_state.ended:
            return [s, gr.update(), render.error_html(t("err_ended", lang)), gr.update()]
        try:
            text = check_message(message, lang)
        except UserError as e:
            return [s, gr.update(), render.error_html(str(e)), gr.update()]
        from simulator.customers.base import collect
        try:
            before = [Turn(role=x.role, text=x.text, at=x.at)
                      for x in s.trial_lines if x.role in ("customer", "trainee")]
            reply = await collect(backend.stream(s.trial_scenario, text, s.trial_state, transcript=before))
        except Exception as e:
            return [s, gr.update(), render.error_html(t("err_engine", lang, e=e)), gr.update()]
        lines = [*s.trial_lines, ChatLine(role="trainee", text=text, at=s.trial_state.clock)]
        if reply.turn is not None:
            lines.append(ChatLine(role="customer", text=reply.turn.text, at=reply.turn.at))
        s = s.model_copy(update={"trial_state": reply.state, "trial_lines": lines})
        return [s, render.chat_messages(lines), "", ""]

    try_send.click(on_try_send, [try_msg, lang_radio, st], [st, try_chat, try_err, try_msg],
                   api_name="editor_try_send", concurrency_limit=8)

    def on_language(text: str, fname_in: str, lang: str, s: SupervisorState) -> list[Any]:
        """Messages on screen follow a language switch: the draft is checked again in the new
        language; a save or trial message answered an earlier action and is cleared."""
        if services.auth.user_for(s.token) is None:
            return [gr.update(), gr.update(), gr.update()]
        check = validation_html(text, fname_in or "draft.yaml", lang) if (text or "").strip() else ""
        return [check, "", ""]

    lang_radio.change(on_language, [code, fname, lang_radio, st], [validation, save_msg, try_err],
                      api_visibility="private", concurrency_limit=8)
    return {"load_dd": load_dd}


def _rubrics(ctx: Ctx, st: gr.State, lang_radio: gr.Radio, rl: Relabeller) -> None:
    services, lg = ctx.services, "ja"
    ids = sorted(services.catalog.rubrics)
    with gr.Row():
        rdd = rl.label(gr.Dropdown(ids, value=ids[0] if ids else None, label=t("rubric", lg), scale=3), "rubric")
        show = rl.value(gr.Button(t("open", lg), scale=1, elem_id="sim-rubric-open", elem_classes=["sim-btn"]), "open")
    body = gr.HTML("", elem_id="sim-rubric")

    def on_show(rid: str | None, lang: str, s: SupervisorState) -> str:
        ctx.user(s, lang)
        if not rid or rid not in services.catalog.rubrics:
            raise gr.Error(t("err_unknown_rubric", lang, id=rid))
        return render.rubric_html(services.catalog.rubrics[rid], lang)

    show.click(on_show, [rdd, lang_radio, st], body, api_name="rubric_view", concurrency_limit=4)
    rdd.change(on_show, [rdd, lang_radio, st], body, api_visibility="private", concurrency_limit=4)

