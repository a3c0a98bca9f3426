"""Feedback as two lists (what went well, what to try next) besides the one paragraph the score
card has always carried, and the scorer named for what it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.loading import default_catalog
from simulator.models import Transcript
from simulator.scoring import HeuristicScorer
from simulator.scoring.card import scorer_name

DATA = Path(__file__).parent / "data" / "transcripts"


def score(name: str):  # type: ignore[no-untyped-def]
    t = Transcript.model_validate(json.loads((DATA / f"{name}.json").read_text(encoding="utf-8")))
    cat = default_catalog()
    return HeuristicScorer(cat.rubric("default")).score(t, cat.scenarios.get(t.scenario))


@pytest.mark.parametrize("name, went, nxt", [("bride-ja-strong", "良かった点：", "次に試すこと："),
                                             ("bride-en-weak", "Went well: ", "Try next: ")])
def test_lists_hold_the_paragraphs_points_without_lead_ins(name: str, went: str, nxt: str) -> None:
    card = score(name)
    assert card.judge == "heuristic" and card.judge_model is None
    for c in card.criteria:
        assert c.went_well or c.try_next, c.id
        for item in c.went_well + c.try_next:
            assert item in c.feedback, (item, c.feedback)  # the paragraph says each point
            assert not item.startswith((went.strip(), nxt.strip()))
        assert c.feedback.count(went) <= len(c.went_well)
        assert c.feedback.count(nxt) <= len(c.try_next)


def test_weak_attempt_gets_steps_to_try_and_an_example() -> None:
    card = score("bride-ja-weak")
    steps = [s for c in card.criteria for s in c.try_next]
    assert steps and any(s.startswith("例：「") for s in steps)


def test_scorer_is_named_not_called_ai() -> None:
    card = score("bride-en-strong")
    assert scorer_name(card, "en") == "Heuristic scorer (rules)"
    assert scorer_name(card, "ja") == "ルールベース採点"
    assert "AI" not in scorer_name(card, "en")
