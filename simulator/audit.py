"""Audit of one played session: does the customer repeat herself, ask again for what she was
given, and does the score card tell a hidden need that never came out?

Shared by the tests (tests/test_memory.py) and the sweep (bench/bench_sweep.py) so both count the
same things. The leak test here is deliberately independent of `scoring/hidden.py` (which the
scorer uses to keep secrets out): it looks for the need's own lines, description, solution, id
words and clock times verbatim, so a bug in the filter shows up as a leak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from simulator.customers import ScriptedCustomer
from simulator.customers.guard import fold
from simulator.customers.recall import live_promises, re_requests
from simulator.scoring.feedback import coaching_wording
from simulator.models import CustomerState, Scenario, ScoreCard, Transcript, Turn, format_clock, parse_clock

_TIME = re.compile(r"\d{1,2}[:：]\d{2}|\d{1,2}時(?:\d{1,2}分)?|\d{1,2}日")


@dataclass
class Audit:
    repeats: list[str] = field(default_factory=list)  # customer lines said a second time
    re_requests: list[str] = field(default_factory=list)  # lines asking for a time / confirmation already given
    leaks: list[str] = field(default_factory=list)  # "need-id: what" found in the card


@dataclass
class Played:
    transcript: Transcript
    state: CustomerState
    audit: Audit


def play(scenario: Scenario, steps: list[tuple[int, str]], seed: int = 0) -> Played:
    """Play (hold seconds, message) steps with the scripted engine, auditing each reply."""
    engine = ScriptedCustomer()
    opening = engine.start(scenario, seed=seed)
    state = opening.state
    turns: list[Turn] = [opening.turn] if opening.turn else []
    audit = Audit()
    seen = {t.text for t in turns}
    for hold, message in steps:
        if state.ended:
            break
        if message:
            turns.append(Turn(role="trainee", text=message, at=format_clock(parse_clock(state.clock) + hold)))
        before = state
        step = engine.step(scenario, message, state, hold)
        state = step.reply.state
        if step.reply.turn is None:
            continue
        text = step.reply.turn.text
        turns.append(step.reply.turn)
        if text in seen:
            audit.repeats.append(text)
        seen.add(text)
        # Given before or in this message: a live concrete promise, a confirmation.
        said_at = parse_clock(before.clock) + hold
        answered = bool(live_promises(state, said_at))
        if re_requests(text, scenario.language, answered, bool(state.memory.confirmed)):
            audit.re_requests.append(text)
    return Played(Transcript(scenario=scenario.id, turns=turns), state, audit)


def card_text(card: ScoreCard) -> str:
    return "\n".join(x for c in card.criteria for x in (c.feedback, c.explanation, *c.went_well, *c.try_next))


def leaks(scenario: Scenario, transcript: Transcript, text: str) -> list[str]:
    """Facts of the needs that stayed hidden in `transcript`, found in `text` (a card, a report)."""
    said = fold(" ".join(t.text for t in transcript.turns))
    public = said + fold(" ".join([scenario.brief.summary, scenario.brief.context, scenario.brief.goal,
                                   *scenario.brief.order.values()]))
    folded = fold(text)
    generic = fold(" ".join(coaching_wording()))
    out: list[str] = []
    for need in scenario.hidden_needs:
        if any(fold(d) in said for d in need.disclosure):
            continue  # it came out
        for what in (need.description, need.solution, *need.disclosure):
            if what and fold(what) in folded:
                out.append(f"{need.id}: text '{what[:40]}'")
        for t in _TIME.findall(" ".join([need.description, need.solution, *need.disclosure])):
            if fold(t) not in public and fold(t) in folded:
                out.append(f"{need.id}: time '{t}'")
        for w in need.id.split("-"):  # words of the generic coaching ("the deadline") name nothing
            if len(w) >= 6 and fold(w) not in public + generic and re.search(rf"\b{re.escape(w)}\b", text, re.I):
                out.append(f"{need.id}: name '{w}'")
    return out
