"""Intent hits for the engines and the scorer, from the reader (reader.py).

A hit is an intent heard in one sentence: its span is that sentence (the words that carry the
act are the evidence), and it carries the sentence's act so callers can tell an apology from
a refusal that starts with "I'm sorry". Keyword hits (rubric and scenario `keywords:`) are the
exact-term channel: they span the keyword itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from simulator.language.examples import ScenarioIntents, check_pattern
from simulator.language.llm_reader import llm_reader_for
from simulator.language.normalize import NormalizedText, check_language, normalize_mapped
from simulator.language.reader import TIME_INTENTS, Reader, Reading
from simulator.models import Signals

if TYPE_CHECKING:
    from simulator.models import Scenario

__all__ = ["KEYWORD", "TIME_INTENTS", "IntentDetector", "IntentHit", "by_span", "check_pattern", "detector_for"]

KEYWORD = "keyword"


@dataclass(frozen=True, slots=True)
class IntentHit:
    """One move found in a message. Frozen: results are cached and shared between callers."""

    intent: str
    start: int  # into the ORIGINAL text: text == original[start:end]
    end: int
    text: str
    act: str = ""  # the dialogue act of the sentence it was heard in ("" for keyword hits)
    confidence: float = 1.0


class IntentDetector:
    """Built-in intents (vocabulary.py) plus a scenario's own (`intents:` examples and patterns,
    legacy `patterns:`). Readings are cached by text: engines and scorers ask about the same
    message several times."""

    def __init__(self, language: str, extra_patterns: dict[str, list[str]] | None = None,
                 extra_examples: dict[str, list[str]] | None = None) -> None:
        self.language = check_language(language)
        for intent, pats in (extra_patterns or {}).items():
            if not isinstance(intent, str) or not intent:
                raise ValueError(f"extra pattern intent id must be a non-empty string, got {intent!r}")
            if isinstance(pats, str) or not isinstance(pats, (list, tuple)):
                raise ValueError(f"patterns for intent '{intent}' must be a list of regular expressions")
        # the offline reader, or the model's reading over it when SIMULATOR_LLM_READER=1 (docs/llm.md)
        self.reader = llm_reader_for(Reader(language, ScenarioIntents(language, dict(extra_examples or {}),
                                                                      dict(extra_patterns or {}))))
        self.known_intents: frozenset[str] = self.reader.known_intents
        self.reading = lru_cache(maxsize=4096)(self._reading)

    def _reading(self, text: str) -> Reading:
        return self.reader.read(text)

    def hits_of(self, reading: Reading) -> tuple[IntentHit, ...]:
        return tuple(IntentHit(h.id, s.start, s.end, s.text, s.act, h.confidence)
                     for s in reading.sentences for h in s.intents)

    def detect(self, text: str) -> list[IntentHit]:
        """Every intent hit in `text`, in sentence order."""
        if not isinstance(text, str):
            raise TypeError(f"message text must be a string, got {type(text).__name__}")
        return list(self.hits_of(self.reading(text)))

    def intents(self, text: str) -> set[str]:
        return set(self.reading(text).intent_ids)

    def match_signals(self, signals: Signals, text: str) -> list[IntentHit]:
        """Hits of the signals' intents, plus keyword hits (intent id "keyword").

        An intent id this detector does not know yields no hits: rubrics are shared across
        scenarios and may name an id that only some scenarios define."""
        wanted = set(signals.intent)
        hits = [h for h in self.detect(text) if h.intent in wanted] if wanted else []
        if signals.keywords:
            hits += self.keyword_hits(text, signals.keywords)
        hits.sort(key=by_span)
        return hits

    def keyword_hits(self, text: str, keywords: Iterable[str], norm: NormalizedText | None = None) -> list[IntentHit]:
        """Where each keyword occurs in `text` (matched on normalised text; spans into the original)."""
        if norm is None:
            norm = normalize_mapped(text, self.language)
        out: list[IntentHit] = []
        for needle, rx in _keyword_patterns(tuple(keywords), self.language):
            if needle not in norm.text:
                continue
            for m in rx.finditer(norm.text):
                lo, hi = norm.bounds(m.start(), m.end())
                out.append(IntentHit(KEYWORD, lo, hi, text[lo:hi]))
        return out


def by_span(h: IntentHit) -> tuple[int, int]:
    """Sort key: hits in text order, shorter first on a shared start."""
    return h.start, h.end


@lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str, language: str) -> tuple[str, re.Pattern[str]]:
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
    return tuple(_keyword_pattern(k, language) for k in keywords)


Key = tuple[tuple[str, tuple[str, ...]], ...]


@lru_cache(maxsize=256)
def _cached_detector(language: str, patterns: Key, examples: Key) -> IntentDetector:
    return IntentDetector(language, {k: list(v) for k, v in patterns}, {k: list(v) for k, v in examples})


def detector_for(scenario: "Scenario") -> IntentDetector:
    """The detector for a scenario's language and own intents (cached)."""
    patterns: dict[str, list[str]] = {k: list(v) for k, v in scenario.patterns.items()}
    examples: dict[str, list[str]] = {}
    for intent, d in scenario.intents.items():
        patterns.setdefault(intent, []).extend(d.patterns)
        if d.examples:
            examples[intent] = list(d.examples)
    pkey = tuple(sorted((k, tuple(v)) for k, v in patterns.items() if v))
    ekey = tuple(sorted((k, tuple(v)) for k, v in examples.items()))
    try:
        return _cached_detector(scenario.language, pkey, ekey)
    except ValueError as e:
        raise ValueError(f"scenario '{scenario.id}': {e}") from None
