"""Intent detection: which moves a message makes (names the feeling, offers same-day shipping,
promises a concrete time...). Regex patterns per language, compiled once, extendable by a
scenario's `patterns:`. Hits carry spans into the ORIGINAL text so quotes are exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from bisect import bisect_left
from functools import lru_cache
from collections.abc import Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from simulator.language import patterns_en, patterns_ja
from simulator.language.prefilter import LiteralIndex, requirement
from simulator.language.normalize import NormalizedText, check_language, normalize_mapped
from simulator.language.timeexpr import (Candidate, TimeExpression, candidates_in, expressions_cached,
                                         rule_requirements)
from simulator.language.vocabulary import BUILTIN_INTENTS
from simulator.models import Signals

if TYPE_CHECKING:
    from simulator.models import Scenario

KEYWORD = "keyword"
# Intents derived from time expressions rather than from patterns.
TIME_INTENTS = ("promises_concrete_time", "vague_wait", "interim_update")
# A generic "I understand how you feel" is only rote when nothing specific is reflected.
_SPECIFIC_EMPATHY = {"acknowledges_feeling", "restates_situation"}
_PATTERN_DATA = {"ja": patterns_ja, "en": patterns_en}


@dataclass(frozen=True, slots=True)
class IntentHit:
    """One move found in a message. Frozen: detection results are cached and shared between
    callers. A slotted dataclass, not a pydantic model: thousands are built per second on the
    scorer's hot path, at a third of the cost (pydantic validates them where they are fields)."""

    intent: str
    start: int  # into the ORIGINAL text: text == original[start:end]
    end: int
    text: str


class Analysis(BaseModel):
    """One pass over a message: its intent hits and time expressions (both on the original text)."""

    model_config = ConfigDict(frozen=True)

    hits: list[IntentHit]
    times: list[TimeExpression]

    @property
    def intents(self) -> set[str]:
        return {h.intent for h in self.hits}


class _Compiled:
    """A pattern with the literals any match needs, so most patterns are skipped unscanned."""

    __slots__ = ("rx", "required")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.rx = re.compile(pattern, flags)
        self.required = requirement(pattern)


class _Rules:
    """Compiled patterns and negation checks of one language (shared by all detectors)."""

    def __init__(self, language: str) -> None:
        data = _PATTERN_DATA[language]
        self.patterns: dict[str, list[_Compiled]] = {
            intent: [_Compiled(p) for p in pats] for intent, pats in data.PATTERNS.items()}
        self.negatable: set[str] = set(data.NEGATABLE)
        self.past_sensitive: set[str] = set(data.PAST_SENSITIVE)
        def optional(name: str) -> re.Pattern[str] | None:
            # Context checks a language may leave out (Japanese negates after the verb only).
            pattern = getattr(data, name, None)
            return re.compile(pattern) if pattern else None

        self.neg_after = re.compile(data.NEGATION_AFTER)
        self.neg_before = optional("NEGATION_BEFORE")
        self.not_promise_after = optional("NOT_PROMISE_AFTER")
        self.not_promise_before = optional("NOT_PROMISE_BEFORE")
        self.past_after = optional("PAST_AFTER")
        self.past_before = optional("PAST_BEFORE")

    def negated(self, text: str, start: int, end: int) -> bool:
        if self.neg_after.search(text[end:end + 24]):
            return True
        return bool(self.neg_before and self.neg_before.search(text[max(0, start - 40):start]))

    def not_promise(self, text: str, start: int, end: int) -> bool:
        """A time that is no promise: past plan, order date, time already spent."""
        if self.not_promise_after and self.not_promise_after.search(text[end:end + 24]):
            return True
        if self.not_promise_before and self.not_promise_before.search(text[max(0, start - 40):start]):
            return True
        return self.past(text, start, end)

    def past(self, text: str, start: int, end: int) -> bool:
        if self.past_after and self.past_after.search(text[end:end + 24]):
            return True
        return bool(self.past_before and self.past_before.search(text[max(0, start - 60):start]))


@lru_cache(maxsize=None)
def _rules(language: str) -> _Rules:
    return _Rules(language)


def check_pattern(intent: str, pattern: object) -> str | None:
    """Why a scenario pattern is unusable (None when it is fine); the loader reports it."""
    if not isinstance(pattern, str):
        return f"pattern for intent '{intent}' must be a string, got {type(pattern).__name__}"
    if not pattern.strip():
        return f"pattern for intent '{intent}' is empty (it would match every message)"
    try:
        rx = re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        return f"pattern {pattern!r} for intent '{intent}' is not a valid regular expression: {e}"
    if rx.search(""):
        return f"pattern {pattern!r} for intent '{intent}' matches the empty string (it would match every message)"
    return None


_SENTENCE_END = re.compile(r"[。！？!?\n]|\.(?:\s|$)")
_WAITING = re.compile(r"待|戻|wait|hold|back to you|get back")


