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
    keyword_hits: dict[str, tuple[IntentHit, ...]] = field(default_factory=dict)  # filled lazily by match()
    found_keywords: set[str] = field(default_factory=set)  # those of keyword_hits with a hit (most have none)

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


class _SignalParts:
    __slots__ = ("signals", "intents", "keywords", "keyword_set")

    def __init__(self, signals: Signals) -> None:
        self.signals = signals  # held, so no other object can take its id while the view lives
        self.intents = frozenset(signals.intent)
        self.keywords = tuple(signals.keywords)
        self.keyword_set = frozenset(self.keywords)


def _by_span(h: IntentHit) -> tuple[int, int]:
    return h.start, h.end


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
        # match() runs per rule per turn: each Signals object is taken apart once per view.
        self._signal_parts: dict[int, _SignalParts] = {}
        for i, t in enumerate(transcript.turns):
            tv = TurnView(index=i, role=t.role, text=t.text)
            if t.role == "trainee":
                tv.ordinal = len(self.trainee)
                tv.now = _now_of(t.at, scenario, tv.ordinal)
                if t.text.strip():
                    read = _read_turn(detector, self.language, t.text, tv.now)
                    tv.masked = list(read.masks.masked)
                    for sp in read.masks.manipulation:
                        self.manipulation.append(Evidence(turn=i, quote=t.text[sp.start:sp.end]))
                    for sp in read.masks.stuffing:
                        self.stuffing.append(Evidence(turn=i, quote=t.text[sp.start:sp.end]))
                    tv.hits = list(read.hits)
                    tv.times = list(read.times)
                self.trainee.append(tv)
            self.turns.append(tv)

    @property
    def customer(self) -> list[TurnView]:
        return [t for t in self.turns if t.role == "customer"]

    def match(self, signals: Signals, tv: TurnView) -> list[IntentHit]:
        """Hits of `signals` in a trainee turn, outside masked (grader-directed) sentences."""
        if not tv.text.strip():
            return []
        parts = self._signal_parts.get(id(signals))
        if parts is None or parts.signals is not signals:  # the entry holds `signals`, so its id stays unique
            parts = self._signal_parts[id(signals)] = _SignalParts(signals)
        hits = [h for h in tv.hits if h.intent in parts.intents] if parts.intents else []
        if parts.keywords:
            known = tv.keyword_hits
            if not parts.keyword_set <= known.keys():
                # Keywords are filed in batches (see _filed_keywords): the batch is what was
                # missing plus every scenario keyword not yet matched in this turn.
                batch = tuple(sorted((parts.keyword_set - known.keys()) | (self._keywords - known.keys())))
                filed = _filed_keywords(self.detector, self.language, tv.text, batch)
                known.update(filed)
                tv.found_keywords.update(k for k, found in filed.items() if found)
            if not parts.keyword_set.isdisjoint(tv.found_keywords):
                for k in parts.keywords:
                    hits += known[k]
            hits.sort(key=_by_span)
        return hits

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
    times: tuple[TimeExpression, ...]


# Scoring the same text again (a score card re-rendered, exported, calibrated, or the LLM
# judge's heuristic fallback) costs little: what a turn's text yields is cached by text (and
# clock). Detectors are cached per scenario by the language layer, so identity is a sound key.
@lru_cache(maxsize=16384)
def _masks(text: str, language: str) -> Masks:
    return Masks(manipulation=manipulation_spans(text), stuffing=stuffed_spans(text, language))


@lru_cache(maxsize=16384)
def _read_turn(detector: IntentDetector, language: str, text: str, now: int | None) -> TurnReading:
    masks = _masks(text, language)
    masked = masks.masked
    found = detector.analyse(text, _clock_str(now))  # one language pass: hits and times share normalisation
    if not masked:  # ordinary service talk: nothing to leave out
        return TurnReading(masks=masks, hits=tuple(found.hits), times=tuple(found.times))
    return TurnReading(masks=masks,
                       hits=tuple(h for h in found.hits if not overlaps(masked, h.start, h.end)),
                       times=tuple(x for x in found.times if not overlaps(masked, x.start, x.end)))


@lru_cache(maxsize=16384)
def _filed_keywords(detector: IntentDetector, language: str, text: str, keywords: tuple[str, ...]
                    ) -> dict[str, tuple[IntentHit, ...]]:
    """One language-layer call for a batch of keywords, then each unmasked hit filed under every
    keyword of the batch whose normalised form it is (give or take two characters).

    The returned dict is shared by the cache: callers copy from it, never into it."""
    from simulator.language import normalize

    masked = _masks(text, language).masked
    filed: dict[str, list[IntentHit]] = {k: [] for k in keywords}
    needles = _needles(keywords, language)
    for h in detector.match_signals(Signals(keywords=list(keywords)), text):
        if overlaps(masked, h.start, h.end):
            continue
        found = normalize(h.text, language)
        for k, needle in needles.items():
            if needle == found or (needle and needle in found and len(found) - len(needle) <= 2):
                filed[k].append(h)
    return {k: tuple(v) for k, v in filed.items()}


@lru_cache(maxsize=1024)
def _needles(keywords: tuple[str, ...], language: str) -> dict[str, str]:
    """Normalised keywords of a batch (batches repeat from turn to turn); shared, read only."""
    from simulator.language import normalize
    return {k: normalize(k, language) for k in keywords}


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
