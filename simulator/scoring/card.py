"""Typed analyzer results and the arithmetic that turns them into a score card."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from simulator.models import Criterion, CriterionScore, Evidence, Rubric, ScoreCard


# Findings and analyses live only inside one scoring call (tens per transcript, on the hot
# path): slotted dataclasses, a fraction of a pydantic model's cost. The score card they turn
# into is pydantic (contracts.md).
@dataclass(frozen=True, slots=True)
class Finding:
    """One observation the feedback writer turns into a sentence (keys: feedback.py)."""

    kind: Literal["good", "try"]
    key: str
    turn: int | None = None
    quote: str = ""
    detail: str = ""  # e.g. the intent ids of a move to try, or the stale clock time


@dataclass(slots=True)
class Analysis:
    """What one analyzer concluded about one criterion."""

    points: float  # raw points; the level is derived from them
    level: int  # 0-4
    evidence: list[Evidence] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)  # signals that fired, for the explanation
    findings: list[Finding] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


def level_of(points: float, cap: int = 4) -> int:
    """Round half up (never banker's rounding) and clamp to 0..cap."""
    return max(0, min(cap, math.floor(points + 0.5)))


def total(rubric: Rubric, scores: dict[str, int]) -> float:
    """Weighted mean of the levels, scaled to 0-100 (contracts.md)."""
    weights = sum(c.weight for c in rubric.criteria)
    value = sum(c.weight * scores[c.id] for c in rubric.criteria) / weights * 25
    return round(value, 1)


def criterion_score(criterion: Criterion, analysis: Analysis, language: str, feedback: str,
                    went_well: list[str] | None = None, try_next: list[str] | None = None) -> CriterionScore:
    descriptor = criterion.levels[analysis.level].descriptor.get(language)
    fired = "; ".join(analysis.fired) if analysis.fired else ("何も検出されず" if language == "ja" else "nothing detected")
    explanation = f"{descriptor} [{fired}; points {analysis.points:.1f}]"
    return CriterionScore(id=criterion.id, score=analysis.level, evidence=analysis.evidence,
                          feedback=feedback, went_well=list(went_well or []), try_next=list(try_next or []),
                          explanation=explanation, flags=list(analysis.flags))


def final_total(card: ScoreCard, overrides: Mapping[str, int], rubric: Rubric | None) -> float | None:
    """The total with supervisors' levels in place of the AI's (`overrides`: criterion -> level).

    The card's own total when nothing is overridden; None when it cannot be worked out: the
    card's rubric is unknown, or it no longer has the card's criteria (edited since)."""
    levels = {c.id: c.score for c in card.criteria}
    changed = {cid: level for cid, level in overrides.items() if cid in levels}
    if not changed:
        return card.total
    if rubric is None or rubric.id != card.rubric or {c.id for c in rubric.criteria} != set(levels):
        return None
    return total(rubric, {**levels, **changed})


def assemble(scenario_id: str, rubric: Rubric, judge: Literal["heuristic", "llm"],
             criteria: list[CriterionScore], flags: list[str]) -> ScoreCard:
    scores = {c.id: c.score for c in criteria}
    all_flags = list(dict.fromkeys(flags + [f for c in criteria for f in c.flags]))
    return ScoreCard(scenario=scenario_id, rubric=rubric.id, judge=judge,
                     total=total(rubric, scores), criteria=criteria, flags=all_flags)


SCORER_NAMES = {"heuristic": ("ルールベース採点", "Heuristic scorer (rules)"), "llm": ("LLM 採点", "LLM judge")}


def scorer_name(card: ScoreCard, language: str) -> str:
    """Who made the card, as people should read it (never "AI" for the rule-based scorer)."""
    ja, en = SCORER_NAMES[card.judge]
    if language == "ja":
        return f"{ja}（{card.judge_model}）" if card.judge_model else ja
    return f"{en} ({card.judge_model})" if card.judge_model else en