def _asks_without_wait(text: str, start: int, end: int) -> bool:
    """Is the span inside a question that asks the customer something rather than a wait?"""
    lo = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    stop = _SENTENCE_END.search(text, end)
    sentence = text[lo:stop.end() if stop else len(text)].strip()
    asks = "?" in sentence or "？" in sentence or sentence.rstrip("。.").endswith("か")
    return asks and not _WAITING.search(sentence)


class IntentDetector:
    """Detects built-in intents (vocabulary.py) plus any ids added by `extra_patterns`.

    Extra patterns are regular expressions matched case-insensitively against NORMALISED
    text: half-width digits, Arabic numerals for kanji numerals before a counter (write 30分,
    not 三十分), "~" for wave dashes.
    """

    def __init__(self, language: str, extra_patterns: dict[str, list[str]] | None = None) -> None:
        self.language = check_language(language)
        self._rules = _rules(language)
        extra: dict[str, list[_Compiled]] = {}
        for intent, pats in (extra_patterns or {}).items():
            if not isinstance(intent, str) or not intent:
                raise ValueError(f"extra pattern intent id must be a non-empty string, got {intent!r}")
            if isinstance(pats, str) or not isinstance(pats, (list, tuple)):
                raise ValueError(f"patterns for intent '{intent}' must be a list of regular expressions")
            for p in pats:
                problem = check_pattern(intent, p)
                if problem:
                    raise ValueError(problem)
            extra[intent] = [_Compiled(p, re.IGNORECASE) for p in pats]
        self._extra = MappingProxyType(extra)
        ordered = [(intent, c) for src in (self._rules.patterns, extra) for intent, cs in src.items() for c in cs]
        self._ordered = tuple(ordered)
        # Most patterns and time rules are skipped unscanned; one look-up serves both.
        self._index = LiteralIndex([c.required for _, c in ordered] + rule_requirements(language))
        self.known_intents: frozenset[str] = frozenset(BUILTIN_INTENTS) | frozenset(extra)
        # Engines and scorers ask about the same turn several times (detect, then match_signals
        # per rubric rule); results are immutable, so remember recent messages.
        self._cached = lru_cache(maxsize=4096)(self._analyse_uncached)

    # ------------------------------------------------------------------------- detection

    def _pattern_hits(self, norm: NormalizedText, which: list[int]) -> list[tuple[str, int, int]]:
        text = norm.text
        found: list[tuple[str, int, int]] = []
        rules = self._rules
        for i in which:
            intent, c = self._ordered[i]
            for m in c.rx.finditer(text):
                start, end = m.span()
                if end == start:
                    continue
                if intent in rules.negatable and rules.negated(text, start, end):
                    continue
                if intent in rules.past_sensitive and rules.past(text, start, end):
                    continue
                found.append((intent, start, end))
        return found

    def _time_hits(self, norm: NormalizedText, cands: tuple[Candidate, ...]) -> list[tuple[str, int, int]]:
        """promises_concrete_time / vague_wait / interim_update from time expressions, in
        normalised coordinates so they merge with pattern hits."""
        found: list[tuple[str, int, int]] = []
        starts = norm.starts
        for c in cands:
            lo, hi = norm.bounds(c.start, c.end)  # the public expression's span in the original text
            # back to normalised coordinates (starts never decrease, so bisect)
            ns = bisect_left(starts, lo)
            ne = bisect_left(starts, hi)
            if c.kind in ("vague", "date") and _asks_without_wait(norm.text, ns, ne):
                continue  # "早めに必要ですか" / "will you be home tomorrow?" ask; they impose nothing
            if c.kind == "vague":
                found.append(("vague_wait", ns, ne))
                continue
            if self._rules.not_promise(norm.text, ns, ne) or self._rules.negated(norm.text, ns, ne):
                continue  # "was due by noon" / "can't ship today": not a promise
            if c.kind == "rhythm":
                found.append(("interim_update", ns, ne))
            found.append(("promises_concrete_time", ns, ne))
        return found

    def analyse(self, text: str, now: str | None = None) -> Analysis:
        """Intents and time expressions in one pass (`now`, HH:MM[:SS], gives durations a due time)."""
        hits, times = self._analyse(text, now)
        return Analysis(hits=hits, times=times)

    def _analyse(self, text: str, now: str | None = None) -> tuple[list[IntentHit], list[TimeExpression]]:
        # Intent hits do not depend on `now`; only the time expressions' due times do.
        return list(self._hits(text)), list(expressions_cached(text, self.language, now))

    def _hits(self, text: str) -> tuple[IntentHit, ...]:
        if not isinstance(text, str):
            raise TypeError(f"message text must be a string, got {type(text).__name__}")
        return self._cached(text)

    def _analyse_uncached(self, text: str) -> tuple[IntentHit, ...]:
        return self.read(text)[2]

    def read(self, text: str) -> tuple[NormalizedText, tuple[Candidate, ...], tuple[IntentHit, ...]]:
        """Normalised text, time candidates and intent hits in one uncached pass (`detect` caches
        the hits; the scorer's per-text reading caches what it builds from all three). One
        literal look-up serves the intent patterns and the time rules alike."""
        norm = normalize_mapped(text, self.language, cache=False)
        which = self._index.which(norm.text)
        split = bisect_left(which, len(self._ordered))  # intent patterns first, then the time rules
        cands = candidates_in(norm, self.language, [i - len(self._ordered) for i in which[split:]])
        return norm, cands, self._hits_in(norm, cands, which[:split])

    def _hits_in(self, norm: NormalizedText, cands: tuple[Candidate, ...], which: list[int]) -> tuple[IntentHit, ...]:
        text = norm.original
        raw = self._pattern_hits(norm, which) + self._time_hits(norm, cands)
        intents_found = {i for i, _, _ in raw}
        if intents_found & _SPECIFIC_EMPATHY:
            raw = [h for h in raw if h[0] != "rote_empathy"]
        # One hit per overlapping stretch of the same intent: merge into their union
        # ("I'll call you" + "call you back" -> "I'll call you back").
        raw.sort(key=lambda h: (h[1], -(h[2] - h[1]), h[0]))
        kept: list[tuple[str, int, int]] = []
        open_at: dict[str, int] = {}  # intent -> index in kept of its last hit
        for intent, s, e in raw:
            k = open_at.get(intent)
            if k is not None and s < kept[k][2]:
                kept[k] = (intent, kept[k][1], max(e, kept[k][2]))
                continue
            open_at[intent] = len(kept)
            kept.append((intent, s, e))
        hits = []
        for intent, s, e in kept:
            lo, hi = norm.bounds(s, e)
            hits.append(IntentHit(intent, lo, hi, text[lo:hi]))  # positional: the cheapest call
        return tuple(hits)

    def detect(self, text: str) -> list[IntentHit]:
        """Every intent hit in `text`, ordered by position."""
        return list(self._hits(text))

    def intents(self, text: str) -> set[str]:
        return {h.intent for h in self.detect(text)}

    def match_signals(self, signals: Signals, text: str) -> list[IntentHit]:
        """Hits of the signals' intents, plus keyword hits (intent id "keyword").

        An intent id this detector does not know yields no hits: rubrics are shared across
        scenarios and may name an id that only some scenarios define under `patterns:`."""
        wanted = set(signals.intent)
        hits = [h for h in self.detect(text) if h.intent in wanted] if wanted else []
        if signals.keywords:
            hits += self.keyword_hits(text, signals.keywords)
        hits.sort(key=by_span)
        return hits

    def keyword_hits(self, text: str, keywords: Iterable[str], norm: NormalizedText | None = None) -> list[IntentHit]:
        """Where each keyword occurs in `text`, keyword by keyword (matched on normalised text,
        `norm` when the caller has it; spans into the original)."""
        if norm is None:
            norm = normalize_mapped(text, self.language)
        out: list[IntentHit] = []
        for needle, rx in _keyword_patterns(tuple(keywords), self.language):
            if needle not in norm.text:
                continue  # every match contains the needle: a C-speed test spares the regex scan
            for m in rx.finditer(norm.text):
                lo, hi = norm.bounds(m.start(), m.end())
                out.append(IntentHit(intent=KEYWORD, start=lo, end=hi, text=text[lo:hi]))
        return out


