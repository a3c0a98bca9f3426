"""Coaching reports: what a coach prints for one session or one trainee.

`build` turns stored sessions into a typed CoachingReport (scores, supervisor overrides,
feedback, the transcript cut into segments with evidence quotes marked, and PNG charts); the
HTML writer below and report_pdf.py both render that one model, so the two formats say the
same thing. Charts use IPAexGothic (matplotlib-fontja) so Japanese labels render.
"""

from __future__ import annotations

import base64
import html
import io
import os
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field

from simulator.models import Evidence, Role, Rubric
from simulator.scoring.card import final_total
from simulator.store import StoredSession

if TYPE_CHECKING:
    from simulator.loading import Catalog

CHART_DPI = 110


class Titles(BaseModel):
    """What the report takes from the catalog: display names (ids are shown where a name is
    unknown) and the rubrics, whose weights turn supervisors' levels into a final total."""

    scenarios: dict[str, str] = Field(default_factory=dict)
    criteria: dict[str, dict[str, str]] = Field(default_factory=dict, description="id -> {ja, en}")
    rubrics: dict[str, Rubric] = Field(default_factory=dict)

    def criterion(self, cid: str, language: str) -> str:
        t = self.criteria.get(cid)
        return t.get(language, cid) if t else cid


class Segment(BaseModel):
    text: str
    criteria: list[str] = Field(default_factory=list, description="evidence for these criteria (highlighted)")


class Line(BaseModel):
    index: int
    role: Role
    at: str | None = None
    segments: list[Segment]


class CriterionRow(BaseModel):
    id: str
    title: str
    ai: int | None = None
    max: int = 4
    supervisor: int | None = None
    supervisor_name: str = ""
    supervisor_comment: str = ""
    feedback: str = ""
    went_well: list[str] = Field(default_factory=list)
    try_next: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class Attempt(BaseModel):
    session_id: str
    scenario: str
    started_at: datetime
    total: float | None = None


class SessionSection(BaseModel):
    id: str
    trainee: str
    scenario: str
    scenario_title: str
    language: str
    backend: str
    started_at: datetime
    ended_at: datetime | None = None
    judge: str | None = None
    rubric: str | None = None
    total: float | None = None
    final_total: float | None = None  # with supervisors' levels; None when it cannot be weighed
    flags: list[str] = Field(default_factory=list)
    criteria: list[CriterionRow] = Field(default_factory=list)
    transcript: list[Line] = Field(default_factory=list)
    chart_png: bytes | None = None


class CriterionAverage(BaseModel):
    """Mean level over the reported sessions; `final` counts a supervisor's override over the AI."""

    id: str
    title: str
    ai: float
    final: float
    sessions: int


class TraineeSection(BaseModel):
    trainee: str
    attempts: list[Attempt]
    trend_png: bytes | None = None
    averages: list[CriterionAverage] = Field(default_factory=list)
    sessions: list[SessionSection]


class CoachingReport(BaseModel):
    language: str
    trainees: list[TraineeSection]


LABELS = {
    "ja": {"title": "コーチングレポート", "trainee": "研修生", "scenario": "シナリオ", "started": "開始 (UTC)",
           "ended": "終了 (UTC)", "judge": "採点", "total": "総合点", "criterion": "評価項目", "ai": "AI",
           "supervisor": "スーパーバイザー", "feedback": "フィードバック", "evidence": "根拠",
           "went_well": "良かった点", "try_next": "次に試すこと",
           "transcript": "会話記録", "trend": "受講の推移", "attempt": "回", "flags": "注意",
           "customer": "お客様", "trainee_role": "研修生", "open": "未終了", "none": "なし",
           "unscored": "未採点", "averages": "評価項目ごとの平均 (0-4)", "final": "確定 (SV優先)"},
    "en": {"title": "Coaching report", "trainee": "Trainee", "scenario": "Scenario", "started": "Started (UTC)",
           "ended": "Ended (UTC)", "judge": "Judge", "total": "Total", "criterion": "Criterion", "ai": "AI",
           "supervisor": "Supervisor", "feedback": "Feedback", "evidence": "Evidence",
           "went_well": "Went well", "try_next": "Try next",
           "transcript": "Transcript", "trend": "Attempts over time", "attempt": "attempt", "flags": "Flags",
           "customer": "Customer", "trainee_role": "Trainee", "open": "not ended", "none": "none",
           "unscored": "not scored", "averages": "Average level per criterion (0-4)",
           "final": "Final (supervisor first)"},
}


