"""Who the page is for: the header line (signed in as ..., or personal practice mode) and what
the session cookie unlocks when the page loads (the trainee's name, the supervisor tab)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from simulator.web import render
from simulator.web.auth import Principal
from simulator.web.i18n import t
from simulator.web.services import Services

SIGN_OUT_FORM = ("<form method='post' action='/auth/logout' style='display:inline'>"
                 "<button id='sim-signout' type='submit'>{label}</button></form>")


def who_html(services: Services, p: Principal | None, lang: str) -> str:
    auth = services.auth
    if p is not None:
        role = t("account_" + p.role, lang)
        return (f"<div id='sim-who-line'>{render.safe(t('signed_in_as', lang, u=p.name, login=p.login, role=role))} "
                + SIGN_OUT_FORM.format(label=render.safe(t("sign_out", lang))) + "</div>")
    if auth.require_signin:
        return ""  # the gate sends anonymous visitors to /login before this page loads
    link = f" <a href='/login' id='sim-signin-link'>{render.safe(t('sign_in', lang))}</a>" if auth.credentials else ""
    return f"<div id='sim-practice-mode' class='sim-info'>{render.safe(t('practice_mode', lang))}{link}</div>"


def wire(services: Services, demo: gr.Blocks, lang: gr.Radio, who: gr.HTML, tui: Any,
         sup: dict[str, Any]) -> None:
    """On page load: fill the header, fix the trainee's name to the account and show her own
    history, open the supervisor tab for a signed-in supervisor (so a reload keeps the sign-in)."""
    from simulator.web.session import history_frames, open_choices

    async def on_load(lang_v: str, s: Any, request: gr.Request) -> list[Any]:
        p = services.auth.principal(request)
        if p is None:
            return [who_html(services, None, lang_v), gr.update(), gr.skip(), gr.skip(), gr.skip()] + \
                [gr.update() for _ in sup["outputs"]]
        out = [who_html(services, p, lang_v), gr.update(value=p.login, interactive=False),
               *await history_frames(services, p.login, lang_v),
               gr.update(choices=[("", ""), *await open_choices(services, p.login)], value="")]
        if p.role == "supervisor" and services.auth.user_for(s.token) is None:
            return out + sup["enter"](services.auth.token_for(p), lang_v, s)
        return out + [gr.update() for _ in sup["outputs"]]

    demo.load(on_load, [lang, sup["state"]], [who, tui.name, tui.history, tui.trend, tui.resume_pick, *sup["outputs"]],
              api_visibility="private", concurrency_limit=None, queue=False)

    def on_lang(lang_v: str, request: gr.Request) -> str:
        return who_html(services, services.auth.principal(request), lang_v)

    lang.change(on_lang, [lang], who, api_visibility="private", concurrency_limit=None, queue=False)
