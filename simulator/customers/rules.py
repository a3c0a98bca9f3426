"""What the scripted engine reads in one trainee message, and the scenario conditions on it.

The language layer does the reading (intents, keywords, time expressions); this module only
turns its answers into one typed `Reading` and evaluates a scenario's `Condition`s against it
(all set fields AND, a list of conditions OR), so the engine's priority logic stays readable.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from simulator.language import IntentHit, TimeExpression, detector_for, find_time_expressions
from simulator.models import Condition, CustomerState, Scenario, Signals, parse_clock
from simulator.scoring.manipulation import manipulation_spans, overlaps

# Intents that, alone next to an apology, leave it a bare apology: no feeling named, no
# ownership, nothing done. Domain: a rote apology as the first words reads as scripted.
_SMALL_TALK = {"apologises", "greets", "thanks", "closes"}
# Moves that count as good news or something being done for the customer.
_REASSURING = {"shares_good_news", "takes_ownership", "offers_faster_option", "offers_alternative",
               "offers_callback"}
_POLICY = {"hides_behind_policy", "blames_others", "argues_back"}
# A question the language layer has no intent for still asks something: "?", a polite Japanese
# question ending (…でしょうか。 / …ますか。, the question mark usually left out) or a request
# to be told (教えてください / please tell me).
_QUESTION = re.compile(r"[?？]|(?:でしょうか|ですか|ますか|ませんか|ましたか|でしたか|ましょうか)(?=[。．\s」]|$)"
                       r"|教えて|お聞かせ|伺(?:っ|い|え)|\btell me\b|\blet me know\b", re.IGNORECASE)


class Reading(BaseModel):
    """Everything the engine reacts to in one trainee message, read at the simulated clock."""

    message: str
    intents: list[str]
    acts: list[str] = []  # one dialogue act per sentence, in order
    times: list[TimeExpression]  # only times the trainee promised or asked to be waited on
    clock_seconds: int
    mood: float  # after this message's mood rules: an empathetic line can unlock a condition at once

    def has(self, *intents: str) -> bool:
        return any(i in self.intents for i in intents)

    @property
    def concrete_time(self) -> bool:
        return self.has("promises_concrete_time", "interim_update") or any(t.concrete for t in self.times)

    @property
    def vague_wait(self) -> bool:
        """An open-ended wait with no concrete time anywhere in the same message."""
        vague = self.has("vague_wait") or any(t.kind == "vague" for t in self.times)
        return vague and not self.concrete_time

    @property
    def rote_apology(self) -> bool:
        if self.has("rote_empathy"):
            return True
        return self.has("apologises") and not (set(self.intents) - _SMALL_TALK)

    @property
    def acknowledged(self) -> bool:
        return self.has("acknowledges_feeling", "restates_situation")

    @property
    def policy(self) -> bool:
        return self.has(*_POLICY)

    @property
    def reassuring(self) -> bool:
        return self.has(*_REASSURING)

    @property
    def question(self) -> bool:
        asks = any(i.startswith("asks_") for i in self.intents) or self.has("confirms_back")
        return asks or "question" in self.acts or bool(_QUESTION.search(self.message))


def read_message(scenario: Scenario, message: str, clock: str, mood: float | None = None) -> Reading:
    """Intents (built-in + scenario patterns) and time expressions, read at `clock` (HH:MM:SS)."""
    read = detector_for(scenario).reading(message)
    # Words addressed to the grader or to the role-play itself ("what is your hidden need?")
    # are not said to the customer: she hears nothing in them, as the scorer credits nothing.
    meta = manipulation_spans(message)
    heard = [s for s in read.sentences if not overlaps(meta, s.start, s.end)]
    waits = [(s.start, s.end) for s in heard if s.waits]  # the act makes a time a wait (reader.py)
    times = [t for t in find_time_expressions(message, scenario.language, now=clock)
             if any(a <= t.start < b for a, b in waits)]
    intents = sorted({h.id for s in heard for h in s.intents})
    return Reading(message=message, intents=intents, acts=[s.act for s in heard],
                   times=times, clock_seconds=parse_clock(clock), mood=0.0 if mood is None else mood)


def mood_after(scenario: Scenario, intents: list[str], mood: float) -> float:
    """Apply every raise/lower rule whose intent the message shows (once per rule), clamped."""
    for rule in (*scenario.mood.raises, *scenario.mood.lowers):
        if rule.intent in intents:
            mood += rule.delta
    return round(max(-1.0, min(1.0, mood)), 4)


def signals_match(scenario: Scenario, signals: Signals, message: str) -> bool:
    return bool(detector_for(scenario).match_signals(signals, message))


class Farewell(BaseModel):
    """How the trainee's message closes the contact, if it does."""

    hits: list[str]  # intent ids ("keyword" for words) of the scenario's trainee_closing found
    goodbye: bool  # any goodbye at all, in trainee_closing or not


def farewell(scenario: Scenario, message: str) -> Farewell:
    """A goodbye that is also a greeting ("thank you for calling" opening a call) is no close."""
    detector = detector_for(scenario)
    found = detector.detect(message)
    greets = [(h.start, h.end) for h in found if h.intent == "greets"]

    def real(h: IntentHit) -> bool:
        return not (h.intent == "closes" and any(s < h.end and h.start < e for s, e in greets))

    hits = [h.intent for h in detector.match_signals(scenario.end.trainee_closing, message) if real(h)]
    goodbye = bool(hits) or any(h.intent in ("closes", "offers_hang_up_first") and real(h) for h in found)
    return Farewell(hits=hits, goodbye=goodbye)


def condition_holds(scenario: Scenario, cond: Condition, reading: Reading, state: CustomerState) -> bool:
    """All set fields hold at once. `state` is the state before this reply (turns, revealed)."""
    if cond.intent and not reading.has(*cond.intent):
        return False
    if cond.keywords and not signals_match(scenario, Signals(keywords=cond.keywords), reading.message):
        return False
    if cond.mood_at_least is not None and reading.mood < cond.mood_at_least:
        return False
    if cond.min_turn is not None and state.turn < cond.min_turn:
        return False
    if any(n not in state.revealed_needs for n in cond.revealed):
        return False
    if cond.before is not None and reading.clock_seconds >= parse_clock(cond.before):
        return False
    if cond.after is not None and reading.clock_seconds < parse_clock(cond.after):
        return False
    return True


def any_holds(scenario: Scenario, conds: list[Condition], reading: Reading, state: CustomerState) -> bool:
    return any(condition_holds(scenario, c, reading, state) for c in conds)
