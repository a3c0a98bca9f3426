"""The supervisor's Trainees tab: create an account, import a cohort from CSV, issue a new
one-time password. Passwords are shown once, here, and stored only as hashes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd

from simulator.web import render
from simulator.web.i18n import Relabeller
from simulator.web.services import blocking

if TYPE_CHECKING:
    from simulator.web.supervisor import Ctx

ISSUED_COLS = ["login", "name", "group", "one-time password"]
ACCOUNT_COLS = ["login", "name", "group", "role", "can sign in", "must change password"]
MAX_CSV_BYTES = 512 * 1024


def _issued(rows: list[Any]) -> pd.DataFrame:
    return pd.DataFrame([[i.login, i.name, i.cohort, i.password] for i in rows], columns=ISSUED_COLS)


def build(ctx: "Ctx", st: gr.State, lang_radio: gr.Radio, rl: Relabeller) -> None:
    services = ctx.services
    with gr.Row():
        name = gr.Textbox(label="Name / 氏名", max_lines=1, elem_id="sim-a-name", scale=2)
        login = gr.Textbox(label="Login id / ログインID", max_lines=1, elem_id="sim-a-login", scale=2)
        group = gr.Textbox(label="Group / グループ", max_lines=1, elem_id="sim-a-group", scale=1)
        role = gr.Dropdown(["trainee", "supervisor"], value="trainee", label="Role / 役割", scale=1)
        create = gr.Button("Create / 作成", variant="primary", elem_id="sim-a-create", scale=1)
    with gr.Row():
        csv_in = gr.File(label="Cohort CSV (name,login,group)", file_types=[".csv"], type="filepath",
                         elem_id="sim-a-csv", scale=3)
        reset_login = gr.Textbox(label="Login id for a new one-time password", max_lines=1, scale=2,
                                 elem_id="sim-a-reset-login")
        reset = gr.Button("New password / 再発行", elem_id="sim-a-reset", scale=1)
    msg = gr.HTML("", elem_id="sim-a-msg")
    issued = gr.Dataframe(_issued([]), interactive=False, label="Hand these over once / 一度だけ表示",
                          elem_id="sim-a-issued")
    listing = gr.Dataframe(pd.DataFrame(columns=ACCOUNT_COLS), interactive=False, label="Accounts",
                           elem_id="sim-a-list")
    refresh = gr.Button("Refresh / 更新", size="sm")

    def accounts() -> Any:
        if services.auth.accounts is None:
            raise gr.Error("accounts are not enabled on this server")
        return services.auth.accounts

    def listing_frame() -> pd.DataFrame:
        return pd.DataFrame([[a.login, a.name, a.cohort, a.role, a.has_password, a.must_change]
                             for a in accounts().all()], columns=ACCOUNT_COLS)

    async def run(action: Any, *args: Any) -> list[Any]:
        from simulator.accounts import AccountError
        try:
            rows = await blocking(action, *args)
        except AccountError as e:
            return [render.error_html(str(e)), gr.update(), gr.update()]
        return [render.info_html(f"{len(rows)} account(s) ready; hand over each one-time password — "
                                 "it is asked to be changed at the first sign-in"),
                _issued(rows), await blocking(listing_frame)]

    outs = [msg, issued, listing]

    async def on_create(n: str, lg: str, grp: str, r: str, lang: str, s: Any) -> list[Any]:
        ctx.user(s, lang)
        return await run(lambda: [accounts().create(lg or "", n or "", grp or "", "supervisor" if r == "supervisor"
                                                    else "trainee")])

    create.click(on_create, [name, login, group, role, lang_radio, st], outs, api_name="account_create",
                 concurrency_limit=2)

    async def on_import(path: str | None, lang: str, s: Any) -> list[Any]:
        ctx.user(s, lang)
        if not path:
            return [render.error_html("choose a CSV file first"), gr.update(), gr.update()]
        p = Path(path)
        if p.stat().st_size > MAX_CSV_BYTES:
            return [render.error_html(f"{p.name}: {p.stat().st_size} bytes; at most {MAX_CSV_BYTES}"),
                    gr.update(), gr.update()]
        try:
            text = p.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            return [render.error_html(f"{p.name}: not UTF-8 text ({e.reason} at byte {e.start})"),
                    gr.update(), gr.update()]
        return await run(accounts().import_csv, text)

    csv_in.upload(on_import, [csv_in, lang_radio, st], outs, api_name="account_import", concurrency_limit=1)

    async def on_reset(lg: str, lang: str, s: Any) -> list[Any]:
        ctx.user(s, lang)
        return await run(lambda: [accounts().issue_password(lg or "")])

    reset.click(on_reset, [reset_login, lang_radio, st], outs, api_name="account_reset_password",
                concurrency_limit=2)

    async def on_refresh(lang: str, s: Any) -> Any:
        ctx.user(s, lang)
        return await blocking(listing_frame)

    refresh.click(on_refresh, [lang_radio, st], listing, api_name="account_list", concurrency_limit=2)
