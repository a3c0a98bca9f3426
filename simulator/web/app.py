"""The Gradio app: header with the language switch, the trainee tab and the supervisor tab.

`build_app(services)` lays out the Blocks; `launch(...)` applies the serving limits (queue size,
threads, upload cap, file-serving paths) shared by `simulator serve` and the tests.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # never phone home

import gradio as gr  # noqa: E402

from simulator.web import supervisor, trainee  # noqa: E402
from simulator.web.auth import SupervisorAuth, SupervisorCredentials  # noqa: E402
from simulator.web.i18n import DEFAULT_LANG, LANG_CHOICES, Relabeller, t  # noqa: E402
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
    with gr.Blocks(title=t("app_title", DEFAULT_LANG), analytics_enabled=False) as demo:
        with gr.Row(elem_id="sim-header", equal_height=True):
            rl.value(gr.Markdown(f"# {t('app_title', DEFAULT_LANG)}", elem_id="sim-title"), "app_title", prefix="# ")
            lang = gr.Radio(LANG_CHOICES, value=DEFAULT_LANG, label=t("ui_language", DEFAULT_LANG),
                            elem_id="sim-lang", scale=0, min_width=220)
            rl.label(lang, "ui_language")
        with gr.Tabs(elem_id="sim-tabs"):
            with gr.Tab(t("tab_trainee", DEFAULT_LANG), id="trainee", elem_id="sim-tab-trainee") as tab_t:
                rl.label(tab_t, "tab_trainee")
                tui = trainee.build(services, lang, rl)
            with gr.Tab(t("tab_supervisor", DEFAULT_LANG), id="supervisor", elem_id="sim-tab-supervisor") as tab_s:
                rl.label(tab_s, "tab_supervisor")
                supervisor.build(services, lang, rl)
        lang.change(lambda lg: rl.updates(lg), lang, rl.components, api_visibility="private",
                    concurrency_limit=None, queue=False)

        # Scenarios saved by a supervisor appear for trainees on their next page load.
        def refresh_choices(lang_f: str, channel: str, diff: str) -> Any:
            choices = trainee.scenario_choices(services, lang_f, channel, diff)
            return gr.update(choices=choices, value=choices[0][1] if choices else None)

        demo.load(refresh_choices, [tui.f_lang, tui.f_channel, tui.f_diff], tui.scenario,
                  api_visibility="private", concurrency_limit=None, queue=False)
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True,
           quiet: bool = False, blocked: list[str] | None = None, routes: list[Any] | None = None) -> str:
    """Start serving; returns the local URL (blocks until stopped unless block=False). `routes`
    (e.g. `stream_api.routes(services)`) are served before Gradio's own."""
    demo.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=8)
    _, url, _ = demo.launch(
        server_name=host, server_port=port, max_threads=MAX_THREADS, max_file_size=MAX_FILE_SIZE,
        prevent_thread_lock=True, quiet=quiet, show_error=False, ssr_mode=False, footer_links=[],
        allowed_paths=[], blocked_paths=[".env", "data", *(blocked or [])], theme=THEME,
        css=CSS_PATH.read_text(encoding="utf-8"), mcp_server=False, pwa=False,
        app_kwargs={"routes": list(routes or [])})
    if block:
        print(f"Simulator web app: {url}", flush=True)
        # What startup built (catalog, app, compiled patterns) lives as long as the process:
        # frozen, it is left out of every later garbage collection (scoring allocates a lot).
        gc.freeze()
        try:
            demo.block_thread()
        finally:
            demo.close()
    return url


def default_services(backend_name: str | None = None) -> Services:
    """Services from the environment and the shipped files (what `simulator serve` runs on)."""
    from simulator.customers import make_backend
    from simulator.llm import LLMSettings
    from simulator.loading import data_dirs, default_catalog
    from simulator.scoring import make_scorer
    from simulator.store import Store

    settings = LLMSettings.from_env()
    name = backend_name or ("openai" if settings.configured else "scripted")
    catalog = default_catalog()
    for p in catalog.problems:
        print(f"warning: {p}", file=sys.stderr)
    return Services(
        catalog=catalog, store=Store(), backend=make_backend(name, settings if name == "openai" else None),
        scorer_for=lambda rubric: make_scorer("auto", rubric, settings),
        auth=SupervisorAuth(SupervisorCredentials.from_env()),
        scenario_dir=data_dirs()[0], draft_backend=make_backend("scripted"))


def cmd_serve(args: Any) -> int:
    try:
        services = default_services(args.backend)
    except Exception as e:  # bad DB URL, missing LLM settings: one clear line, no traceback
        print(f"simulator serve: {e}", file=sys.stderr)
        return 1
    if not services.auth.enabled:
        print("note: supervisor page disabled (set SIMULATOR_SUPERVISOR_USER and SIMULATOR_SUPERVISOR_PASSWORD)",
              file=sys.stderr)
    from simulator.web.stream_api import routes

    launch(build_app(services), args.host, args.port, routes=routes(services))
    return 0
