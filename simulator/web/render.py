"""Everything the browser shows that contains text from trainees, customers or YAML authors.

Rule: every such text is HTML-escaped here, and the chat is shown with Markdown rendering off.
Gradio renders raw HTML in chat messages even with render_markdown=False (an <img> to a remote
host would load), so escaping is what keeps script tags and remote images out, not Gradio.
"""

from __future__ import annotations

import html
import re
from typing import Any, Literal

from pydantic import BaseModel

from simulator import charts
from simulator.models import CriterionScore, Rubric, Scenario, ScoreCard, Transcript, Turn
from simulator.scoring.card import scorer_name
from simulator.scoring.hidden import leaks
from simulator.textfile import strip_controls
from simulator.web.i18n import t

MAX_MESSAGE_CHARS = 2000
# C0 controls other than tab/newline only ever come from pasted junk; they break layout.


class ChatLine(BaseModel):
    """One line of the on-screen chat: a turn, or a notice such as a hold."""

    role: Literal["customer", "trainee", "notice"]
    text: str
    at: str | None = None


def safe(text: str) -> str:
    return html.escape(strip_controls(text), quote=True)


def chat_messages(lines: list[ChatLine]) -> list[dict[str, Any]]:
    """Chatbot messages (Gradio 6 takes only role/content dicts); customer = assistant side."""
    out: list[dict[str, Any]] = []
    for ln in lines:
        stamp = f"[{ln.at[:5]}] " if ln.at else ""
        if ln.role == "notice":
            out.append({"role": "user", "content": safe(ln.text)})
        else:
            out.append({"role": "assistant" if ln.role == "customer" else "user",
                        "content": stamp + safe(ln.text)})
    return out


def brief_html(scenario: Scenario, lang: str) -> str:
    """The brief: what the trainee may know. Hidden needs and persona internals never appear."""
    b = scenario.brief
    ch = t(f"ch_{scenario.channel}", lang)
    diff = t(f"d_{scenario.difficulty}", lang)
    parts = [f"<div class='sim-brief'><h3>{safe(scenario.title)}</h3>",
             f"<p class='sim-meta'>{safe(ch)} · {safe(diff)} · {safe(scenario.language.upper())}</p>",
             f"<p><b>{t('b_summary', lang)}:</b> {safe(b.summary)}</p>"]
    if b.context:
        parts.append(f"<p><b>{t('b_context', lang)}:</b> {safe(b.context)}</p>")
    if b.order:
        rows = "".join(f"<tr><th>{safe(k)}</th><td>{safe(v)}</td></tr>" for k, v in b.order.items())
        parts.append(f"<p><b>{t('b_order', lang)}:</b></p><table class='sim-order'>{rows}</table>")
    if b.goal:
        parts.append(f"<p><b>{t('b_goal', lang)}:</b> {safe(b.goal)}</p>")
    parts.append("</div>")
    return "".join(parts)


def clock_html(clock: str | None, status: str, label: str = "") -> str:
    shown = clock or "--:--:--"
    return (f"<div class='sim-clock'><span class='sim-clock-label'>{safe(label)}</span><span class='sim-clock-time' id='sim-clock-time'>{safe(shown)}</span>"
            f"<span class='sim-clock-status'>{safe(status)}</span></div>")


def error_html(message: str) -> str:
    return f"<div class='sim-error' role='alert'>⚠ {safe(message)}</div>" if message else ""


def info_html(message: str) -> str:
    return f"<div class='sim-info'>{safe(message)}</div>" if message else ""


def _highlight(text: str, quotes: list[tuple[str, str]]) -> str:
    """Escape `text`, wrapping each (quote, criterion) occurrence in <mark>; overlaps keep the first."""
    spans: list[tuple[int, int, str]] = []
    for quote, crit in quotes:
        if not quote:
            continue
        start = text.find(quote)
        if start < 0:
            continue  # the scorer guarantees substrings; a stray quote is simply not shown
        end = start + len(quote)
        if all(end <= s or start >= e for s, e, _ in spans):
            spans.append((start, end, crit))
    spans.sort()
    out, pos = [], 0
    for s, e, crit in spans:
        out.append(safe(text[pos:s]))
        out.append(f"<mark class='sim-evidence' title='{safe(crit)}'>{safe(text[s:e])}</mark>")
        pos = e
    out.append(safe(text[pos:]))
    return "".join(out)


def transcript_html(turns: list[Turn], card: ScoreCard | None, rubric: Rubric | None, lang: str) -> str:
    """The whole transcript, evidence quotes from the card highlighted in the turns they name."""
    by_turn: dict[int, list[tuple[str, str]]] = {}
    if card is not None:
        for c in card.criteria:
            title = criterion_title(rubric, c.id, lang)
            for ev in c.evidence:
                by_turn.setdefault(ev.turn, []).append((ev.quote, title))
    rows = []
    for i, turn in enumerate(turns):
        who = t("role_customer" if turn.role == "customer" else "role_trainee", lang)
        stamp = f"<span class='sim-at'>{safe(turn.at[:8])}</span>" if turn.at else ""
        body = _highlight(turn.text, by_turn.get(i, []))
        rows.append(f"<div class='sim-turn sim-{turn.role}'><div class='sim-who'>{safe(who)} {stamp}</div>"
                    f"<div class='sim-text'>{body}</div></div>")
    return "<div class='sim-transcript'>" + "".join(rows) + "</div>"


