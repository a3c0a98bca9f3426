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
    keyword_hits: dict[str, list[IntentHit]] = field(default_factory=dict)  # filled lazily by match()

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
    return parse_clock(scenario.clock.start) + ordinal * scenario.clock.seconds_per_turn


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
        # Every keyword the scenario's needs use: matched in one pass per turn, not one per need.
        self._keywords: set[str] = {k for n in (scenario.hidden_needs if scenario else [])
                                    for k in n.drawn_out_by.keywords + n.acted_on_by.keywords}
        self._needles: dict[str, str] = {}
        for i, t in enumerate(transcript.turns):
            tv = TurnView(index=i, role=t.role, text=t.text)
            if t.role == "trainee":
                tv.ordinal = len(self.trainee)
                tv.now = _now_of(t.at, scenario, tv.ordinal)
                if t.text.strip():
                    tv.masked = list(manipulation_spans(t.text))
                    for sp in tv.masked:
                        self.manipulation.append(Evidence(turn=i, quote=t.text[sp.start:sp.end]))
                    for sp in stuffed_spans(t.text, self.language):
                        self.stuffing.append(Evidence(turn=i, quote=t.text[sp.start:sp.end]))
                        tv.masked.append(sp)
                    hits, times = _analyse(detector, self.language, t.text, _clock_str(tv.now))
                    tv.hits = [h for h in hits if not overlaps(tv.masked, h.start, h.end)]
                    tv.times = [x for x in times if not overlaps(tv.masked, x.start, x.end)]
                self.trainee.append(tv)
            self.turns.append(tv)

    @property
    def customer(self) -> list[TurnView]:
        return [t for t in self.turns if t.role == "customer"]

    def match(self, signals: Signals, tv: TurnView) -> list[IntentHit]:
        """Hits of `signals` in a trainee turn, outside masked (grader-directed) sentences."""
        if not tv.text.strip():
            return []
        wanted = set(signals.intent)
        hits = [h for h in tv.hits if h.intent in wanted]  # intents: reuse the turn's detection
        if signals.keywords:
            missing = [k for k in signals.keywords if k not in tv.keyword_hits]
            if missing:
                self._match_keywords(tv, sorted(set(missing) | (self._keywords - tv.keyword_hits.keys())))
            hits += [h for k in signals.keywords for h in tv.keyword_hits[k]]
            hits.sort(key=lambda h: (h.start, h.end))
        return hits

    def _match_keywords(self, tv: TurnView, keywords: list[str]) -> None:
        """One language-layer call for many keywords, then each hit filed under its keyword."""
        from simulator.language import normalize

        for k in keywords:
            tv.keyword_hits[k] = []
        hits = _keyword_hits(self.detector, tv.text, tuple(keywords))
        for k in keywords:
            if k not in self._needles:
                self._needles[k] = normalize(k, self.language)
        needles = {k: self._needles[k] for k in keywords}
        for h in hits:
            if overlaps(tv.masked, h.start, h.end):
                continue
            found = normalize(h.text, self.language)
            for k, needle in needles.items():
                if needle == found or (needle and needle in found and len(found) - len(needle) <= 2):
                    tv.keyword_hits[k].append(h)

    def first_procedural(self) -> tuple[int, int] | None:
        """(trainee ordinal, offset) of the first procedural move, or None."""
        for tv in self.trainee:
            starts = [h.start for h in tv.hits if h.intent in PROCEDURAL]
            if starts:
                return tv.ordinal, min(starts)
        return None


# Scoring the same text again (a score card re-rendered, exported, calibrated, or the LLM
# judge's heuristic fallback) costs nothing: the language layer's results are cached by text.
# Detectors are cached per scenario by the language layer, so identity is a sound key.
@lru_cache(maxsize=16384)
def _analyse(detector: IntentDetector, language: str, text: str, now: str | None
             ) -> tuple[tuple[IntentHit, ...], tuple[TimeExpression, ...]]:
    found = detector.analyse(text, now)  # one language pass: hits and times share normalisation
    return tuple(found.hits), tuple(found.times)


@lru_cache(maxsize=16384)
def _keyword_hits(detector: IntentDetector, text: str, keywords: tuple[str, ...]) -> tuple[IntentHit, ...]:
    return tuple(detector.match_signals(Signals(keywords=list(keywords)), text))


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
