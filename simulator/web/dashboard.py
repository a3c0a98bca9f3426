"""Supervisor cohort dashboard (sessions, averages, trends, one session, overrides) and exports.

Reads go through simulator.store; exports reuse simulator.export.render_export so the files a
supervisor downloads are byte-for-byte what `simulator export` writes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd
from pydantic import BaseModel, Field

from simulator import charts
from simulator.models import Rubric
from simulator.scoring.card import final_total, scorer_name
from simulator.web import render
from simulator.web.i18n import Relabeller, t
from simulator.web.services import blocking

if TYPE_CHECKING:
    from simulator.web.supervisor import Ctx

SESSION_KEYS = ["h_date", "h_trainee", "h_scenario", "h_turns", "h_total", "h_final", "h_judge", "h_id"]


def session_cols(lang: str) -> list[str]:
    return [t(k, lang) for k in SESSION_KEYS]


def _filter(trainee: str | None, scenario: str | None, since: str | None, until: str | None, lang: str) -> Any:
    from simulator.export import ExportError, parse_day
    from simulator.store import SessionFilter
    days = []
    for value, key in ((since, "since"), (until, "until")):
        try:
            days.append(parse_day((value or "").strip() or None, t(key, lang)))
        except ExportError:
            raise gr.Error(f"{t(key, lang)}: {t('err_bad_date', lang, d=value)}") from None
    d1, d2 = days
    return SessionFilter(trainee=trainee or None, scenario=scenario or None, since=d1, until=d2)


def effective_scores(s: Any) -> dict[str, int]:
    """criterion -> score, a supervisor's latest override replacing the AI's level."""
    if s.card is None:
        return {}
    scores = {c.id: c.score for c in s.card.criteria}
    scores.update(s.override_levels())
    return scores


def _final(s: Any, rubrics: Mapping[str, Rubric]) -> float | None:
    """The session's total with supervisors' levels first (None: unscored, or no rubric to weigh by)."""
    if s.card is None:
        return None
    found = final_total(s.card, s.override_levels(), rubrics.get(s.card.rubric))
    return None if found is None else round(found, 1)


def frames(sessions: list[Any], lang: str, rubrics: Mapping[str, Rubric]) -> pd.DataFrame:
    """The sessions table, newest first, headers in `lang`."""
    return pd.DataFrame([[s.started_at.strftime("%Y-%m-%d %H:%M"), s.trainee, s.scenario, s.turn_count,
                          round(s.card.total, 1) if s.card else None, _final(s, rubrics),
                          scorer_name(s.card, lang) if s.card else "", s.id]
                         for s in reversed(sessions)], columns=session_cols(lang))


def average_chart(sessions: list[Any], rubric: Rubric | None, lang: str) -> charts.BarChart | None:
    """Mean level per criterion (supervisors' levels first), rubric order; None when nothing is scored."""
    levels: dict[str, list[int]] = {}
    for s in sessions:
        for cid, sc in effective_scores(s).items():
            levels.setdefault(cid, []).append(sc)
    if not levels:
        return None
    order = [c.id for c in rubric.criteria] if rubric else []
    cids = [c for c in order if c in levels] + [c for c in levels if c not in order]
    return charts.BarChart(labels=[render.short_title(render.criterion_title(rubric, c, lang)) for c in cids],
                           series=[charts.BarSeries(name=t("averages", lang),
                                                    values=[sum(levels[c]) / len(levels[c]) for c in cids])],
                           value_title=t("axis_level", lang), value_format="{:.1f}")


class Trend(BaseModel):
    chart: charts.LineChart | None
    trainees: int = Field(description="trainees with a scored session; the chart shows at most MAX_LINES")


def trend_chart(sessions: list[Any], lang: str) -> Trend:
    """Total per attempt (each trainee's scored sessions, oldest first), one line per trainee;
    with many trainees, the most recently active are drawn and the filter picks any other."""
    by: dict[str, list[float]] = {}
    last: dict[str, Any] = {}
    for s in sessions:  # oldest first
        if s.card is not None:
            by.setdefault(s.trainee, []).append(s.card.total)
            last[s.trainee] = s.started_at
    if not by:
        return Trend(chart=None, trainees=0)
    shown = sorted(by, key=lambda n: last[n], reverse=True)[:charts.MAX_LINES]
    series = [charts.LineSeries(name=n, x=list(range(1, len(by[n]) + 1)), y=by[n]) for n in sorted(shown)]
    return Trend(chart=charts.LineChart(series=series, x_title=t("axis_attempt", lang), y_title=t("axis_total", lang)),
                 trainees=len(by))


def dashboard_view(sessions: list[Any], rubric: Rubric | None, lang: str,
                   rubrics: Mapping[str, Rubric]) -> tuple[pd.DataFrame, str, str, str]:
    """Table, summary line, averages chart and trend chart (HTML) for the filtered sessions."""
    table = frames(sessions, lang, rubrics)
    trend = trend_chart(sessions, lang)
    note = t("trend_more", lang, n=charts.MAX_LINES, total=trend.trainees) if trend.trainees > charts.MAX_LINES else ""
    scored = sum(1 for s in sessions if s.card is not None)
    summary = t("summary", lang, n=len(sessions), scored=scored, trainees=len({s.trainee for s in sessions}))
    return (table, render.info_html(summary) if sessions else render.info_html(t("no_sessions", lang)),
            render.chart_html(average_chart(sessions, rubric, lang), "sim-d-avg", lang),
            render.chart_html(trend.chart, "sim-d-trend", lang, note))


def build(ctx: "Ctx", st: gr.State, lang_radio: gr.Radio, rl: Relabeller) -> dict[str, Any]:
    services, lg = ctx.services, "ja"
    with gr.Row():
        f_tr = rl.label(gr.Dropdown([], value=None, allow_custom_value=True, label=t("filter_trainee", lg),
                                    elem_id="sim-d-trainee"), "filter_trainee")
        f_sc = rl.label(gr.Dropdown([""] + sorted(services.catalog.scenarios), value="", label=t("filter_scenario", lg),
                                    elem_id="sim-d-scenario"), "filter_scenario")
        f_since = rl.label(gr.Textbox(label=t("since", lg), max_lines=1, elem_id="sim-d-since"), "since")
        f_until = rl.label(gr.Textbox(label=t("until", lg), max_lines=1, elem_id="sim-d-until"), "until")
        refresh = rl.value(gr.Button(t("refresh", lg), variant="primary", elem_id="sim-d-refresh", elem_classes=["sim-btn"]), "refresh")
    summary = gr.HTML("", elem_id="sim-d-summary")
    table = rl.label(gr.Dataframe(pd.DataFrame(columns=session_cols(lg)), interactive=False, label=t("sessions", lg),
                                  max_height=320, elem_id="sim-d-sessions"), "sessions")
    # Charts are server-drawn SVG (simulator.charts): a point per attempt, whole-number attempt
    # ticks, translated axis titles and a legend that is never cut, at any width.
    with gr.Row(equal_height=False):
        with gr.Column(min_width=300):
            rl.value(gr.Markdown(f"#### {t('averages', lg)}"), "averages", prefix="#### ")
            avg = gr.HTML("", elem_id="sim-d-avg")
        with gr.Column(min_width=300):
            rl.value(gr.Markdown(f"#### {t('trends', lg)}"), "trends", prefix="#### ")
            trend = gr.HTML("", elem_id="sim-d-trend")
    with gr.Row():
        sid = rl.label(gr.Dropdown([], allow_custom_value=True, label=t("session_id", lg), scale=3,
                                   elem_id="sim-d-session"), "session_id")
        open_btn = rl.value(gr.Button(t("open", lg), scale=1, elem_id="sim-d-open", elem_classes=["sim-btn"]), "open")
    with gr.Row():
        card = gr.HTML("", elem_id="sim-d-card")
        transcript = gr.HTML("", elem_id="sim-d-transcript")
    rl.value(gr.Markdown(f"#### {t('override', lg)}"), "override", prefix="#### ")
    with gr.Row():
        crit = rl.label(gr.Dropdown([], label=t("criterion", lg), elem_id="sim-d-crit", scale=2, min_width=240),
                        "criterion")
        score = rl.label(gr.Number(value=2, precision=0, label=t("score", lg),
                                   elem_id="sim-d-score"), "score")
        comment = rl.label(gr.Textbox(label=t("comment", lg), scale=3, max_lines=3, elem_id="sim-d-comment"), "comment")
        apply = rl.value(gr.Button(t("apply_override", lg), variant="primary", elem_id="sim-d-apply", elem_classes=["sim-btn"]), "apply_override")
    msg = gr.HTML("")
    filters = [f_tr, f_sc, f_since, f_until]

    async def on_refresh(tr: str | None, sc: str | None, since: str | None, until: str | None, lang: str,
                         s: Any) -> list[Any]:
        ctx.user(s, lang)
        flt = _filter(tr, sc, since, until, lang)
        sessions = await blocking(services.store.sessions, flt, turns=False)
        names = await blocking(services.store.trainees)
        tab, note, av, tr_html = await blocking(dashboard_view, sessions, services.rubric_or_none(), lang,
                                                services.catalog.rubrics)
        ids = [(f"{r[0]} · {r[1]} · {r[2]}", r[-1]) for r in tab.itertuples(index=False)]
        return [tab, av, tr_html, gr.update(choices=names), gr.update(choices=ids), note]

    outs = [table, avg, trend, f_tr, sid, summary]
    refresh.click(on_refresh, [*filters, lang_radio, st], outs, api_name="dashboard", concurrency_limit=4)

    async def reload(tr: str | None, sc: str | None, since: str | None, until: str | None, lang: str,
                     s: Any) -> list[Any]:
        """The dashboard after a sign-in, a filter or language change, or an override: signed-out
        pages and half-typed dates leave it as it is instead of raising."""
        if services.auth.user_for(s.token) is None:
            return [gr.update()] * len(outs)
        try:
            return await on_refresh(tr, sc, since, until, lang, s)
        except gr.Error as e:
            return [gr.update()] * (len(outs) - 1) + [render.error_html(str(e.message))]

    reload_args: dict[str, Any] = {"fn": reload, "inputs": [*filters, lang_radio, st], "outputs": outs,
                                   "api_visibility": "private", "concurrency_limit": 4,
                                   "concurrency_id": "dashboard-reload", "show_progress": "hidden"}
    for f in (f_tr, f_sc):
        f.input(**reload_args)
    for f in (f_since, f_until):
        f.submit(**reload_args)
        f.blur(**reload_args)
    lang_radio.change(**reload_args)

    def on_select(evt: gr.SelectData, tab: pd.DataFrame) -> Any:
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        return gr.update(value=str(tab.iloc[row, -1]))  # the id is the last column

    table.select(on_select, [table], sid, api_visibility="private", concurrency_limit=None)

    async def on_open(session_id: str | None, lang: str, s: Any) -> list[Any]:
        ctx.user(s, lang)
        from simulator.store import StoreError
        try:
            sess = await blocking(services.store.get_session, (session_id or "").strip())
        except StoreError:
            raise gr.Error(t("err_no_session", lang, id=session_id)) from None
        rubric = services.rubric_or_none()
        sc = services.catalog.scenarios.get(sess.scenario)
        over = sess.override_levels()
        card_html = render.score_html(sess.card, rubric, sc, lang, over, turns=sess.turns) if sess.card else ""
        notes = "".join(f"<li>{render.safe(render.criterion_title(rubric, o.criterion, lang))} → {o.score} ({render.safe(o.supervisor)}): "
                        f"{render.safe(o.comment)}</li>" for o in sess.overrides)
        if notes:
            card_html += f"<ul class='sim-overrides'>{notes}</ul>"
        # (title, id): people read the rubric's names, the store keeps the ids
        crits = [(render.criterion_title(rubric, c.id, lang), c.id) for c in sess.card.criteria] if sess.card else []
        return [card_html, render.transcript_html(sess.turns, sess.card, rubric, lang),
                gr.update(choices=crits, value=crits[0][1] if crits else None)]

    open_btn.click(on_open, [sid, lang_radio, st], [card, transcript, crit], api_name="open_session",
                   concurrency_limit=4)

    async def on_apply(session_id: str | None, cid: str | None, value: float | None, note: str | None, lang: str,
                       s: Any) -> list[Any]:
        user = ctx.user(s, lang)
        from simulator.store import StoreError
        if not cid:
            return [render.error_html(t("err_no_criterion", lang))] + [gr.update()] * 2
        if not (note or "").strip():
            return [render.error_html(t("err_no_comment", lang))] + [gr.update()] * 2
        if value is None or int(value) != value or not 0 <= value <= 4:
            return [render.error_html(t("err_score_range", lang, v=value))] + [gr.update()] * 2
        try:
            await blocking(services.store.add_override, (session_id or "").strip(), cid, int(value),
                           note.strip(), user)
        except StoreError as e:
            return [render.error_html(str(e))] + [gr.update()] * 2
        card_html, transcript_html, _ = await on_open(session_id, lang, s)
        title = render.criterion_title(services.rubric_or_none(), cid, lang)
        return [render.info_html(t("override_saved", lang, c=title, s=int(value))), card_html, transcript_html]

    apply.click(on_apply, [sid, crit, score, comment, lang_radio, st], [msg, card, transcript],
                api_name="override_score", concurrency_limit=2).then(**reload_args)
    return {"filters": filters, "reload": reload_args}


def build_export(ctx: "Ctx", st: gr.State, lang_radio: gr.Radio, rl: Relabeller, dash: dict[str, Any]) -> None:
    services, lg = ctx.services, "ja"
    with gr.Row():
        fmt = rl.label(gr.Radio(["csv", "json", "html", "pdf"], value="csv", label=t("format", lg),
                                elem_id="sim-x-format"), "format")
        go = rl.value(gr.Button(t("export", lg), variant="primary", elem_id="sim-x-go", elem_classes=["sim-btn"]), "export")
    out = rl.label(gr.File(label=t("download", lg), interactive=False, elem_id="sim-x-file"), "download")
    msg = gr.HTML("")

    async def on_export(fmt_in: str, tr: str | None, sc: str | None, since: str | None, until: str | None,
                        lang: str, s: Any, request: gr.Request = None) -> list[Any]:  # type: ignore[assignment]
        ctx.user(s, lang)
        from simulator.export import ExportError, NothingToReport, render_export, write_export
        from simulator.store import StoreError
        if fmt_in not in ("csv", "json", "html", "pdf"):
            raise gr.Error(t("err_format", lang, f=fmt_in))
        flt = _filter(tr, sc, since, until, lang)
        try:
            result = await blocking(render_export, services.store, flt, fmt_in)
            path = str(services.exports.new_path(fmt_in))
            await blocking(write_export, path, result.content)
            signed_in = services.auth.principal(request)  # the file is served to this supervisor only
            services.exports.register(path, signed_in.login if signed_in else None)
        except NothingToReport:
            return [None, render.error_html(t("err_export", lang, e=t("no_sessions", lang)))]
        except (ExportError, StoreError) as e:
            print(f"simulator export: {e}", file=sys.stderr)
            return [None, render.error_html(t("err_export", lang, e=t("see_log", lang)))]
        return [path, ""]

    go.click(on_export, [fmt, *dash["filters"], lang_radio, st], [out, msg], api_name="export",
             concurrency_limit=2)