def feedback_html(c: CriterionScore, lang: str) -> str:
    """What went well and what to try next as two lists; a card without the lists (an LLM
    judge's own words, or one stored before they existed) shows its paragraph."""
    if not (c.went_well or c.try_next):
        return f"<p class='sim-feedback'>{safe(c.feedback)}</p>" if c.feedback else ""
    out = []
    for key, items, cls in (("went_well", c.went_well, "good"), ("try_next", c.try_next, "next")):
        if items:
            lis = "".join(f"<li>{safe(x)}</li>" for x in items)
            out.append(f"<div class='sim-fb sim-fb-{cls}'><b>{t(key, lang)}</b><ul>{lis}</ul></div>")
    return "".join(out)


def criterion_title(rubric: Rubric | None, cid: str, lang: str) -> str:
    if rubric is not None:
        for c in rubric.criteria:
            if c.id == cid:
                return c.title.get(lang)
    return cid


def score_html(card: ScoreCard, rubric: Rubric | None, scenario: Scenario | None, lang: str,
               overrides: dict[str, int] | None = None, turns: list[Turn] | None = None) -> str:
    """Total, per-criterion score with feedback, model phrases and flags, all escaped.

    Model phrases that name a hidden need's facts are shown only when `turns` (the conversation)
    said them: without the conversation, none that names one."""
    said = Transcript(scenario=card.scenario, turns=turns or [])
    parts = [f"<div class='sim-card'><div class='sim-total'>{t('total', lang)}: "
             f"<b id='sim-total'>{card.total:.1f}</b> / 100 "
             f"<span class='sim-judge' id='sim-judge'>{safe(t('scored_by', lang, who=scorer_name(card, lang)))}</span></div>"]
    for c in card.criteria:
        title = criterion_title(rubric, c.id, lang)
        over = (overrides or {}).get(c.id)
        over_txt = f" → <b class='sim-override'>{over}</b>" if over is not None else ""
        bar = "".join("●" if i < c.score else "○" for i in range(c.max))
        parts.append(f"<div class='sim-crit' data-criterion='{safe(c.id)}'><h4>{safe(title)} "
                     f"<span class='sim-dots'>{bar}</span> {c.score}/{c.max}{over_txt}</h4>")
        parts.append(feedback_html(c, lang))
        phrases = [p for p in (scenario.model_phrases.get(c.id, []) if scenario is not None else [])
                   if not leaks(p, scenario, said)]
        if phrases:
            items = "".join(f"<li>{safe(p)}</li>" for p in phrases[:3])
            parts.append(f"<div class='sim-phrases'><b>{t('model_phrases', lang)}:</b><ul>{items}</ul></div>")
        parts.append("</div>")
    if card.flags:
        flags = ", ".join(safe(f) for f in card.flags)
        parts.append(f"<p class='sim-flags'>{t('flags', lang)}: {flags}</p>")
    parts.append("</div>")
    return "".join(parts)


def card_chart(card: ScoreCard | None, rubric: Rubric | None, lang: str) -> str:
    """The card's level per criterion as a bar chart (HTML), rubric order top-down."""
    chart = None if card is None else charts.BarChart(
        labels=[short_title(criterion_title(rubric, c.id, lang)) for c in card.criteria],
        series=[charts.BarSeries(name=t("score", lang), values=[c.score for c in card.criteria])],
        value_title=t("axis_card_level", lang), value_format="{:g}")
    return chart_html(chart, "sim-chart", lang, title=t("chart", lang))


def chart_html(chart: charts.BarChart | charts.LineChart | None, elem: str, lang: str, note: str = "",
               title: str = "") -> str:
    """A chart as inline SVG in a box with id `elem`-svg (under `title`), or the localised empty state."""
    head = f"<h4 class='sim-chart-title'>{safe(title)}</h4>" if title else ""
    if chart is None:
        return f"{head}<div class='sim-empty' id='{elem}-empty'>{safe(t('no_scored', lang))}</div>"
    fig = charts.bar_figure(chart) if isinstance(chart, charts.BarChart) else charts.line_figure(chart)
    caption = f"<p class='sim-chart-note'>{safe(note)}</p>" if note else ""
    return f"{head}<div class='sim-chart' id='{elem}-svg'>{charts.to_svg(fig)}</div>{caption}"


def short_title(title: str) -> str:
    """'共感' from '共感（手続きより先に気持ち）': short enough for a chart axis."""
    return re.split(r"[（(]", title, maxsplit=1)[0].strip() or title


def rubric_html(rubric: Rubric, lang: str) -> str:
    parts = [f"<div class='sim-rubric'><h3>{safe(rubric.title.get(lang))} <code>{safe(rubric.id)}</code></h3>"]
    if rubric.description:
        parts.append(f"<p>{safe(rubric.description)}</p>")
    for c in rubric.criteria:
        levels = "".join(f"<tr><td>{lv.score}</td><td>{safe(lv.descriptor.get(lang))}</td></tr>" for lv in c.levels)
        parts.append(f"<h4>{safe(c.title.get(lang))} <code>{safe(c.id)}</code> × {c.weight:g}</h4>"
                     f"<p>{safe(c.description.get(lang))}</p><table class='sim-levels'>{levels}</table>")
    parts.append("</div>")
    return "".join(parts)
