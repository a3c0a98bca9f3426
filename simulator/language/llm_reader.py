"""The LLM reader: the same reading as reader.py, with the act and intents of each sentence from a model.

Opt-in (SIMULATOR_LLM_READER=1 with an LLM configured, docs/llm.md): one extra model call per
new trainee message. Everything the offline reader decides without judgement stays offline and
is reused, not copied: the sentence split, the time expressions, and the rule that the act
decides what a time means (reader._gate). The model only labels sentences.

Nothing the model says is believed unchecked: the answer must be JSON with one entry per
sentence, known acts and known intent ids. On any fault (HTTP error, timeout, deadline, bad
JSON, a failed check) the offline reading is returned unchanged, and the fault is counted.

The prompt holds the trainee's own words and the intent vocabulary only: never a scenario's
hidden needs (the reader does not need them, and what it is sent could leak).
"""

from __future__ import annotations

import json
import os
import time
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from string import Template

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.language.corpus import ACTS, Act
from simulator.language.reader import HeardIntent, Reader, Reading, SentenceReading, _gate, assemble
from simulator.language.sentences import split_sentences
from simulator.language.timeexpr import find_time_expressions
from simulator.language.vocabulary import BUILTIN_INTENTS
from simulator.llm import ENV_PREFIX, LLMConfigError, LLMSettings, make_timeout

if TYPE_CHECKING:  # openai takes ~0.5 s to import; the offline reader never needs it
    import openai

PROMPT = Path(__file__).with_name("prompts") / "reader.md"
SETTING = ENV_PREFIX + "READER"
DEADLINE = 4.0  # seconds for the whole reading, every format attempt included
CONFIDENCE = 0.9  # the model gives no probability; a labelled move counts as clearly heard
SOURCE = "llm"
BECAUSE = "model reading"
CACHE = 2048

_ACT_GLOSS = {
    "question": "asks the customer something",
    "offer": "proposes something the customer may accept (an option, a change, a callback)",
    "commitment": "undertakes to do something (I will ..., we will ...)",
    "information": "states a fact, a rule or a status",
    "feeling_reflection": "reflects the customer's feeling or situation back",
    "apology": "apologises",
    "request": "asks the customer to do something (please wait, please send ...)",
    "greeting_closing": "greets, thanks, introduces oneself or closes the contact",
}
# Formats tried in order; a server that rejects one gets the next (llama.cpp and older vLLM
# builds refuse json_schema, some servers refuse response_format altogether).
_FORMATS = ("json_schema", "json_object", "plain")
_REJECTING = (400, 422)  # the request (our response_format) was refused
_SCHEMA_WORDS = ("response_format", "json_schema", "schema", "grammar")
# The format that worked, per client: every reader sharing an endpoint learns it once.
_format_of: weakref.WeakKeyDictionary[openai.OpenAI, int] = weakref.WeakKeyDictionary()


class _Sentence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    index: int = Field(strict=True, ge=0)
    act: Act
    intents: tuple[str, ...] = Field(max_length=16)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sentences: tuple[_Sentence, ...]


@dataclass(frozen=True, slots=True)
class _Label:
    """The model's verdict on one sentence (cached per message text)."""
    act: str
    intents: tuple[str, ...]


class ReaderFault(Exception):
    """Why the model's reading was not used; the message is what `last_fault` shows."""


