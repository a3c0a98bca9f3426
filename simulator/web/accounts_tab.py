"""The supervisor's Trainees tab: create an account, import a cohort from CSV, issue a new
one-time password. Passwords are shown once, here, and stored only as hashes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd

from simulator.web import render
from simulator.web.i18n import Relabeller, t
from simulator.web.services import blocking

if TYPE_CHECKING:
    from simulator.web.supervisor import Ctx

ISSUED_COLS = ["login", "name", "group", "one-time password"]
ACCOUNT_COLS = ["login", "name", "group", "role", "can sign in", "must change password"]
MAX_CSV_BYTES = 512 * 1024


def _issued(rows: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([[i.login, i.name, i.cohort, i.password] for i in rows], columns=ISSUED_COLS)


def build(ctx: "Ctx", st: gr.State, lang_radio: gr.Radio, rl: Relabeller) -> None:
    services, lg = ctx.services, "ja"
    with gr.Row():
        name = rl.label(gr.Textbox(label=t("a_name", lg), max_lines=1, elem_id="sim-a-name", scale=2), "a_name")
        login = rl.label(gr.Textbox(label=t("a_login", lg), max_lines=1, elem_id="sim-a-login", scale=2), "a_login")
        group = rl.label(gr.Textbox(label=t("a_group", lg), max_lines=1, elem_id="sim-a-group", scale=1), "a_group")
        role = rl.label(gr.Dropdown(["trainee", "supervisor"], value="trainee", label=t("a_role", lg), scale=1),
                        "a_role")
        create = rl.value(gr.Button(t("a_create", lg), variant="primary", elem_id="sim-a-create", scale=1),
                          "a_create")
    with gr.Row():
        csv_in = rl.label(gr.File(label=t("a_csv", lg), file_types=[".csv"], type="filepath", elem_id="sim-a-csv",
                                  scale=3), "a_csv")
        reset_login = rl.label(gr.Textbox(label=t("a_reset_login", lg), max_lines=1, scale=2,
                                          elem_id="sim-a-reset-login"), "a_reset_login")
        reset = rl.value(gr.Button(t("a_reset", lg), elem_id="sim-a-reset", scale=1), "a_reset")
    msg = gr.HTML("", elem_id="sim-a-msg")
    issued = rl.label(gr.Dataframe(_issued([]), interactive=False, label=t("a_issued", lg), elem_id="sim-a-issued"),
                      "a_issued")
    listing = rl.label(gr.Dataframe(pd.DataFrame(columns=ACCOUNT_COLS), interactive=False, label=t("a_list", lg),
                                    elem_id="sim-a-list"), "a_list")
    refresh = rl.value(gr.Button(t("a_refresh", lg), size="sm"), "a_refresh")

    def accounts(lang: str) -> Any:
        if services.auth.accounts is None:
            raise gr.Error(t("a_disabled", lang))
        return services.auth.accounts

    def listing_frame(lang: str) -> pd.DataFrame:
        return pd.DataFrame([[a.login, a.name, a.cohort, a.role, a.has_password or a.sso, a.must_change]
                             for a in accounts(lang).all()], columns=ACCOUNT_COLS)

    async def run(lang: str, action: Any, *args: Any) -> list[Any]:
        from simulator.accounts import AccountError
        try:
            rows = await blocking(action, *args)
        except AccountError as e:
            return [render.error_html(str(e)), gr.update(), gr.update()]
        return [render.info_html(t("a_ready", lang, n=len(rows))), _issued(rows),
                await blocking(listing_frame, lang)]

    outs = [msg, issued, listing]

    async def on_create(n: str, lg: str, grp: str, r: str, lang: str, s: Any) -> list[Any]:
        ctx.user(s, lang)
        return await run(lang, lambda: [accounts(lang).create(lg or "", n or "", grp or "",
                                                              "supervisor" if r == "supervisor" else "trainee")])

    create.click(on_create, [name, login, group, role, lang_radio, st], outs, api_name="account_create",
                 concurrency_limit=2)

    async def on_import(path: str | None, lang: str, s: Any) -> list[Any]:
        ctx.user(s, lang)
        if not path:
            return [render.error_html(t("a_no_csv", lang)), gr.update(), gr.update()]
        p = Path(path)
        if p.stat().st_size > MAX_CSV_BYTES:
            return [render.error_html(f"{p.name}: {p.stat().st_size} bytes; at most {MAX_CSV_BYTES}"),
                    gr.update(), gr.update()]
        try:
            text = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            return [render.error_html(f"{p.name}: not UTF-8 text ({e.reason} at byte {e.start})"),
                    gr.update(), gr.update()]
        return await run(lang, accounts(lang).import_csv, text)

    csv_in.upload(on_import, [csv_in, lang_radio, st], outs, api_name="account_import", concurrency_limit=1)

    async def on_reset(lg: str, lang: str, s: Any) -> list[Any]:
        ctx.user(s, lang)
        return await run(lang, lambda: [accounts(lang).issue_password(lg or "")])

    reset.click(on_reset, [reset_login, lang_radio, st], outs, api_name="account_reset_password",
                concurrency_limit=2)

    async def on_refresh(lang: str, s: Any) -> Any:
        ctx.user(s, lang)
        return await blocking(listing_frame, lang)

    refresh.click(on_refresh, [lang_radio, st], listing, api_name="account_list", concurrency_limit=2)
