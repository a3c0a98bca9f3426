"""One pass over a transcript that every analyzer shares.

Intent detection and time expressions are computed once per trainee turn (they are the
expensive part), with grader-directed sentences masked out, and each trainee turn carries the
simulated clock it was said at: its own `at`, else an estimate from the scenario's clock (as
`simulator play` records it: the k-th trainee message at start + k * seconds_per_turn).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from simulator.language.intents import by_span
from simulator.language.normalize import NormalizedText, normalize_mapped
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
_EN_SEPARATORS = re.compile(r"[,，/|;；、・]+")  # English lists: spaces separate words, not items
_FEELING_WORD = re.compile(
    r"心配|不安|困|気持ち|察し|申し訳|共感|寄り添|大変|つら|辛|驚|残念|お詫び|理解"
    r"|worr|concern|sorry|apolog|understand|feel|empath|frustrat|upset|anxious|stress|sympath|inconvenien|care",
    re.IGNORECASE)
_SENTENCE = {"ja": re.compile(r"[^。！？!?\n]+[。！？!?]*"),
             # a full stop ends an English sentence too ("Thanks. Sorry, worried, ... How can I help?")
             "en": re.compile(r"(?=\S)(?:[^.!?\n]|\.(?!\s|$))+[.!?]*")}
STUFFING_FLAG = "keyword-stuffing"


@dataclass(frozen=True, slots=True, eq=False)
class TurnReading:
    """What the language layer finds in one trainee text, masked spans already left out.

    Cached by text (see `_reading`), so a reading stands for its text: analyzers cache what
    they derive from a turn keyed by the reading itself (identity hash, `eq=False`)."""

    text: str
    detector: IntentDetector
    language: str
    manipulation: tuple[Span, ...]  # grader-directed stretches
    stuffing: tuple[Span, ...]  # keyword-stuffed sentences
    hits: tuple[IntentHit, ...]
    times: tuple[TimeExpression, ...]  # read without a clock: only clock times carry a due time
    intents: frozenset[str]
    masked: tuple[Span, ...]  # manipulation + stuffing
    norm: NormalizedText  # what keyword signals are matched against


@dataclass(slots=True)
class TurnView:
    index: int  # position in transcript.turns (what Evidence.turn names)
    role: str
    text: str
    ordinal: int = -1  # 0-based count among trainee turns (-1 for customer turns)
    now: int | None = None  # simulated clock, seconds since midnight
    reading: TurnReading | None = None  # None for customer turns and blank trainee turns
    hits: tuple[IntentHit, ...] = ()  # the reading's, at hand
    times: tuple[TimeExpression, ...] = ()
    masked: tuple[Span, ...] = ()
    intents: frozenset[str] = frozenset()


def detect_language(transcript: Transcript) -> str:
    """The customer's language ('ja' when their turns hold kana or kanji), else the trainee's.

    The customer sets the language: text a trainee pastes in (a plea to the grader in another
    language) must not switch the analyzers' vocabulary."""
    for role in ("customer", "trainee"):
        texts = [t.text for t in transcript.turns if t.role == role and t.text.strip()]
        if texts:
            return "ja" if any(_JA_CHARS.search(x) for x in texts) else "en"
    return "ja"


Clock = tuple[int, int]  # a scenario's start (seconds since midnight) and seconds per turn


def _now_of(turn_at: str | None, clock: Clock | None, ordinal: int) -> int | None:
    if turn_at:
        try:
            return parse_clock(turn_at)
        except ValueError:
            pass  # a malformed extra field is ignored (contracts.md), we fall back to the estimate
    return clock[0] + ordinal * clock[1] if clock else None


@lru_cache(maxsize=256)
def _clock_start(start: str) -> int:
    return parse_clock(start)  # once per scenario, not once per turn


SignalsKey = tuple[frozenset[str], tuple[str, ...]]  # a Signals' intents and keywords


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
        self._signal_keys: dict[int, tuple[Signals, SignalsKey]] = {}
        trainee, turns, language = self.trainee, self.turns, self.language
        clock: Clock | None = (_clock_start(scenario.clock.start), scenario.clock.seconds_per_turn) if scenario else None
        for i, t in enumerate(transcript.turns):
            text = t.text
            if t.role != "trainee":
                turns.append(TurnView(i, t.role, text))
                continue
            ordinal = len(trainee)
            now = _now_of(t.at, clock, ordinal)
            if not text.strip():
                tv = TurnView(i, "trainee", text, ordinal, now)
            else:
                read = _reading(detector, language, text)
                tv = TurnView(i, "trainee", text, ordinal, now, read, read.hits, read.times, read.masked, read.intents)
                if read.masked:  # ordinary service talk has nothing masked
                    self.manipulation += [Evidence(turn=i, quote=text[sp.start:sp.end]) for sp in read.manipulation]
                    self.stuffing += [Evidence(turn=i, quote=text[sp.start:sp.end]) for sp in read.stuffing]
            trainee.append(tv)
            turns.append(tv)

    @property
    def customer(self) -> list[TurnView]:
        return [t for t in self.turns if t.role == "customer"]

    def key(self, signals: Signals) -> SignalsKey:
        """`signals` as a hashable key for the per-text caches (taken apart once per view)."""
        entry = self._signal_keys.get(id(signals))
        if entry is None or entry[0] is not signals:  # the entry holds `signals`: its id stays unique
            entry = self._signal_keys[id(signals)] = (signals, (frozenset(signals.intent), tuple(signals.keywords)))
        return entry[1]

    def match(self, signals: Signals, tv: TurnView) -> tuple[IntentHit, ...]:
        """Hits of `signals` in a trainee turn, outside masked (grader-directed) sentences."""
        return _rule_hits(tv.reading, self.key(signals)) if tv.reading is not None else ()

    def first_procedural(self) -> tuple[int, int] | None:
        """(trainee ordinal, offset) of the first procedural move, or None."""
        for tv in self.trainee:
            starts = [h.start for h in tv.hits if h.intent in PROCEDURAL]
            if starts:
                return tv.ordinal, min(starts)
        return None


