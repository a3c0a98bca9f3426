"""Everything the browser shows that contains text from trainees, customers or YAML authors.

Rule: every such text is HTML-escaped here, and the chat is shown with Markdown rendering off.
Gradio renders raw HTML in chat messages even with render_markdown=False (an <img> to a remote
host would load), so escaping is what keeps script tags and remote images out, not Gradio.
"""

from __future__ import annotations

import html
import re
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel

from simulator.models import Rubric, Scenario, ScoreCard, Transcript, Turn
from simulator.scoring.hidden import leaks
from simulator.web.i18n import t

MAX_MESSAGE_CHARS = 2000
# C0 controls other than tab/newline only ever come from pasted junk; they break layout.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ChatLine(BaseModel):
    """One line of the on-screen chat: a turn, or a notice such as a hold."""

    role: Literal["customer", "trainee", "notice"]
    text: str
    at: str | None = None


def safe(text: str) -> str:
    return html.escape(_CONTROL.sub("", text), quote=True)


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
            title = _criterion_title(rubric, c.id, lang)
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


def _criterion_title(rubric: Rubric | None, cid: str, lang: str) -> str:
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
             f"<span class='sim-judge'>({safe(card.judge)})</span></div>"]
    for c in card.criteria:
        title = _criterion_title(rubric, c.id, lang)
        over = (overrides or {}).get(c.id)
        over_txt = f" → <b class='sim-override'>{over}</b>" if over is not None else ""
        bar = "".join("●" if i < c.score else "○" for i in range(c.max))
        parts.append(f"<div class='sim-crit' data-criterion='{safe(c.id)}'><h4>{safe(title)} "
                     f"<span class='sim-dots'>{bar}</span> {c.score}/{c.max}{over_txt}</h4>")
        if c.went_well or c.try_next:  # good points and next steps as two lists
            for key, items in (("went_well", c.went_well), ("try_next", c.try_next)):
                if items:
                    lis = "".join(f"<li>{safe(x)}</li>" for x in items)
                    parts.append(f"<div class='sim-{key.replace('_', '-')}'><b>{t(key, lang)}:</b><ul>{lis}</ul></div>")
        elif c.feedback:
            parts.append(f"<p class='sim-feedback'>{safe(c.feedback)}</p>")
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


def frame(rows: list[dict[str, Any]], **columns: type) -> pd.DataFrame:
    """A DataFrame with fixed column types, also when empty: the plots fix each axis's type
    (quantitative vs nominal) from the first value they get, and an empty untyped frame would
    make the score axis nominal for good."""
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=tp) for c, tp in columns.items()})
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def chart_frame(card: ScoreCard | None, rubric: Rubric | None, lang: str) -> pd.DataFrame:
    """Data for the per-criterion bar chart."""
    rows = [] if card is None else [
        {"criterion": chart_label(i, _criterion_title(rubric, c.id, lang)), "score": c.score}
        for i, c in enumerate(card.criteria)]
    return frame(rows, criterion=str, score=float)


def chart_label(index: int, title: str) -> str:
    """'1 共感' from '共感（手続きより先に気持ち）': short enough for an axis, numbered so the
    chart (which sorts its axis) keeps the rubric's order."""
    short = re.split(r"[（(]", title, maxsplit=1)[0].strip() or title
    return f"{index + 1} {short}"


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
