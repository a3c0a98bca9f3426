"""One pass over a transcript that every analyzer shares.

Intent detection and time expressions are computed once per trainee turn (they are the
expensive part), with grader-directed sentences masked out, and each trainee turn carries the
simulated clock it was said at: its own `at`, else an estimate from the scenario's clock (the
scripted engine advances `seconds_per_turn` for every trainee message before replying).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.models import Evidence, Scenario, Signals, Transcript, parse_clock
from simulator.scoring.manipulation import Span, manipulation_spans, overlaps, sentence_bounds

if TYPE_CHECKING:
    from simulator.language import IntentDetector, IntentHit, TimeExpression

# Moves that start the procedure: empathy is judged on whether feelings came first.
PROCEDURAL = frozenset({
    "asks_identification", "asks_details", "vague_wait", "promises_concrete_time", "asks_to_hold",
    "offers_callback", "offers_faster_option", "offers_alternative", "hides_behind_policy",
    "interim_update",
})
_JA_CHARS = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
MAX_QUOTE = 90


@dataclass(slots=True)
class TurnView:
    index: int  # position in transcript.turns (what Evidence.turn names)
    role: str
    text: str
    ordinal: int = -1  # 0-based count among trainee turns (-1 for customer turns)
    now: int | None = None  # simulated clock, seconds since midnight
    hits: list[IntentHit] = field(default_factory=list)
    times: list[TimeExpression] = field(default_factory=list)
    masked: list[Span] = field(default_factory=list)

    @property
    def intents(self) -> set[str]:
        return {h.intent for h in self.hits}

    def first(self, *intents: str) -> IntentHit | None:
        return next((h for h in self.hits if h.intent in intents), None)


def detect_language(transcript: Transcript) -> str:
    """'ja' when any turn has kana or kanji: the product is Japanese first."""
    return "ja" if any(_JA_CHARS.search(t.text) for t in transcript.turns) else "en"


def _now_of(turn_at: str | None, scenario: Scenario | None, ordinal: int) -> int | None:
    if turn_at:
        try:
            return parse_clock(turn_at)
        except ValueError:
            pass  # a malformed extra field is ignored (contracts.md), we fall back to the estimate
    if scenario is None:
        return None
    return parse_clock(scenario.clock.start) + (ordinal + 1) * scenario.clock.seconds_per_turn


class TranscriptView:
    """Trainee turns with their intents, time expressions and clock; customer turns as text."""

    def __init__(self, transcript: Transcript, scenario: Scenario | None,
                 detector: IntentDetector | None = None) -> None:
        from simulator.language import IntentDetector, detector_for, find_time_expressions

        self.transcript = transcript
        self.scenario = scenario
        self.language = scenario.language if scenario else detect_language(transcript)
        if detector is None:
            detector = detector_for(scenario) if scenario else IntentDetector(self.language)
        self.detector = detector
        self.turns: list[TurnView] = []
        self.trainee: list[TurnView] = []
        self.manipulation: list[Evidence] = []
        for i, t in enumerate(transcript.turns):
            tv = TurnView(index=i, role=t.role, text=t.text)
            if t.role == "trainee":
                tv.ordinal = len(self.trainee)
                tv.now = _now_of(t.at, scenario, tv.ordinal)
                if t.text.strip():
                    tv.masked = manipulation_spans(t.text)
                    for sp in tv.masked:
                        self.manipulation.append(Evidence(turn=i, quote=t.text[sp.start:sp.end]))
                    tv.hits = [h for h in detector.detect(t.text)
                               if not overlaps(tv.masked, h.start, h.end)]
                    now = _clock_str(tv.now)
                    tv.times = [x for x in find_time_expressions(t.text, self.language, now=now)
                                if not overlaps(tv.masked, x.start, x.end)]
                self.trainee.append(tv)
            self.turns.append(tv)

    @property
    def customer(self) -> list[TurnView]:
        return [t for t in self.turns if t.role == "customer"]

    def match(self, signals: Signals, tv: TurnView) -> list[IntentHit]:
        """Hits of `signals` in a trainee turn, outside masked (grader-directed) sentences."""
        if not tv.text.strip():
            return []
        if not signals.keywords:  # intents only: reuse the turn's detection
            wanted = set(signals.intent)
            return [h for h in tv.hits if h.intent in wanted]
        return [h for h in self.detector.match_signals(signals, tv.text)
                if not overlaps(tv.masked, h.start, h.end)]

    def first_procedural(self) -> tuple[int, int] | None:
        """(trainee ordinal, offset) of the first procedural move, or None."""
        for tv in self.trainee:
            starts = [h.start for h in tv.hits if h.intent in PROCEDURAL]
            if starts:
                return tv.ordinal, min(starts)
        return None


def _clock_str(now: int | None) -> str | None:
    if now is None:
        return None
    from simulator.models import format_clock
    return format_clock(now)


def quote(tv: TurnView, start: int, end: int) -> Evidence:
    """Evidence for a span: the whole sentence when it is short enough to read, else the span.

    Always an exact substring of the trainee turn (contracts.md)."""
    s, e = sentence_bounds(tv.text, start)
    if not (s <= start and end <= e and e - s <= MAX_QUOTE):
        s, e = start, end
    text = tv.text[s:e]
    if not text.strip():
        s, e = start, end
        text = tv.text[s:e]
    return Evidence(turn=tv.index, quote=text)


def add_evidence(evidence: list[Evidence], ev: Evidence, limit: int = 6) -> None:
    if len(evidence) < limit and all((x.turn, x.quote) != (ev.turn, ev.quote) for x in evidence):
        evidence.append(ev)