def by_span(h: IntentHit) -> tuple[int, int]:
    """Sort key: hits in text order, shorter first on a shared start."""
    return h.start, h.end


@lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str, language: str) -> tuple[str, re.Pattern[str]]:
    """A keyword's normalised text and compiled pattern (rubrics reuse the same few keywords)."""
    needle = normalize_mapped(keyword, language).text
    if not needle:
        raise ValueError(f"keyword {keyword!r} is empty after normalisation")
    body = re.escape(needle)
    # English keywords are whole words ("rule" must not fire inside "overrule").
    if language == "en":
        body = (r"\b" if needle[0].isalnum() else "") + body + (r"\b" if needle[-1].isalnum() else "")
    return needle, re.compile(body)


@lru_cache(maxsize=1024)
def _keyword_patterns(keywords: tuple[str, ...], language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """A rule's or need's keywords, compiled together (one look-up per message, not one per keyword)."""
    return tuple(_keyword_pattern(k, language) for k in keywords)


@lru_cache(maxsize=256)
def _cached_detector(language: str, patterns: tuple[tuple[str, tuple[str, ...]], ...]) -> IntentDetector:
    return IntentDetector(language, {k: list(v) for k, v in patterns})


def detector_for(scenario: "Scenario") -> IntentDetector:
    """The detector for a scenario's language and extra patterns (cached)."""
    key = tuple(sorted((k, tuple(v)) for k, v in scenario.patterns.items()))
    try:
        return _cached_detector(scenario.language, key)
    except ValueError as e:
        raise ValueError(f"scenario '{scenario.id}': {e}") from None
