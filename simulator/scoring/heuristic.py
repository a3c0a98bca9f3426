"""The offline default scorer: rubric-driven, deterministic, fast.

Each criterion's `heuristic.analyzer` picks a built-in analyzer or the generic `signals` one, so
a supervisor's new criterion in a rubric file works without code.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.models import Criterion, Rubric, Scenario, ScoreCard, Transcript
from simulator.scoring import empathy, needs, signals, waits
from simulator.scoring.card import Analysis, Finding, assemble, criterion_score
from simulator.scoring.feedback import write as write_feedback
from simulator.scoring.hidden import leaks, scrub
from simulator.scoring.manipulation import FLAG as MANIPULATION_FLAG
from simulator.scoring.view import TranscriptView

ANALYZERS: dict[str, Callable[[TranscriptView, Criterion], Analysis]] = {
    "empathy": empathy.analyze,
    "unspoken_needs": needs.analyze,
    "wait_time": waits.analyze,
    "signals": signals.analyze,
}
NO_TRAINEE_FLAG = "no-trainee-text"


class HeuristicScorer:
    name = "heuristic"

    def __init__(self, rubric: Rubric) -> None:
        self.rubric = rubric

    def score(self, transcript: Transcript, scenario: Scenario | None) -> ScoreCard:
        return self.score_view(TranscriptView(transcript, scenario))

    def score_view(self, view: TranscriptView) -> ScoreCard:
        """Score an already-built view (the LLM judge shares one with its fallback)."""
        scenario = view.scenario
        said = "\n".join(tv.text for tv in view.trainee)
        if said.strip():
            analyses = {c.id: ANALYZERS[c.heuristic.analyzer](view, c) for c in self.rubric.criteria}
        else:  # nothing to judge: every criterion is 0, whatever a rule's neutral level would be
            silent = Analysis(points=0, level=0, fired=["no trainee text"], findings=[Finding(kind="try", key="no_text")])
            analyses = {c.id: silent for c in self.rubric.criteria}
        # Feedback says only what the trainee could know: no hidden need's facts that never came out.
        def ok(text: str) -> bool:
            return not leaks(text, scenario, view.transcript)

        criteria = []
        for c in self.rubric.criteria:
            w = write_feedback(c, analyses[c.id], scenario, view.language, said, ok)
            criteria.append(criterion_score(c, analyses[c.id], view.language, w.text, w.went_well, w.try_next))
        flags: list[str] = []
        if view.manipulation:
            flags.append(MANIPULATION_FLAG)
        if not said.strip():
            flags.append(NO_TRAINEE_FLAG)
        return scrub(assemble(view.transcript.scenario, self.rubric, "heuristic", criteria, flags),
                     scenario, view.transcript)

    async def __call__(self, transcript: Transcript, scenario: Scenario | None) -> ScoreCard:
        return self.score(transcript, scenario)
