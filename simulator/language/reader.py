"""The reader: how the simulator hears one trainee message.

A pipeline of named steps, each with one job and each replaceable:
  split      sentences.split_sentences      one span per sentence, into the original text
  times      timeexpr.find_time_expressions concrete / vague / rhythm times, with due times
  featurise  features.featurize             Sudachi / lower-cased words, char n-grams, cues
  classify   model.ReaderModel              one dialogue act per sentence, built-in intents
  meaning    _gate                          the act decides what a time means (below)
  exact      ScenarioIntents                a scenario's own intents: example phrases
                                            (nearest example) and regular expressions
Every result names its sentence (offsets into the original text) and, on request, why.

What a time means depends on the act: inside a commitment, offer or request it is a promise
(or a vague wait when it has no concrete time); inside a question, a piece of information or a
reflection it promises nothing ("our store closes at 8 pm", "would 3 pm suit you?").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from simulator.language.examples import ScenarioIntents
from simulator.language.features import featurize
from simulator.language.model import ReaderModel, model_for
from simulator.language.normalize import check_language
from simulator.language.sentences import split_sentences
from simulator.language.timeexpr import TimeExpression, find_time_expressions

COMMITTING = frozenset({"commitment", "offer", "request"})
TIME_INTENTS = ("promises_concrete_time", "vague_wait", "interim_update")
_SPECIFIC_EMPATHY = ("acknowledges_feeling", "restates_situation")


@dataclass(frozen=True, slots=True)
class HeardIntent:
    id: str
    confidence: float
    because: str = ""  # filled when the caller asked for explanations
    source: str = "model"  # "model" | "time" | "examples" | "pattern"


@dataclass(frozen=True, slots=True)
class SentenceReading:
    text: str
    start: int  # text == message[start:end]
    end: int
    act: str
    act_confidence: float
    intents: tuple[HeardIntent, ...]
    times: tuple[TimeExpression, ...]  # every time expression inside the sentence
    because: str = ""

    @property
    def committing(self) -> bool:
        return self.act in COMMITTING

    @property
    def waits(self) -> bool:
        """Do this sentence's times count as waits the trainee imposes? Inside a promise, an offer
        or a request, or a vague "it should turn up at some point"; not in a question or a rule."""
        return self.committing or self.has("vague_wait")

    def has(self, *intents: str) -> bool:
        return any(h.id in intents for h in self.intents)


@dataclass(frozen=True, slots=True)
class Reading:
    text: str
    language: str
    sentences: tuple[SentenceReading, ...]
    times: tuple[TimeExpression, ...]  # every time expression in the message
    intent_ids: frozenset[str] = field(default=frozenset())

    @property
    def promised_times(self) -> tuple[TimeExpression, ...]:
        """Times the trainee undertook or asked to be waited on (inside committing sentences)."""
        return tuple(t for s in self.sentences if s.committing for t in s.times)


class Reader:
    """Reads messages of one language, with a scenario's own intents when given. Settings are
    fixed at construction; `read` is pure, so results may be cached by text."""

    def __init__(self, language: str, scenario_intents: ScenarioIntents | None = None,
                 model: ReaderModel | None = None) -> None:
        self.language = check_language(language)
        self.model = model or model_for(language)
        self.scenario_intents = scenario_intents or ScenarioIntents.empty(language)
        self.known_intents = frozenset(self.model.intents) | self.scenario_intents.ids

    def read(self, text: str, now: str | None = None, explain: bool = False) -> Reading:
        if not isinstance(text, str):
            raise TypeError(f"message text must be a string, got {type(text).__name__}")
        times = tuple(find_time_expressions(text, self.language, now))
        sentences = []
        for span in split_sentences(text, self.language):
            inside = tuple(t for t in times if span.start <= t.start < span.end)
            sentences.append(self._sentence(text[span.start:span.end], span.start, inside, explain))
        return assemble(text, self.language, sentences, times)

    # ------------------------------------------------------------------------- one sentence

    def _sentence(self, sent: str, start: int, times: tuple[TimeExpression, ...], explain: bool) -> SentenceReading:
        m = self.model
        v = m.vector(featurize(sent, self.language, [t.kind for t in times]))
        act_p = m.act_scores(v)
        a = int(np.argmax(act_p))
        act = m.acts[a]
        probs = m.intent_scores(v)
        heard: dict[str, HeardIntent] = {}
        for k in np.nonzero(probs >= m.thresholds)[0]:
            heard[m.intents[k]] = HeardIntent(m.intents[k], round(float(probs[k]), 2))
        _gate(heard, act, times, probs, m)
        for h in self.scenario_intents.match(sent):
            prior = heard.get(h.id)
            if prior is None or prior.confidence < h.confidence:
                heard[h.id] = h
        if any(i in heard for i in _SPECIFIC_EMPATHY):
            heard.pop("rote_empathy", None)  # something specific was reflected: not rote
        because = ""
        if explain:
            heard = {i: _explained(h, v, m, probs, times) for i, h in heard.items()}
            feats = m.deciding_features(v, m.act_w[a])
            because = f"act {act}: " + (", ".join(feats) if feats else "no known words (the most likely act)")
        ordered = tuple(sorted(heard.values(), key=lambda h: (-h.confidence, h.id)))
        return SentenceReading(sent, start, start + len(sent), act, round(float(act_p[a]), 2), ordered, times, because)


def _gate(heard: dict[str, HeardIntent], act: str, times: tuple[TimeExpression, ...], probs: np.ndarray,
          m: ReaderModel) -> None:
    """The act decides what a time expression means (module docstring)."""
    def conf(intent: str, floor: float) -> float:
        k = m.intents.index(intent)
        return round(max(float(probs[k]), floor), 2)

    concrete = [t for t in times if t.concrete and t.kind != "rhythm"]
    promise = heard.get("promises_concrete_time")
    if promise is not None and not any(t.concrete for t in times) and promise.confidence < 0.9:
        del heard["promises_concrete_time"]  # a promise names its time; the parser saw none, the model is unsure
    if act in COMMITTING:
        if concrete:
            heard["promises_concrete_time"] = HeardIntent("promises_concrete_time", conf("promises_concrete_time", 0.9),
                                                          source="time")
            heard.pop("vague_wait", None)
        elif any(not t.concrete for t in times):
            heard.setdefault("vague_wait", HeardIntent("vague_wait", conf("vague_wait", 0.8), source="time"))
        if any(t.kind == "rhythm" for t in times):
            heard["interim_update"] = HeardIntent("interim_update", conf("interim_update", 0.9), source="time")
            heard.setdefault("promises_concrete_time",
                             HeardIntent("promises_concrete_time", conf("promises_concrete_time", 0.9), source="time"))
    else:
        # a question, a rule, a status or a reflection promises nothing, whatever times it holds
        for intent in TIME_INTENTS:
            if intent == "vague_wait" and act == "information":
                continue  # "it should turn up at some point" is still a vague wait
            heard.pop(intent, None)


def assemble(text: str, language: str, sentences: list[SentenceReading], times: tuple[TimeExpression, ...]) -> Reading:
    """The message-level step every reader ends with (the offline one and the LLM one)."""
    sentences = _held_with_estimate(sentences)
    return Reading(text, language, tuple(sentences), times, frozenset(h.id for s in sentences for h in s.intents))


def _held_with_estimate(sentences: list[SentenceReading]) -> list[SentenceReading]:
    """A hold asked right after an estimate («1分ほどで終わります。このままお待ちいただけますか»)
    carries that estimate: the request is no vague wait."""
    if not any(s.committing and any(t.concrete for t in s.times) for s in sentences):
        return sentences
    return [SentenceReading(s.text, s.start, s.end, s.act, s.act_confidence,
                            tuple(h for h in s.intents if h.id != "vague_wait"), s.times, s.because)
            if s.has("asks_to_hold") and s.has("vague_wait") and not any(not t.concrete for t in s.times) else s
            for s in sentences]


def _explained(h: HeardIntent, v, m: ReaderModel, probs: np.ndarray,  # type: ignore[no-untyped-def]
               times: tuple[TimeExpression, ...]) -> HeardIntent:
    if h.because:
        return h
    parts: list[str] = []
    if h.source == "time":
        parts.append("a committing sentence with " + ", ".join(f"{t.kind} time '{t.text}'" for t in times))
    if h.id in m.intents:
        k = m.intents.index(h.id)
        feats = m.deciding_features(v, m.int_w[k])
        if feats:
            parts.append("features " + ", ".join(feats))
        near = m.nearest(v, wanted=h.id)
        if near:
            parts.append("like " + "; ".join(f"\u201c{n.text}\u201d ({n.similarity})" for n in near))
    return HeardIntent(h.id, h.confidence, " | ".join(parts) or "model", h.source)


@lru_cache(maxsize=64)
def generic_reader(language: str) -> Reader:
    """The reader with built-in intents only (no scenario)."""
    return Reader(language)


