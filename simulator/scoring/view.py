"""One pass over a transcript that every analyzer shares.

Intent detection and time expressions are computed once per trainee turn (they are the
expensive part), with grader-directed sentences masked out, and each trainee turn carries the
simulated clock it was said at: its own `at`, else an estimate from the scenario's clock (as
`simulator play` records it: the k-th trainee message at start + k * seconds_per_turn).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
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
# Keyword stuffing: a sentence that is a bare list of feeling words ("worried, sorry, understand,
# feelings"). Such sentences are masked like grader-directed ones: words in them earn nothing.
_LIST_SEPARATORS = re.compile(r"[、,，・/|;；]+|\s{1,}")
_FEELING_WORD = re.compile(
    r"心配|不安|困|気持ち|察し|申し訳|共感|寄り添|大変|つら|辛|驚|残念|お詫び|理解"
    r"|worr|concern|sorry|apolog|understand|feel|empath|frustrat|upset|anxious|stress|sympath|inconvenien|care",
    re.IGNORECASE)
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
STUFFING_FLAG = "keyword-stuffing"


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
    """The customer's language ('ja' when their turns hold kana or kanji), else the trainee's.

    The customer sets the language: text a trainee pastes in (a plea to the grader in another
    language) must not switch the analyzers' vocabulary."""
    for role in ("customer", "trainee"):
        texts = [t.text for t in transcript.turns if t.role == role and t.text.strip()]
        if texts:
            return "ja" if any(_JA_CHARS.search(x) for x in texts) else "en"
    return "ja"


def _now_of(turn_at: str | None, scenario: Scenario | None, ordinal: int) -> int | None:
    if turn_at:
        try:
            return parse_clock(turn_at)
        except ValueError:
            pass  # a malformed extra field is ignored (contracts.md), we fall back to the estimate
    if scenario is None:
        return None
    return _clock_start(scenario.clock.start) + ordinal * scenario.clock.seconds_per_turn


@lru_cache(maxsize=256)
def _clock_start(start: str) -> int:
    return parse_clock(start)  # once per scenario, not once per turn


def _signals_key(signals: Signals) -> tuple[frozenset[str], tuple[str, ...]]:
    return frozenset(signals.intent), tuple(signals.keywords)


class TranscriptView:
    """Trainee turns with their intents, time expressions and clock; customer turns as text."""

    def __init__(self, transcript: Transcript, scenario: Scenario | None,
                 detector: IntentDetector | None = None) -> None:
        from simulator.language import detector_for

        self.transcript = transcript
        self.scenario = scenario
        self.language = scenario.language if scenario else detect_language(transcript)
        if detector is None:
            detector = detector_for(scenario) if scenario else _generic_detector(self.language)
        self.detector = detector
        self.turns: list[TurnView] = []
        self.trainee: list[TurnView] = []
        self.manipulation: list[Evidence] = []
        self.stuffing: list[Evidence] = []
        # match() runs per rule per turn: each Signals object is taken apart once per view
        # (the entry holds the object itself, so no other object can take its id meanwhile).
        self._signal_keys: dict[int, tuple[Signals, tuple[frozenset[str], tuple[str, ...]]]] = {}
        for i, t in enumerate(transcript.turns):
            tv = TurnView(index=i, role=t.role, text=t.text)
            if t.role == "trainee":
                tv.ordinal = len(self.trainee)
                tv.now = _now_of(t.at, scenario, tv.ordinal)
                if t.text.strip():
                    read = _reading(detector, self.language, t.text)
                    tv.masked = list(read.masks.masked)
                    for sp in read.masks.manipulation:
                        self.manipulation.append(Evidence(turn=i, quote=t.text[sp.start:sp.end]))
                    for sp in read.masks.stuffing:
                        self.stuffing.append(Evidence(turn=i, quote=t.text[sp.start:sp.end]))
                    tv.hits = list(read.hits)
                    tv.times = list(_times(self.language, t.text))
                self.trainee.append(tv)
            self.turns.append(tv)

    @property
    def customer(self) -> list[TurnView]:
        return [t for t in self.turns if t.role == "customer"]

    def match(self, signals: Signals, tv: TurnView) -> tuple[IntentHit, ...]:
        """Hits of `signals` in a trainee turn, outside masked (grader-directed) sentences."""
        if not tv.text.strip():
            return ()
        entry = self._signal_keys.get(id(signals))
        if entry is None or entry[0] is not signals:
            entry = self._signal_keys[id(signals)] = (signals, _signals_key(signals))
        return _signal_hits(self.detector, self.language, tv.text, entry[1])

    def first_procedural(self) -> tuple[int, int] | None:
        """(trainee ordinal, offset) of the first procedural move, or None."""
        for tv in self.trainee:
            starts = [h.start for h in tv.hits if h.intent in PROCEDURAL]
            if starts:
                return tv.ordinal, min(starts)
        return None


