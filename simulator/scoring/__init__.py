"""Rubric scoring: the offline heuristic scorer, the LLM judge, and the factory that picks one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from simulator.models import Rubric
from simulator.scoring.base import Scorer
from simulator.scoring.heuristic import HeuristicScorer

if TYPE_CHECKING:
    from simulator.llm import LLMSettings
    from simulator.scoring.judge import LLMJudge

__all__ = ["HeuristicScorer", "LLMJudge", "Scorer", "make_scorer"]


def make_scorer(judge: Literal["heuristic", "llm", "auto"], rubric: Rubric,
                settings: "LLMSettings | None" = None) -> Scorer:
    """"heuristic": offline; "llm": the LLM judge (LLMConfigError if no endpoint is configured);
    "auto": the LLM judge when SIMULATOR_LLM_* configure one, else the heuristic scorer."""
    if judge == "heuristic":
        return HeuristicScorer(rubric)
    if judge not in ("llm", "auto"):
        raise ValueError(f"unknown judge '{judge}': use heuristic, llm or auto")
    from simulator.llm import LLMSettings, make_client

    settings = settings or LLMSettings.from_env()
    if judge == "auto" and not settings.configured:
        return HeuristicScorer(rubric)  # before importing the judge: it loads openai
    from simulator.scoring.judge import LLMJudge
    client = make_client(settings)  # raises LLMConfigError naming the missing variables
    return LLMJudge(rubric, client, settings.effective_judge_model or "", deadline=settings.judge_deadline)


def __getattr__(name: str) -> object:
    if name == "LLMJudge":  # imported lazily: openai is not needed for offline scoring
        from simulator.scoring.judge import LLMJudge
        return LLMJudge
    raise AttributeError(name)