def export_catalog(warn: TextIO | None, lacking: str) -> Catalog | None:
    """The configured catalog for an export; when it cannot load, say what the export lacks
    (`lacking`) and go on: a broken scenario file must not block a coach's export."""
    try:
        from simulator.loading import default_catalog
        return default_catalog()
    except Exception as e:  # noqa: BLE001 - any load failure is reported the same way
        if warn is not None:
            print(f"note: catalog unavailable ({type(e).__name__}: {e}); {lacking}", file=warn)
        return None


def catalog_titles(warn: TextIO | None = None) -> Titles:
    """Titles from the shipped catalog; when it cannot load, say so and fall back to ids."""
    cat = export_catalog(warn, "showing ids instead of titles")
    if cat is None:
        return Titles()
    crit: dict[str, dict[str, str]] = {}
    for rub in cat.rubrics.values():
        for c in rub.criteria:
            crit.setdefault(c.id, {"ja": c.title.ja, "en": c.title.en})
    return Titles(scenarios={k: v.title for k, v in cat.scenarios.items()}, criteria=crit, rubrics=dict(cat.rubrics))


# ------------------------------------------------------------------------------ build


def segments(text: str, marks: list[tuple[str, str]]) -> list[Segment]:
    """Cut `text` so each (criterion, quote) found in it becomes a highlighted segment."""
    cover: list[set[str]] = [set() for _ in text]
    for cid, quote in marks:
        if not quote:
            continue
        start = text.find(quote)
        while start != -1:
            for i in range(start, start + len(quote)):
                cover[i].add(cid)
            start = text.find(quote, start + len(quote))
    out: list[Segment] = []
    for ch, cs in zip(text, cover):
        crit = sorted(cs)
        if out and out[-1].criteria == crit:
            out[-1].text += ch
        else:
            out.append(Segment(text=ch, criteria=crit))
    return out or [Segment(text="")]


def _feedback_html(r: CriterionRow, L: dict[str, str]) -> str:
    """Good points and next steps as two lists; the paragraph when the card has no lists
    (an LLM judge's own words, or a card stored before the lists existed)."""
    if not (r.went_well or r.try_next):
        return _e(r.feedback)
    out = ""
    for key, items in (("went_well", r.went_well), ("try_next", r.try_next)):
        if items:
            out += f'<div class="{key}"><b>{L[key]}</b><ul>' + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul></div>"
    return out


