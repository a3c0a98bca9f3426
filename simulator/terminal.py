"""Plain-text views for the terminal (`simulator play`): the trainee brief before the contact and
the score card after it, in the scenario's language, with the web page's labels (web/i18n.py)."""

from __future__ import annotations

import textwrap
import unicodedata

from simulator.models import Rubric, Scenario, ScoreCard
from simulator.scoring.card import scorer_name
from simulator.web.i18n import t

WIDTH = 78


def cells(text: str) -> int:
    """Terminal columns: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wrap(text: str, indent: str = "  ") -> str:
    """Lines of at most WIDTH columns: English breaks at spaces, Japanese (no spaces) between
    characters, counting a wide character as two columns."""
    out = []
    for para in (p for p in text.splitlines() if p.strip()):
        if cells(para) == len(para):
            out.append(textwrap.fill(para, WIDTH, initial_indent=indent, subsequent_indent=indent))
            continue
        line = indent
        for ch in para:
            if cells(line + ch) > WIDTH:
                out.append(line)
                line = indent
            line += ch
        out.append(line)
    return "\n".join(out)


def rule(title: str) -> str:
    return f"== {title} " + "=" * max(3, WIDTH - cells(title) - 4)


def brief(scenario: Scenario) -> str:
    """What the trainee may know: title, channel, summary, context, order, goal (never the hidden needs)."""
    lang, b = scenario.language, scenario.brief
    out = [rule(t("brief", lang)), f"{scenario.title}  ({scenario.id})",
           f"{t(f'ch_{scenario.channel}', lang)} · {t(f'd_{scenario.difficulty}', lang)}", "",
           f"{t('b_summary', lang)}:", _wrap(b.summary)]
    if b.context:
        out += [f"{t('b_context', lang)}:", _wrap(b.context)]
    if b.order:
        width = max(cells(k) for k in b.order)
        out += [f"{t('b_order', lang)}:"] + [f"  {k}{' ' * (width - cells(k))}  {v}" for k, v in b.order.items()]
    if b.goal:
        out += [f"{t('b_goal', lang)}:", _wrap(b.goal)]
    return "\n".join(out) + "\n"


def card(score: ScoreCard, rubric: Rubric | None, scenario: Scenario) -> str:
    """Total, then per criterion: level, what went well, what to try next, the evidence quoted."""
    lang = scenario.language
    titles = {c.id: c.title.get(lang) for c in rubric.criteria} if rubric else {}
    out = [rule(t("score_card", lang)),
           f"{t('total', lang)}: {score.total:g} / 100   ({t('scored_by', lang, who=scorer_name(score, lang))}; "
           f"{t('rubric_used', lang, r=score.rubric)})"]
    for c in score.criteria:
        dots = "●" * c.score + "○" * (c.max - c.score)
        out += ["", f"{titles.get(c.id, c.id)}  {dots} {c.score}/{c.max}"]
        lists = [(t("went_well", lang), c.went_well), (t("try_next", lang), c.try_next)]
        if not (c.went_well or c.try_next):
            out.append(_wrap(c.feedback))
        for head, items in lists:
            if items:
                out.append(f"  {head}:")
                out += [_wrap(f"- {x}", "    ") for x in items]
        for e in c.evidence:
            out.append(_wrap(f"{t('evidence', lang)} #{e.turn}: 「{e.quote}」" if lang == "ja"
                             else f"{t('evidence', lang)} #{e.turn}: \"{e.quote}\"", "  "))
    if score.flags:
        out += ["", f"{t('flags', lang)}: {', '.join(score.flags)}"]
    return "\n".join(out) + "\n"
