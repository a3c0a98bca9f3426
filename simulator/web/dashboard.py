"""Supervisor cohort dashboard (sessions, averages, trends, one session, overrides) and exports.

Reads go through simulator.store; exports reuse simulator.export.render_export so the files a
supervisor downloads are byte-for-byte what `simulator export` writes.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd

from simulator.models import Rubric
from simulator.scoring.card import final_total
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
    try:
        d1 = parse_day((since or "").strip() or None, t("since", lang))
        d2 = parse_day((until or "").strip() or None, t("until", lang))
    except ExportError as e:
        raise gr.Error(str(e)) from None
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


def frames(sessions: list[Any], rubric: Any, lang: str,
           rubrics: Mapping[str, Rubric]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    table = pd.DataFrame([[s.started_at.strftime("%Y-%m-%d %H:%M"), s.trainee, s.scenario, s.turn_count,
                           round(s.card.total, 1) if s.card else None, _final(s, rubrics),
                           s.card.judge if s.card else "", s.id]
                          for s in reversed(sessions)], columns=session_cols(lang))
    sums: dict[str, list[int]] = {}
    for s in sessions:
        for cid, sc in effective_scores(s).items():
            sums.setdefault(cid, []).append(sc)
    order = [c.id for c in rubric.criteria] if rubric else []
    titles = {c.id: c.title.get(lang) for c in rubric.criteria} if rubric else {}
    cids = [c for c in order if c in sums] + [c for c in sums if c not in order]
    avg = render.frame([{"criterion": render.chart_label(i, titles.get(cid, cid)),
                         "score": round(sum(sums[cid]) / len(sums[cid]), 2)} for i, cid in enumerate(cids)],
                       criterion=str, score=float)
    counts: dict[str, int] = {}
    trend_rows = []
    for s in sessions:  # oldest first: attempt numbers per trainee
        if s.card is None:
            continue
        counts[s.trainee] = counts.get(s.trainee, 0) + 1
        trend_rows.append({"attempt": counts[s.trainee], "total": s.card.total, "trainee": s.trainee})
    return table, avg, render.frame(trend_rows, attempt=int, total=float, trainee=str)


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
    table = rl.label(gr.Dataframe(pd.DataFrame(columns=session_cols(lg)), interactive=False, label=t("sessions", lg),
                                  max_height=320, elem_id="sim-d-sessions"), "sessions")
    with gr.Row():
        avg = rl.label(gr.BarPlot(render.frame([], criterion=str, score=float), x="criterion", y="score",
                                  y_lim=[0, 4], label=t("averages", lg), height=260), "averages")
        trend = rl.label(gr.LinePlot(None, x="attempt", y="total",  # None, not an empty frame: with one, Gradio never draws the colour series
                                     color="trainee", y_lim=[0, 100], x_axis_format="d", label=t("trends", lg), height=260), "trends")
    with gr.Row():
        sid = rl.label(gr.Dropdown([], allow_custom_value=True, label=t("session_id", lg), scale=3,
                                   elem_id="sim-d-session"), "session_id")
        open_btn = rl.value(gr.Button(t("open", lg), scale=1, elem_id="sim-d-open", elem_classes=["sim-btn"]), "open")
    with gr.Row():
        card = gr.HTML("", elem_id="sim-d-card")
        transcript = gr.HTML("", elem_id="sim-d-transcript")
    rl.value(gr.Markdown(f"#### {t('override', lg)}"), "override", prefix="#### ")
    with gr.Row():
        crit = rl.label(gr.Dropdown([], label=t("criterion", lg), elem_id="sim-d-crit"), "criterion")
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
        tab, av, tr_df = frames(sessions, services.rubric_or_none(), lang, services.catalog.rubrics)
        ids = [(f"{r[0]} · {r[1]} · {r[2]}", r[-1]) for r in tab.itertuples(index=False)]
        return [tab, av, tr_df, gr.update(choices=names), gr.update(choices=ids)]

    refresh.click(on_refresh, [*filters, lang_radio, st], [table, avg, trend, f_tr, sid], api_name="dashboard",
                  concurrency_limit=4)

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
        notes = "".join(f"<li>{render.safe(o.criterion)} → {o.score} ({render.safe(o.supervisor)}): "
                        f"{render.safe(o.comment)}</li>" for o in sess.overrides)
        if notes:
            card_html += f"<ul class='sim-overrides'>{notes}</ul>"
        crits = [c.id for c in sess.card.criteria] if sess.card else []
        return [card_html, render.transcript_html(sess.turns, sess.card, rubric, lang),
                gr.update(choices=crits, value=crits[0] if crits else None)]

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
            return [render.error_html(f"score must be a whole number 0-4, got {value}")] + [gr.update()] * 2
        try:
            await blocking(services.store.add_override, (session_id or "").strip(), cid, int(value),
                           note.strip(), user)
        except StoreError as e:
            return [render.error_html(str(e))] + [gr.update()] * 2
        card_html, transcript_html, _ = await on_open(session_id, lang, s)
        return [render.info_html(t("override_saved", lang, c=cid, s=int(value))), card_html, transcript_html]

    apply.click(on_apply, [sid, crit, score, comment, lang_radio, st], [msg, card, transcript],
                api_name="override_score", concurrency_limit=2)
    return {"filters": filters}


def build_export(ctx: "Ctx", st: gr.State, lang_radio: gr.Radio, rl: Relabeller, dash: dict[str, Any]) -> None:
    services, lg = ctx.services, "ja"
    with gr.Row():
        fmt = rl.label(gr.Radio(["csv", "json", "html", "pdf"], value="csv", label=t("format", lg),
                                elem_id="sim-x-format"), "format")
        go = rl.value(gr.Button(t("export", lg), variant="primary", elem_id="sim-x-go", elem_classes=["sim-btn"]), "export")
    out = rl.label(gr.File(label=t("download", lg), interactive=False, elem_id="sim-x-file"), "download")
    msg = gr.HTML("")

    async def on_export(fmt_in: str, tr: str | None, sc: str | None, since: str | None, until: str | None,
                        lang: str, s: Any) -> list[Any]:
        ctx.user(s, lang)
        from simulator.export import ExportError, NothingToReport, render_export, write_export
        from simulator.store import StoreError
        if fmt_in not in ("csv", "json", "html", "pdf"):
            raise gr.Error(f"unknown export format {fmt_in!r}")
        flt = _filter(tr, sc, since, until, lang)
        try:
            result = await blocking(render_export, services.store, flt, fmt_in)
            path = f"{tempfile.mkdtemp(prefix='sim-export-')}/sessions.{fmt_in}"
            await blocking(write_export, path, result.content)
        except NothingToReport:
            return [None, render.error_html(t("err_export", lang, e="no session matches the filters"))]
        except (ExportError, StoreError) as e:
            print(f"simulator export: {e}", file=sys.stderr)
            return [None, render.error_html(t("err_export", lang, e="see the server log"))]
        return [path, ""]

    go.click(on_export, [fmt, *dash["filters"], lang_radio, st], [out, msg], api_name="export",
             concurrency_limit=2)