class LLMReader:
    """Same surface as Reader; reads through a model, falls back to `offline` on any fault."""

    def __init__(self, offline: Reader, client: openai.OpenAI, model: str, deadline: float = DEADLINE,
                 descriptions: Mapping[str, str] | None = None) -> None:
        self.offline = offline
        self.client = client
        self.deadline = deadline
        self.language = offline.language
        self.model = offline.model  # the classifier model (same meaning as Reader.model); `llm_model` is the LLM
        self.llm_model = model
        self.scenario_intents = offline.scenario_intents
        self.known_intents = offline.known_intents
        self.fallbacks = 0
        self.last_fault: str | None = None
        self._system = system_prompt(offline, descriptions or {})
        self._schema = response_schema(self.known_intents)
        self._labels = lru_cache(maxsize=CACHE)(self._ask)  # per instance: the prompt depends on the scenario

    # ------------------------------------------------------------------------------ reading

    def read(self, text: str, now: str | None = None, explain: bool = False) -> Reading:
        if not isinstance(text, str):
            raise TypeError(f"message text must be a string, got {type(text).__name__}")
        spans = split_sentences(text, self.language)
        if not spans:
            return self.offline.read(text, now, explain)  # nothing to label: no call
        try:
            labels = self._labels(text)
        except ReaderFault as e:
            self.fallbacks += 1
            self.last_fault = str(e)
            return self.offline.read(text, now, explain)
        self.last_fault = None
        times = tuple(find_time_expressions(text, self.language, now))
        m = self.model
        sentences = []
        for span, label in zip(spans, labels, strict=True):
            sent = text[span.start:span.end]
            inside = tuple(t for t in times if span.start <= t.start < span.end)
            heard = {i: HeardIntent(i, CONFIDENCE, BECAUSE, SOURCE) for i in label.intents}
            probs = np.zeros(len(m.intents))
            for i in label.intents:
                if i in m.intents:
                    probs[m.intents.index(i)] = CONFIDENCE
            _gate(heard, label.act, inside, probs, m)
            for h in self.scenario_intents.match(sent):
                if h.source == "pattern":  # a supervisor's exact term holds whatever the model says
                    heard.setdefault(h.id, h)
            ordered = tuple(sorted(heard.values(), key=lambda h: (-h.confidence, h.id)))
            because = f"act {label.act}: {BECAUSE}" if explain else ""
            sentences.append(SentenceReading(sent, span.start, span.end, label.act, CONFIDENCE, ordered, inside,
                                             because))
        return assemble(text, self.language, sentences, times)

    # ------------------------------------------------------------------------------ the call

    def _ask(self, text: str) -> tuple[_Label, ...]:
        """The model's labels for every sentence of `text`; ReaderFault when unusable."""
        spans = split_sentences(text, self.language)
        user = json.dumps({"sentences": [{"index": i, "text": text[s.start:s.end]} for i, s in enumerate(spans)]},
                          ensure_ascii=False)
        messages = [{"role": "system", "content": self._system}, {"role": "user", "content": user}]
        started = time.monotonic()
        import openai

        fmt = _format_of.get(self.client, 0)
        while True:
            remaining = self.deadline - (time.monotonic() - started)
            if remaining <= 0:
                raise ReaderFault(f"deadline: no usable answer within {self.deadline:g} s")
            try:
                content = self._call(messages, _FORMATS[fmt], remaining, len(spans))
            except openai.APITimeoutError:
                raise ReaderFault(f"timeout: no answer within {self.deadline:g} s") from None
            except openai.APIStatusError as e:
                if fmt + 1 < len(_FORMATS) and _rejects_format(e):
                    fmt += 1  # the server refused this response_format: ask again more simply
                    continue
                raise ReaderFault(f"http {e.status_code}: {_short(e.message)}") from None
            except openai.OpenAIError as e:  # connection refused, broken body, ...
                raise ReaderFault(f"{type(e).__name__}: {_short(str(e))}") from None
            _format_of[self.client] = fmt
            if time.monotonic() - started > self.deadline:
                raise ReaderFault(f"deadline: the answer came after {self.deadline:g} s")
            return self._parse(content, len(spans))

    def _call(self, messages: list[dict[str, str]], fmt: str, timeout: float, n: int) -> str | None:
        extra: dict[str, object] = {}
        if fmt == "json_schema":
            extra["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "reading", "strict": True, "schema": self._schema}}
        elif fmt == "json_object":
            extra["response_format"] = {"type": "json_object"}
        # no client retries: a retry would spend the deadline the trainee is waiting on
        client = self.client.with_options(timeout=timeout, max_retries=0)
        resp = client.chat.completions.create(model=self.llm_model, messages=messages,  # type: ignore[arg-type]
                                              temperature=0.0, max_tokens=80 + 60 * n, **extra)  # type: ignore[arg-type]
        return resp.choices[0].message.content if resp.choices else None

    def _parse(self, content: str | None, n: int) -> tuple[_Label, ...]:
        if not content or not content.strip():
            raise ReaderFault("invalid json: the answer was empty")
        body = content.strip()
        if body.startswith("```"):  # some local models fence JSON despite the format
            body = body.strip("`").removeprefix("json").strip()
        try:
            answer = _Answer.model_validate(json.loads(body))
        except json.JSONDecodeError as e:
            raise ReaderFault(f"invalid json: {e.msg} at line {e.lineno} column {e.colno}") from None
        except ValidationError as e:
            first = e.errors()[0]
            raise ReaderFault(f"validation: {'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
        if sorted(s.index for s in answer.sentences) != list(range(n)):
            raise ReaderFault(f"validation: expected sentences 0..{n - 1} once each, "
                              f"got indices {[s.index for s in answer.sentences]}")
        unknown = sorted({i for s in answer.sentences for i in s.intents} - self.known_intents)
        if unknown:
            raise ReaderFault(f"validation: unknown intent id(s) {', '.join(unknown)}")
        by_index = {s.index: s for s in answer.sentences}
        return tuple(_Label(by_index[k].act, tuple(dict.fromkeys(by_index[k].intents))) for k in range(n))


def _rejects_format(e: openai.APIStatusError) -> bool:
    """A 400/422, or a 500 that names the schema (llama.cpp answers an unsupported grammar with 500)."""
    if e.status_code in _REJECTING:
        return True
    return e.status_code == 500 and any(w in str(e.message).lower() for w in _SCHEMA_WORDS)


def _short(s: str, n: int = 160) -> str:
    return s if len(s) <= n else s[:n] + "..."


# ---------------------------------------------------------------------------------- prompt


def _scenario_examples(offline: Reader) -> dict[str, list[str]]:
    # ScenarioIntents keeps its example phrases private; they are vocabulary, safe to show.
    out: dict[str, list[str]] = {}
    for ex in getattr(offline.scenario_intents, "_examples", ()):
        out.setdefault(ex.intent, []).append(ex.text)
    return out


def system_prompt(offline: Reader, descriptions: Mapping[str, str]) -> str:
    """The acts and every known intent id with a one-line meaning; nothing about hidden needs."""
    examples = _scenario_examples(offline)
    lines = []
    for i in sorted(offline.known_intents):
        meaning = descriptions.get(i) or BUILTIN_INTENTS.get(i, "")
        if examples.get(i):
            said = " / ".join(f"\u201c{t}\u201d" for t in examples[i][:3])
            meaning = f"{meaning}; for example {said}" if meaning else f"for example {said}"
        lines.append(f"  - `{i}`: {meaning or 'a move particular to this scenario (the id says what)'}")
    acts = "\n".join(f"  - `{a}`: {_ACT_GLOSS.get(a, '')}" for a in ACTS)
    language = "Japanese" if offline.language == "ja" else "English"
    return Template(PROMPT.read_text(encoding="utf-8")).substitute(language=language, acts=acts,
                                                                   intents="\n".join(lines))


def response_schema(known: frozenset[str]) -> dict[str, object]:
    """JSON Schema for strict structured output: acts and intent ids as enums."""
    one = {"type": "object", "additionalProperties": False, "required": ["index", "act", "intents"],
           "properties": {"index": {"type": "integer"}, "act": {"type": "string", "enum": list(ACTS)},
                          "intents": {"type": "array", "items": {"type": "string", "enum": sorted(known)}}}}
    return {"type": "object", "additionalProperties": False, "required": ["sentences"],
            "properties": {"sentences": {"type": "array", "items": one}}}


# ---------------------------------------------------------------------------------- setting


def reader_enabled(env: Mapping[str, str] | None = None) -> bool:
    """SIMULATOR_LLM_READER: 1/true/yes/on or 0/false/no/off (unset: off)."""
    raw = (os.environ if env is None else env).get(SETTING, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise LLMConfigError(f"{SETTING}={raw!r} is not 1 or 0")


@lru_cache(maxsize=8)
def _client(settings: LLMSettings) -> openai.OpenAI:
    import openai

    # one sync client per endpoint: readers of every scenario share its connections and learn its format once
    return openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key, timeout=make_timeout(settings),
                         max_retries=0)


def llm_reader_for(offline: Reader, settings: LLMSettings | None = None, *,
                   descriptions: Mapping[str, str] | None = None,
                   env: Mapping[str, str] | None = None) -> Reader | LLMReader:
    """The LLM reader when SIMULATOR_LLM_READER is on and an LLM is configured, else `offline`."""
    if not reader_enabled(env):
        return offline
    settings = settings or LLMSettings.from_env(env)
    if not settings.configured or not settings.model:
        return offline
    return LLMReader(offline, _client(settings), settings.model, min(DEADLINE, settings.timeout), descriptions)