def session_section(s: StoredSession, titles: Titles) -> SessionSection:
    ov = s.latest_overrides()
    rows: list[CriterionRow] = []
    marks: dict[int, list[tuple[str, str]]] = {}
    if s.card:
        for c in s.card.criteria:
            o = ov.get(c.id)
            rows.append(CriterionRow(id=c.id, title=titles.criterion(c.id, s.language), ai=c.score, max=c.max,
                                     supervisor=o.score if o else None, supervisor_name=o.supervisor if o else "",
                                     supervisor_comment=o.comment if o else "", feedback=c.feedback,
                                     went_well=c.went_well, try_next=c.try_next, evidence=c.evidence))
            for e in c.evidence:
                marks.setdefault(e.turn, []).append((c.id, e.quote))
    for cid, o in ov.items():  # an override for a criterion the card lacks still shows
        if not any(r.id == cid for r in rows):
            rows.append(CriterionRow(id=cid, title=titles.criterion(cid, s.language), supervisor=o.score,
                                     supervisor_name=o.supervisor, supervisor_comment=o.comment))
    lines = [Line(index=i, role=t.role, at=t.at, segments=segments(t.text, marks.get(i, [])))
             for i, t in enumerate(s.turns)]
    return SessionSection(
        id=s.id, trainee=s.trainee, scenario=s.scenario, scenario_title=titles.scenarios.get(s.scenario, s.scenario),
        language=s.language, backend=s.backend, started_at=s.started_at, ended_at=s.ended_at,
        judge=s.card.judge if s.card else None, rubric=s.card.rubric if s.card else None,
        total=s.card.total if s.card else None, flags=list(s.card.flags) if s.card else [], criteria=rows,
        final_total=final_total(s.card, s.override_levels(), titles.rubrics.get(s.card.rubric))
        if s.card else None,
        transcript=lines, chart_png=criteria_chart(rows) if rows else None)


def build(sessions: list[StoredSession], history: list[StoredSession] | None = None,
          titles: Titles | None = None) -> CoachingReport:
    """One section per trainee (first-seen order). `history` (turns not needed) feeds the trend;
    by default the trend covers the sessions being reported."""
    titles = titles or Titles()
    by_trainee: dict[str, list[StoredSession]] = {}
    for s in sessions:
        by_trainee.setdefault(s.trainee, []).append(s)
    out = []
    for trainee, mine in by_trainee.items():
        past = [h for h in (history or sessions) if h.trainee == trainee] or mine
        attempts = [Attempt(session_id=h.id, scenario=h.scenario, started_at=h.started_at,
                            total=h.card.total if h.card else None)
                    for h in sorted(past, key=lambda h: (h.started_at, h.id))]
        scored = [a for a in attempts if a.total is not None]
        sections = [session_section(s, titles) for s in mine]
        out.append(TraineeSection(trainee=trainee, attempts=attempts,
                                  trend_png=trend_chart(scored, {s.id for s in mine}) if scored else None,
                                  averages=averages(sections), sessions=sections))
    return CoachingReport(language=sessions[0].language if sessions else "ja", trainees=out)


def averages(sections: list[SessionSection]) -> list[CriterionAverage]:
    """Per criterion (first-seen order), over the sessions with an AI level for it."""
    rows: dict[str, list[CriterionRow]] = {}
    for s in sections:
        for r in s.criteria:
            if r.ai is not None:
                rows.setdefault(r.id, []).append(r)
    return [CriterionAverage(id=cid, title=rs[0].title, sessions=len(rs),
                             ai=round(sum(r.ai or 0 for r in rs) / len(rs), 2),
                             final=round(sum(r.supervisor if r.supervisor is not None else (r.ai or 0)
                                             for r in rs) / len(rs), 2))
            for cid, rs in rows.items()]


# ----------------------------------------------------------------------------- charts


def _png(fig: object) -> bytes:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    # No Software/date metadata: the same report gives the same bytes.
    fig.savefig(buf, format="png", dpi=CHART_DPI, metadata={"Software": None})  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buf.getvalue()


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib
    matplotlib.use("Agg")  # no display in servers and tests
    import matplotlib_fontja  # noqa: F401  (registers IPAexGothic as the default family)
    import matplotlib.pyplot as plt
    return plt


def criteria_chart(rows: list[CriterionRow]) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 0.55 * len(rows) + 1.3))
    ys = list(range(len(rows)))[::-1]
    sup = [(y, r.supervisor) for y, r in zip(ys, rows) if r.supervisor is not None]
    shift, height = (0.18, 0.34) if sup else (0.0, 0.5)  # side by side only when there is a pair
    ax.barh([y + shift for y in ys], [r.ai or 0 for r in rows], height=height, color="#4477aa", label="AI")
    if sup:
        ax.barh([y - shift for y, _ in sup], [v for _, v in sup], height=height, color="#ee7733",
                label="スーパーバイザー / Supervisor")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    ax.set_yticks(ys, [r.title for r in rows])
    ax.set_xlim(0, max([4] + [r.max for r in rows]))
    ax.set_xticks(range(0, 5))
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


