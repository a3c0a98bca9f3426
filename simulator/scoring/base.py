"""The Scorer protocol. Settings (rubric, client, model) are fixed at construction."""

from __future__ import annotations

from typing import Protocol

from simulator.models import ScoreCard, Scenario, Transcript


class Scorer(Protocol):
    name: str  # "heuristic" or "llm"

    async def __call__(self, transcript: Transcript, scenario: Scenario | None) -> ScoreCard:
        """Score a transcript; `scenario` supplies hidden needs and model phrases when known."""
        ...
