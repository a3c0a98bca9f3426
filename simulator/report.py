"""Coaching reports: what a coach prints for one session or one trainee.

`build` turns stored sessions into a typed CoachingReport (scores, supervisor overrides,
feedback, the transcript cut into segments with evidence quotes marked, and PNG charts); the
HTML writer below and report_pdf.py both render that one model, so the two formats say the
same thing. Charts use IPAexGothic (matplotlib-fontja) so Japanese labels render.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field

from simulator.models import Evidence, Role, Rubric
from simulator import charts
from simulator.scoring.card import final_total, scorer_name
from simulator.store import StoredSession

if TYPE_CHECKING:
    from simulator.loading import Catalog


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
    scorer: str = Field(default="", description="who scored, as people read it (scorer_name)")
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
           "ended": "終了 (UTC)", "judge": "採点", "total": "総合点", "criterion": "評価項目", "ai": "自動採点",
           "supervisor": "スーパーバイザー", "feedback": "フィードバック", "evidence": "根拠",
           "went_well": "良かった点", "try_next": "次に試すこと",
           "transcript": "会話記録", "trend": "受講の推移", "attempt": "回", "flags": "注意",
           "customer": "お客様", "trainee_role": "研修生", "open": "未終了", "none": "なし",
           "unscored": "未採点", "averages": "評価項目ごとの平均 (0-4)", "final": "確定 (SV優先)",
           "level": "レベル (0-4)", "attempt_axis": "受講回（回目・日付）", "went_well": "良かった点",
           "try_next": "次に試すこと"},
    "en": {"title": "Coaching report", "trainee": "Trainee", "scenario": "Scenario", "started": "Started (UTC)",
           "ended": "Ended (UTC)", "judge": "Scored by", "total": "Total", "criterion": "Criterion", "ai": "Automatic scorer",
           "supervisor": "Supervisor", "feedback": "Feedback", "evidence": "Evidence",
           "went_well": "Went well", "try_next": "Try next",
           "transcript": "Transcript", "trend": "Attempts over time", "attempt": "attempt", "flags": "Flags",
           "customer": "Customer", "trainee_role": "Trainee", "open": "not ended", "none": "none",
           "unscored": "not scored", "averages": "Average level per criterion (0-4)",
           "final": "Final (supervisor first)", "level": "Level (0-4)", "attempt_axis": "Attempt (number, date)",
           "went_well": "What went well", "try_next": "What to try next"},
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
    L = labels(s.language)
    scorer = scorer_name(s.card, s.language) if s.card else ""
    return SessionSection(
        id=s.id, trainee=s.trainee, scenario=s.scenario, scenario_title=titles.scenarios.get(s.scenario, s.scenario),
        language=s.language, backend=s.backend, started_at=s.started_at, ended_at=s.ended_at,
        judge=s.card.judge if s.card else None, scorer=scorer, rubric=s.card.rubric if s.card else None,
        total=s.card.total if s.card else None, flags=list(s.card.flags) if s.card else [], criteria=rows,
        final_total=final_total(s.card, s.override_levels(), titles.rubrics.get(s.card.rubric))
        if s.card else None,
        transcript=lines, chart_png=criteria_chart(rows, scorer or L["ai"], L) if rows else None)


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
                                  trend_png=trend_chart(scored, {s.id for s in mine}, labels(mine[0].language))
                                  if scored else None,
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


def criteria_chart(rows: list[CriterionRow], scorer: str, L: dict[str, str]) -> bytes:
    """Levels per criterion: the scorer's, and beside them a supervisor's where one was set."""
    series = [charts.BarSeries(name=scorer, values=[r.ai for r in rows])]
    if any(r.supervisor is not None for r in rows):
        series.append(charts.BarSeries(name=L["supervisor"], values=[r.supervisor for r in rows], color=charts.ORANGE))
    return charts.to_png(charts.bar_figure(charts.BarChart(labels=[r.title for r in rows], series=series,
                                                           value_title=L["level"], value_format="{:g}")))


def trend_chart(attempts: list[Attempt], current: set[str], L: dict[str, str]) -> bytes:
    """The trainee's totals over attempts; the reported sessions' points drawn larger."""
    xs = list(range(1, len(attempts) + 1))
    line = charts.LineSeries(name="", x=xs, y=[a.total or 0 for a in attempts],
                             highlight=[a.session_id in current for a in attempts])
    return charts.to_png(charts.line_figure(charts.LineChart(
        series=[line], x_title=L["attempt_axis"], y_title=L["total"], legend=False,
        x_labels={x: f"{x}\n{a.started_at:%m-%d}" for x, a in zip(xs, attempts)})))


# --------------------------------------------------------------------- shared by the writers

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


def final_note(s: SessionSection, L: dict[str, str]) -> str:
    """The final total (supervisors' levels first) beside the AI's, when a supervisor changed it."""
    if s.final_total is None or s.final_total == s.total:
        return ""
    return f"{L['final']}: {fmt_score(s.final_total)} / 100"


def feedback_points(r: CriterionRow, L: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(heading, points) for the feedback column: the two lists, or the paragraph of a card
    that has none (an LLM judge's own words, or a card stored before the lists existed)."""
    if not (r.went_well or r.try_next):
        return [("", [r.feedback])] if r.feedback else []
    return [(L[k], items) for k, items in (("went_well", r.went_well), ("try_next", r.try_next)) if items]


def to_pdf(rep: CoachingReport) -> bytes:
    from simulator.report_pdf import render_pdf
    return render_pdf(rep)


def to_html(rep: CoachingReport) -> str:
    from simulator.report_html import render_html
    return render_html(rep)