@dataclass(frozen=True, slots=True)
class Masks:
    """Spans of a trainee turn that earn nothing: grader-directed text and keyword stuffing."""

    manipulation: tuple[Span, ...]
    stuffing: tuple[Span, ...]

    @property
    def masked(self) -> tuple[Span, ...]:
        return self.manipulation + self.stuffing


@dataclass(frozen=True, slots=True)
class TurnReading:
    """What the language layer finds in a trainee turn, masked spans already left out."""

    masks: Masks
    hits: tuple[IntentHit, ...]


# Scoring the same text again (a score card re-rendered, exported, calibrated, or the LLM
# judge's heuristic fallback) costs little: what a turn's text yields is cached by text (and
# clock). Detectors are cached per scenario by the language layer, so identity is a sound key.
@lru_cache(maxsize=16384)
def _masks(text: str, language: str) -> Masks:
    return Masks(manipulation=manipulation_spans(text), stuffing=stuffed_spans(text, language))


@lru_cache(maxsize=16384)
def _reading(detector: IntentDetector, language: str, text: str) -> TurnReading:
    masks = _masks(text, language)
    masked = masks.masked
    hits = detector.detect(text)
    if masked:  # ordinary service talk has nothing to leave out
        hits = [h for h in hits if not overlaps(masked, h.start, h.end)]
    return TurnReading(masks=masks, hits=tuple(hits))


@lru_cache(maxsize=16384)
def _times(language: str, text: str) -> tuple[TimeExpression, ...]:
    """Time expressions of a trainee turn, masks applied. Found without a clock: a clock time
    carries its due time anyway, and no analyzer reads a duration's due time, so one
    reading per text serves every moment the text is said at."""
    from simulator.language.timeexpr import expressions_cached
    found = expressions_cached(text, language, None)
    masked = _masks(text, language).masked
    return tuple(x for x in found if not overlaps(masked, x.start, x.end)) if masked else found


@lru_cache(maxsize=65536)
def _signal_hits(detector: IntentDetector, language: str, text: str,
                 key: tuple[frozenset[str], tuple[str, ...]]) -> tuple[IntentHit, ...]:
    """Hits of one rubric rule's or hidden need's signals in a turn's text, masks applied."""
    intents, keywords = key
    read = _reading(detector, language, text)
    hits = [h for h in read.hits if h.intent in intents] if intents else []
    if keywords:
        masked = read.masks.masked
        hits += [h for h in detector.keyword_hits(text, keywords) if not overlaps(masked, h.start, h.end)]
        hits.sort(key=_by_span)
    return tuple(hits)


def _by_span(h: IntentHit) -> tuple[int, int]:
    return h.start, h.end


@lru_cache(maxsize=4)
def _generic_detector(language: str) -> IntentDetector:
    from simulator.language import IntentDetector
    return IntentDetector(language)


@lru_cache(maxsize=16384)
def stuffed_spans(text: str, language: str) -> tuple[Span, ...]:
    """Sentences that are lists of short feeling words rather than a sentence about the customer."""
    out = []
    short = 7 if language == "ja" else 14
    for m in _SENTENCE.finditer(text):
        body = m.group().strip("。！？!?. ")
        if language == "en":
            parts = [p.strip() for p in re.split(r"[,，/|;；、・]+", body) if p.strip()]
        else:
            parts = [p for p in _LIST_SEPARATORS.split(body) if p]
        if len(parts) < 4:
            continue
        feeling = sum(1 for p in parts if len(p) <= short and _FEELING_WORD.search(p))
        if feeling >= 3 and sum(len(p) for p in parts) / len(parts) <= short:
            out.append(Span(m.start(), m.end()))
    return tuple(out)


def quote(tv: TurnView, start: int, end: int) -> Evidence:
    """Evidence for a span: the whole sentence when it is short enough to read, else the span.

    Always an exact substring of the trainee turn (contracts.md)."""
    s, e = _quote_bounds(tv.text, start, end)
    return Evidence(turn=tv.index, quote=tv.text[s:e])


@lru_cache(maxsize=65536)
def _quote_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    s, e = sentence_bounds(text, start)
    if not (s <= start and end <= e and e - s <= MAX_QUOTE):
        s, e = start, end
    if not text[s:e].strip():
        s, e = start, end
    return s, e


def add_evidence(evidence: list[Evidence], ev: Evidence, limit: int = 6) -> None:
    if len(evidence) < limit and all((x.turn, x.quote) != (ev.turn, ev.quote) for x in evidence):
        evidence.append(ev)
