"""The generic analyzer: a supervisor's criterion scored from its rubric rules, no code needed.

Each rule adds its points once per trainee turn whose text matches its signals (intents or
keywords); the level is the number of thresholds the total reaches.
"""

from __future__ import annotations

from simulator.models import Criterion, Evidence
from simulator.scoring.card import Analysis, Finding
from simulator.scoring.view import TranscriptView, cite, quoted


def analyze(view: TranscriptView, criterion: Criterion) -> Analysis:
    ev: list[Evidence] = []
    fired: list[str] = []
    findings: list[Finding] = []
    points = 0.0
    for n, rule in enumerate(criterion.heuristic.rules):
        names = ", ".join(rule.signals.intent + [f"'{k}'" for k in rule.signals.keywords])
        turns = 0
        for tv in view.trainee:
            hits = view.match(rule.signals, tv)
            if not hits:
                continue
            turns += 1
            points += rule.points
            q = quoted(tv, hits[0].start, hits[0].end)
            cite(ev, tv, hits[0].start, hits[0].end)
            if turns == 1:
                findings.append(Finding(kind="good" if rule.points > 0 else "try",
                                        key="signal_plus" if rule.points > 0 else "signal_minus",
                                        turn=tv.index, quote=q, detail=names))
        if turns:
            fired.append(f"{names} x{turns} ({rule.points:+g} each)")
        elif rule.points > 0:
            # The intents become moves in the feedback; rule text and keywords are rubric-internal.
            findings.append(Finding(kind="try", key="signal_missing", detail=",".join(rule.signals.intent)))
    level = sum(1 for t in criterion.heuristic.thresholds if points >= t)
    return Analysis(points=points, level=level, evidence=ev, fired=fired, findings=findings)