def trend_chart(attempts: list[Attempt], current: set[str]) -> bytes:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 2.6))
    xs = list(range(1, len(attempts) + 1))
    ax.plot(xs, [a.total for a in attempts], marker="o", color="#4477aa")
    for x, a in zip(xs, attempts):
        if a.session_id in current:
            ax.plot([x], [a.total], marker="o", markersize=10, color="#ee7733")
    ax.set_ylim(0, 100)
    ax.set_xticks(xs, [f"{x}\n{a.started_at:%m-%d}" for x, a in zip(xs, attempts)], fontsize=7)
    ax.set_ylabel("総合点 / Total")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


# ------------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:"Noto Sans CJK JP","IPAexGothic","Hiragino Sans",sans-serif;margin:2em;color:#222;line-height:1.5}
h1{font-size:1.5em}h2{border-bottom:2px solid #4477aa;padding-bottom:.2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0;width:100%}th,td{border:1px solid #bbb;padding:.3em .5em;
vertical-align:top;text-align:left}th{background:#eef2f7}
.turn{margin:.3em 0;padding:.3em .6em;border-left:4px solid #bbb}.turn.trainee{border-color:#4477aa;
background:#f5f8fc}.who{font-weight:bold;margin-right:.5em}.at{color:#777;font-size:.85em;margin-right:.5em}
mark{background:#ffe08a;padding:0 .1em}mark sup{color:#a05a00;font-size:.7em;margin-left:.1em}
.flags{color:#a00}img{max-width:100%}section.session{page-break-before:always}
section.session:first-of-type{page-break-before:auto}
@media print{body{margin:0}@page{size:A4;margin:15mm}}
"""


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def report_zone() -> ZoneInfo:
    """Reports show times in SIMULATOR_TIMEZONE (an IANA name such as Asia/Tokyo; default UTC)."""
    return _zone(os.environ.get("SIMULATOR_TIMEZONE", "").strip() or "UTC")


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"SIMULATOR_TIMEZONE: unknown time zone '{name}' "
                         "(use an IANA name such as Asia/Tokyo or UTC)") from None


def labels(language: str) -> dict[str, str]:
    """The report's labels in `language`, with the time columns naming the report's zone."""
    zone = report_zone().key
    return {k: v.replace("(UTC)", f"({zone})") for k, v in LABELS.get(language, LABELS["ja"]).items()}


def fmt_time(dt: datetime | None) -> str:
    return dt.astimezone(report_zone()).strftime("%Y-%m-%d %H:%M") if dt else ""


def fmt_score(x: float | int | None) -> str:
    if x is None:
        return "–"
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def final_note(s: SessionSection, L: dict[str, str]) -> str:
    """The final total (supervisors' levels first) beside the AI's, when a supervisor changed it."""
    if s.final_total is None or s.final_total == s.total:
        return ""
    return f"{L['final']}: {fmt_score(s.final_total)} / 100"


def _session_html(s: SessionSection, L: dict[str, str]) -> str:
    final = final_note(s, L)
    p = [f'<section class="session" id="s-{_e(s.id)}"><h3>{_e(s.scenario_title)} '
         f'<small>({_e(s.scenario)})</small></h3><table>',
         f"<tr><th>{L['started']}</th><td>{fmt_time(s.started_at)}</td><th>{L['ended']}</th>"
         f"<td>{fmt_time(s.ended_at) or L['open']}</td></tr>",
         f"<tr><th>{L['judge']}</th><td>{_e(s.judge or L['unscored'])}</td><th>{L['total']}</th>"
         f"<td><strong>{fmt_score(s.total)}</strong> / 100"
         f"{' · ' + _e(final) if final else ''}</td></tr></table>"]
    if s.flags:
        p.append(f'<p class="flags">{L["flags"]}: {_e(", ".join(s.flags))}</p>')
    p.append(_img(s.chart_png, L["criterion"]))
    if s.criteria:
        p.append(f"<table><tr><th>{L['criterion']}</th><th>{L['ai']}</th><th>{L['supervisor']}</th>"
                 f"<th>{L['feedback']}</th></tr>")
        for r in s.criteria:
            sup = f"{fmt_score(r.supervisor)} / {r.max}" if r.supervisor is not None else "–"
            if r.supervisor_name:
                sup += f"<br><small>{_e(r.supervisor_name)}: {_e(r.supervisor_comment)}</small>"
            ev = "".join(f"<br><small>{L['evidence']} #{e.turn}: 「{_e(e.quote)}」</small>" for e in r.evidence)
            p.append(f"<tr><td>{_e(r.title)}</td><td>{fmt_score(r.ai)} / {r.max}</td><td>{sup}</td>"
                     f"<td>{_feedback_html(r, L)}{ev}</td></tr>")
        p.append("</table>")
    p.append(f"<h4>{L['transcript']}</h4>")
    for ln in s.transcript:
        who = L["customer"] if ln.role == "customer" else L["trainee_role"]
        body = "".join(f'<mark title="{_e(", ".join(g.criteria))}">{_e(g.text)}<sup>{_e(", ".join(g.criteria))}'
                       f"</sup></mark>" if g.criteria else _e(g.text) for g in ln.segments)
        p.append(f'<div class="turn {ln.role}"><span class="at">#{ln.index} {_e(ln.at or "")}</span>'
                 f'<span class="who">{who}</span>{body}</div>')
    p.append("</section>")
    return "\n".join(p)


def to_html(rep: CoachingReport) -> str:
    """A self-contained printable page: inline CSS, charts as data: PNGs, all text escaped."""
    L = labels(rep.language)
    names = ", ".join(t.trainee for t in rep.trainees)
    p = [f'<!DOCTYPE html><html lang="{_e(rep.language)}"><head><meta charset="utf-8">',
         f"<title>{L['title']} – {_e(names)}</title><style>{_CSS}</style></head><body>",
         f"<h1>{L['title']}</h1>"]
    for t in rep.trainees:
        p.append(f"<h2>{L['trainee']}: {_e(t.trainee)}</h2>")
        if t.attempts:
            p.append(f"<h3>{L['trend']}</h3>")
            p.append(_img(t.trend_png, L["trend"]))
            p.append(f"<table><tr><th>#</th><th>{L['started']}</th><th>{L['scenario']}</th><th>{L['total']}</th></tr>")
            for i, a in enumerate(t.attempts, 1):
                p.append(f"<tr><td>{i}</td><td>{fmt_time(a.started_at)}</td><td>{_e(a.scenario)}</td>"
                         f"<td>{fmt_score(a.total)}</td></tr>")
            p.append("</table>")
        if len(t.sessions) > 1 and t.averages:
            p.append(f"<h3>{L['averages']}</h3><table><tr><th>{L['criterion']}</th><th>{L['ai']}</th>"
                     f"<th>{L['final']}</th><th>n</th></tr>")
            p.extend(f"<tr><td>{_e(a.title)}</td><td>{a.ai:.2f}</td><td>{a.final:.2f}</td><td>{a.sessions}</td></tr>"
                     for a in t.averages)
            p.append("</table>")
        p.extend(_session_html(s, L) for s in t.sessions)
    p.append("</body></html>\n")
    return "\n".join(p)


def to_pdf(rep: CoachingReport) -> bytes:
    from simulator.report_pdf import render_pdf
    return render_pdf(rep)
