"""A scenario's own intents: the reader's exact-term step.

A supervisor teaches the customer a new phrasing with a few example sentences (`intents:` in
the scenario file, see docs/scenario-format.md); a trainee sentence expresses that intent when
it is close enough to one of them (cosine over the reader's features, idf-weighted, so shared
content words count and shared particles barely do). Regular expressions (`patterns:`) stay
for exact terms. Matching is per sentence, like the trained classifier.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.language.features import featurize
from simulator.language.normalize import normalize

if TYPE_CHECKING:
    from simulator.language.model import ReaderModel
    from simulator.language.reader import HeardIntent

# A sentence this close to a supervisor's example expresses its intent; chosen on the dev
# split by treating each built-in intent as if a supervisor had written five examples of it
# (bench/bench_reader.py --few-shot).
SIMILARITY = 0.35
MIN_EXAMPLES = 3


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


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two L2-normalised weight maps."""
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(f, 0.0) for f, x in a.items())


def _counts(text: str, language: str) -> dict[str, int]:
    """How often each feature occurs in a sentence, leaving out how it starts or ends (that is
    the act's business, not which move it makes)."""
    counts: dict[str, int] = {}
    for f in featurize(text, language):
        if not f.startswith(("beg:", "end:")):
            counts[f] = counts.get(f, 0) + 1
    return counts


def plain_weights(text: str, language: str) -> dict[str, float]:
    """Unweighted (no idf) features of a sentence, L2-normalised: enough to tell two examples that
    say the same thing apart from two that do not, without loading the trained model (validation
    runs at every catalog load)."""
    counts = _counts(text, language)
    norm = math.sqrt(sum(c * c for c in counts.values())) or 1.0
    return {f: c / norm for f, c in counts.items()}


@dataclass(frozen=True, slots=True)
class _Example:
    intent: str
    text: str
    weights: dict[str, float]


class ScenarioIntents:
    """Example phrases and patterns per intent id; settings fixed at construction."""

    def __init__(self, language: str, examples: dict[str, list[str]], patterns: dict[str, list[str]],
                 model: ReaderModel | None = None) -> None:
        self.language = language
        self.ids = frozenset(examples) | frozenset(patterns)
        self._patterns: list[tuple[str, str, re.Pattern[str]]] = []
        for intent, pats in patterns.items():
            for p in pats:
                problem = check_pattern(intent, p)
                if problem:
                    raise ValueError(problem)
                self._patterns.append((intent, p, re.compile(p, re.IGNORECASE)))
        self._model = model
        self._examples = [_Example(intent, t, self._weights(t)) for intent, ts in examples.items() for t in ts]

    @classmethod
    def empty(cls, language: str) -> "ScenarioIntents":
        return cls(language, {}, {})

    def _weights(self, text: str) -> dict[str, float]:
        """idf-weighted, L2-normalised feature weights; words the corpus never saw weigh most."""
        if self._model is None:
            from simulator.language.model import model_for
            self._model = model_for(self.language)
        m = self._model
        w = {}
        for f, c in _counts(text, self.language).items():
            i = m.vocab.get(f)
            w[f] = (1.0 + math.log(c)) * (float(m.idf[i]) if i is not None else m.max_idf)
        norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
        return {f: x / norm for f, x in w.items()}

    def nearest(self, sentence: str) -> dict[str, tuple[float, str]]:
        """Per intent, the closest example and its similarity."""
        if not self._examples:
            return {}
        w = self._weights(sentence)
        best: dict[str, tuple[float, str]] = {}
        for ex in self._examples:
            s = similarity(w, ex.weights)
            if s > best.get(ex.intent, (-1.0, ""))[0]:
                best[ex.intent] = (s, ex.text)
        return best

    def match(self, sentence: str) -> list[HeardIntent]:
        from simulator.language.reader import HeardIntent

        out: list[HeardIntent] = []
        for intent, (sim, text) in self.nearest(sentence).items():
            if sim >= SIMILARITY:
                out.append(HeardIntent(intent, round(min(1.0, sim), 2), f"like the scenario's example \u201c{text}\u201d ({sim:.2f})",
                                       "examples"))
        if self._patterns:
            norm = normalize(sentence, self.language)
            for intent, p, rx in self._patterns:
                if rx.search(norm) and not any(h.id == intent for h in out):
                    out.append(HeardIntent(intent, 1.0, f"the scenario's pattern {p!r}", "pattern"))
        return out