# Scoring the same text again (a score card re-rendered, exported, calibrated, or the LLM
# judge's heuristic fallback) costs little: what a turn's text yields is cached by text.
# Detectors are cached per scenario by the language layer, so identity is a sound key.
@lru_cache(maxsize=16384)
def _reading(detector: IntentDetector, language: str, text: str) -> TurnReading:
    # The inner steps are not cached on their own: this function caches what they yield.
    manipulation, stuffing = manipulation_spans(text), stuffed_spans(text, language)
    read = detector.reading(text)
    hits = detector.hits_of(read)
    times = tuple(x for s in read.sentences if s.waits for x in s.times)  # the act makes a time a wait
    norm = normalize_mapped(text, language)
    masked = manipulation + stuffing
    if masked:  # ordinary service talk has nothing to leave out
        hits = [h for h in hits if not overlaps(masked, h.start, h.end)]
        times = tuple(x for x in times if not overlaps(masked, x.start, x.end))
    return TurnReading(text, detector, language, manipulation, stuffing, tuple(hits), times,
                       frozenset(h.intent for h in hits), masked, norm)


def signal_hits(reading: TurnReading, key: SignalsKey) -> tuple[IntentHit, ...]:
    """Hits of one rubric rule's or hidden need's signals (`TranscriptView.key`) in a turn, masks applied.

    Not cached itself: callers cache what they build from it (`needs._moves`, `_rule_hits`)."""
    intents, keywords = key
    hits = [h for h in reading.hits if h.intent in intents] if intents else []
    if keywords:
        masked = reading.masked
        hits += [h for h in reading.detector.keyword_hits(reading.text, keywords, reading.norm)
                 if not overlaps(masked, h.start, h.end)]
        hits.sort(key=by_span)
    return tuple(hits)


_rule_hits = lru_cache(maxsize=65536)(signal_hits)  # a rubric rule's hits in a turn, per text


@lru_cache(maxsize=4)
def _generic_detector(language: str) -> IntentDetector:
    from simulator.language import IntentDetector
    return IntentDetector(language)


def stuffed_spans(text: str, language: str) -> tuple[Span, ...]:
    """Sentences that are lists of short feeling words rather than a sentence about the customer."""
    if language == "en" and len(_EN_SEPARATORS.findall(text)) < 3:
        return ()  # a list needs 4 parts, so 3 separators in one sentence: most text has fewer in all
    out = []
    short = 7 if language == "ja" else 14
    for m in _SENTENCE[language].finditer(text):
        body = m.group().strip("。！？!?. ")
        if language == "en":
            parts = [p.strip() for p in _EN_SEPARATORS.split(body) if p.strip()]
        else:
            parts = [p for p in _LIST_SEPARATORS.split(body) if p]
        if len(parts) < 4:
            continue
        feeling = sum(1 for p in parts if len(p) <= short and _FEELING_WORD.search(p))
        if feeling >= 3 and sum(len(p) for p in parts) / len(parts) <= short:
            out.append(Span(m.start(), m.end()))
    return tuple(out)


def quoted(tv: TurnView, start: int, end: int) -> str:
    """The words to quote for a span: the whole sentence when it is short enough to read, else
    the span. Always an exact substring of the trainee turn (contracts.md)."""
    s, e = _quote_bounds(tv.text, start, end)
    return tv.text[s:e]


@lru_cache(maxsize=65536)
def _quote_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    s, e = sentence_bounds(text, start)
    if not (s <= start and end <= e and e - s <= MAX_QUOTE):
        s, e = start, end
    if not text[s:e].strip():
        s, e = start, end
    return s, e


def cite(evidence: list[Evidence], tv: TurnView, start: int, end: int, limit: int = 6) -> None:
    """Quote a span of `tv` as evidence, unless the list is full or already quotes the same
    words of the same turn (the Evidence is only built when it is kept)."""
    if len(evidence) >= limit:
        return
    q = quoted(tv, start, end)
    for x in evidence:
        if x.turn == tv.index and x.quote == q:
            return
    evidence.append(Evidence(turn=tv.index, quote=q))
