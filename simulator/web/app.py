"""The Gradio app: header with the language switch, the trainee tab and the supervisor tab.

`build_app(services)` lays out the Blocks; `launch(...)` applies the serving limits (queue size,
threads, upload cap, file-serving paths) shared by `simulator serve` and the tests.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # never phone home

import gradio as gr  # noqa: E402

from simulator.web import supervisor, trainee  # noqa: E402
from simulator.web.auth import Auth, ConfigError, SupervisorCredentials  # noqa: E402
from simulator.web.i18n import DEFAULT_LANG, LANG_CHOICES, Relabeller, t  # noqa: E402
from simulator.web import identity  # noqa: E402
from simulator.web.limits import DEFAULT_BODY_CAP, BodyCap, UploadCount, body_cap_from_env  # noqa: E402
from simulator.web.services import Services  # noqa: E402

QUEUE_MAX_SIZE = 256
MAX_THREADS = 160  # Gradio also caps async handlers with it: above trainee.SEND_LIMIT
MAX_FILE_SIZE = "512kb"  # scenario YAML uploads; the loader's own cap is 512 KiB too
CSS_PATH = Path(__file__).with_name("style.css")
# Local fonts only: the default theme would fetch Google Fonts, and the app must work offline.
THEME = gr.themes.Soft(font=["Noto Sans CJK JP", "Noto Sans JP", "ui-sans-serif", "system-ui", "sans-serif"],
                       font_mono=["Noto Sans Mono CJK JP", "ui-monospace", "monospace"])


def build_app(services: Services) -> gr.Blocks:
    rl = Relabeller()
    # Cached output files (exports) are deleted an hour after they were made.
    with gr.Blocks(title=t("app_title", DEFAULT_LANG), analytics_enabled=False,
                   delete_cache=(600, 3600)) as demo:
        with gr.Row(elem_id="sim-header", equal_height=True):
            rl.value(gr.Markdown(f"# {t('app_title', DEFAULT_LANG)}", elem_id="sim-title"), "app_title", prefix="# ")
            who = gr.HTML(identity.who_html(services, None, DEFAULT_LANG), elem_id="sim-who")
            lang = gr.Radio(LANG_CHOICES, value=DEFAULT_LANG, label=t("ui_language", DEFAULT_LANG),
                            elem_id="sim-lang", scale=0, min_width=220)
            rl.label(lang, "ui_language")
        with gr.Tabs(elem_id="sim-tabs"):
            with gr.Tab(t("tab_trainee", DEFAULT_LANG), id="trainee", elem_id="sim-tab-trainee") as tab_t:
                rl.label(tab_t, "tab_trainee")
                tui = trainee.build(services, lang, rl)
            with gr.Tab(t("tab_supervisor", DEFAULT_LANG), id="supervisor", elem_id="sim-tab-supervisor") as tab_s:
                rl.label(tab_s, "tab_supervisor")
                sup = supervisor.build(services, lang, rl)
        lang.change(lambda lg: rl.updates(lg), lang, rl.components, api_visibility="private",
                    concurrency_limit=None, queue=False)

        # Scenarios saved by a supervisor appear for trainees on their next page load.
        def refresh_choices(lang_f: str, channel: str, diff: str) -> Any:
            choices = trainee.scenario_choices(services, lang_f, channel, diff)
            return gr.update(choices=choices, value=choices[0][1] if choices else None)

        demo.load(refresh_choices, [tui.f_lang, tui.f_channel, tui.f_diff], tui.scenario,
                  api_visibility="private", concurrency_limit=None, queue=False)
        identity.wire(services, demo, lang, who, tui, sup)
    return demo


def _warm_reader() -> None:
    from simulator.language.model import model_for
    for language in ("ja", "en"):
        model_for(language)
    from simulator.language.features import featurize
    featurize("お電話ありがとうございます。", "ja")


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True,
           quiet: bool = False, blocked: list[str] | None = None, services: Services | None = None,
           body_cap: int = DEFAULT_BODY_CAP, routes: list[Any] | None = None) -> str:
    """Start serving; returns the local URL (blocks until stopped unless block=False).

    In front of Gradio's routes: the body cap (413 before parsing), the sign-in gate and the
    export guard (with `services`), and the sign-in pages; `routes` (the streaming turn API,
    `stream_api.routes(services)`) are served before Gradio's own."""
    from starlette.middleware import Middleware

    from simulator.web import signin
    from simulator.web.exports import ExportGuard
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=8)
    middleware = [Middleware(BodyCap, cap=body_cap)]
    served = list(routes or [])
    if services is not None:
        middleware += [Middleware(signin.SignInGate, auth=services.auth),
                       Middleware(UploadCount, auth=services.auth),
                       Middleware(ExportGuard, exports=services.exports, auth=services.auth)]
        served += signin.routes(services.auth)
    _, url, _ = demo.launch(app_kwargs={"middleware": middleware, "routes": served},
        server_name=host, server_port=port, max_threads=MAX_THREADS, max_file_size=MAX_FILE_SIZE,
        prevent_thread_lock=True, quiet=quiet, show_error=False, ssr_mode=False, footer_links=[],
        allowed_paths=[], blocked_paths=[".env", "data", *(blocked or [])], theme=THEME,
        css=CSS_PATH.read_text(encoding="utf-8"), mcp_server=False, pwa=False)
    if block:
        print(f"Simulator web app: {url}", flush=True)
        # The reader's models load after the page is up (not before it), so the first trainee
        # message does not wait for them either.
        threading.Thread(target=_warm_reader, name="warm-reader", daemon=True).start()
        # `simulator serve` starts with the collector off (cli.py: startup allocates much and frees
        # little); from here it runs as usual.
        gc.enable()
        try:
            demo.block_thread()
        finally:
            demo.close()
    return url


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def default_services(backend_name: str | None = None, host: str = "127.0.0.1") -> Services:
    """Services from the environment and the shipped files (what `simulator serve` runs on).

    Sign-in is required when the server listens beyond loopback, when any account has a
    password, or when SIMULATOR_REQUIRE_SIGNIN=1; otherwise it is a personal practice app."""
    from simulator.accounts import Accounts, secret_key, shared_limiter
    from simulator.customers import make_backend
    from simulator.llm import LLMSettings
    from simulator.loading import data_dirs, default_catalog
    from simulator.scoring import make_scorer
    from simulator.store import Store

    settings = LLMSettings.from_env()
    name = backend_name or ("openai" if settings.configured else "scripted")
    credentials = SupervisorCredentials.from_env()
    catalog = default_catalog()
    for p in catalog.problems:
        print(f"warning: {p}", file=sys.stderr)
    from simulator.web.oidc import OIDCSettings
    oidc = OIDCSettings.from_env()
    store = Store()
    accounts = Accounts(store)
    required = (host not in LOOPBACK or accounts.any_with_password() or oidc is not None
                or os.environ.get("SIMULATOR_REQUIRE_SIGNIN", "").strip() in ("1", "true", "yes"))
    if required and credentials is None and oidc is None and not accounts.any_with_password():
        store.close()
        raise ConfigError(
            f"listening on {host} needs accounts, and none exist yet. Create the first supervisor by starting "
            "with SIMULATOR_SUPERVISOR_USER=<login> SIMULATOR_SUPERVISOR_PASSWORD=<12+ characters>, sign in at "
            "/login and add trainees on the supervisor page (Trainees tab); or serve on 127.0.0.1 for personal practice")
    auth = Auth(credentials, accounts, secret=secret_key(store), require_signin=required, oidc=oidc,
                limiter=shared_limiter(store))
    return Services(
        catalog=catalog, store=store, backend=make_backend(name, settings if name == "openai" else None),
        scorer_for=lambda rubric: make_scorer("auto", rubric, settings), auth=auth,
        scenario_dir=data_dirs()[0], draft_backend=make_backend("scripted"))


def cmd_serve(args: Any) -> int:
    import logging
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        cap = body_cap_from_env()
        services = default_services(args.backend, args.host)
    except Exception as e:  # bad DB URL, weak password, missing LLM settings: one clear line, no traceback
        print(f"simulator serve: {e}", file=sys.stderr)
        return 1
    if services.auth.require_signin:
        print("sign-in required: trainees and supervisors sign in at /login", file=sys.stderr)
    else:
        print("personal practice mode: no sign-in on loopback (set SIMULATOR_REQUIRE_SIGNIN=1 or create "
              "accounts to require it)", file=sys.stderr)
    if services.auth.credentials is None and not services.auth.require_signin:
        print("note: supervisor page disabled (set SIMULATOR_SUPERVISOR_USER and SIMULATOR_SUPERVISOR_PASSWORD)",
              file=sys.stderr)
    from simulator.web.stream_api import routes

    launch(build_app(services), args.host, args.port, services=services, body_cap=cap, routes=routes(services))
    return 0
