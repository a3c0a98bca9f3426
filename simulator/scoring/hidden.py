"""What a score card may not say: a hidden need's facts that never came out in the conversation.

Feedback, model phrases, explanations and the coaching report are built from the trainee brief
and what was said. A hidden need's words (its description and disclosure lines, the id's words:
the customer guard's "secret terms") and its times and numbers (also from its `solution`) count
as a leak when the conversation itself never said them. `scrub` drops the sentences that leak,
so a judge that read the answer key cannot pass it on either.
"""

from __future__ import annotations

import re

from simulator.customers.guard import OutputGuard, fold
from simulator.scoring.feedback import coaching_wording
from simulator.models import CriterionScore, Scenario, ScoreCard, Transcript

_NUMBER = re.compile(r"\d{1,2}[:：]\d{2}|\d+\s*(?:日|時|月|歳|分|am|pm|th|st|nd|rd)\b|\d+")
# Sentences, and the "; "-separated items of an explanation's signal list.
_SENTENCES = re.compile(r"[^。！？!?;\n]+?(?:[。！？!?;]+|\.(?=\s|$)|\n|$)")


_CACHE: dict[int, tuple[Scenario, tuple[str, ...]]] = {}  # by object: scenarios hold lists (unhashable)


def _secret_terms(scenario: Scenario) -> tuple[str, ...]:
    hit = _CACHE.get(id(scenario))
    if hit is None or hit[0] is not scenario:
        if len(_CACHE) > 256:
            _CACHE.clear()
        hit = _CACHE[id(scenario)] = (scenario, _compute_terms(scenario))
    return hit[1]


def _compute_terms(scenario: Scenario) -> tuple[str, ...]:
    """Folded terms of every hidden need: the guard's words plus the needs' times and numbers
    that the trainee's brief (and the coaching's own fixed wording) does not show."""
    guard = OutputGuard(scenario, ())
    terms = set(guard.secret_terms(()))
    public = fold(" ".join([scenario.brief.summary, scenario.brief.context, scenario.brief.goal,
                            *scenario.brief.order.keys(), *scenario.brief.order.values(), *coaching_wording()]))
    terms = {t for t in terms if t not in public}
    for need in scenario.hidden_needs:
        text = " ".join([need.description, need.solution, *need.disclosure, need.expires_at or ""])
        terms |= {f for f in (fold(m) for m in _NUMBER.findall(text)) if len(f) >= 2 and f not in public}
    return tuple(sorted(terms))


def leaks(text: str, scenario: Scenario | None, transcript: Transcript) -> list[str]:
    """The hidden-need terms `text` says that the conversation never said (folded)."""
    if scenario is None or not text.strip():
        return []
    said = fold(" ".join(t.text for t in transcript.turns))
    folded = fold(text)
    return [t for t in _secret_terms(scenario) if t in folded and t not in said]


def clean(text: str, scenario: Scenario | None, transcript: Transcript) -> str:
    """`text` without its sentences that leak."""
    if not leaks(text, scenario, transcript):
        return text
    kept = [s for s in _SENTENCES.findall(text) if s.strip() and not leaks(s, scenario, transcript)]
    return " ".join(s.strip() for s in kept)


def scrub(card: ScoreCard, scenario: Scenario | None, transcript: Transcript) -> ScoreCard:
    """The card with every leaking sentence dropped from feedback, lists and explanation."""
    if scenario is None:
        return card

    def one(c: CriterionScore) -> CriterionScore:
        return c.model_copy(update={
            "feedback": clean(c.feedback, scenario, transcript),
            "explanation": clean(c.explanation, scenario, transcript),
            "went_well": [x for x in c.went_well if not leaks(x, scenario, transcript)],
            "try_next": [x for x in c.try_next if not leaks(x, scenario, transcript)]})

    return card.model_copy(update={"criteria": [one(c) for c in card.criteria]})
