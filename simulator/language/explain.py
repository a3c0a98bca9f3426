"""`simulator explain`: how the reader hears a trainee text, as one JSON line per text
(shape in docs/contracts.md). The supervisor editor's "try a phrase" box shows the same."""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from simulator.language.reader import Reader

if TYPE_CHECKING:
    from simulator.models import Scenario

_JA = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExplainedIntent(_Out):
    id: str
    confidence: float
    because: str


class ExplainedSentence(_Out):
    text: str
    start: int
    end: int
    act: str
    act_confidence: float
    because: str
    intents: list[ExplainedIntent]


class QuotedIntent(_Out):
    id: str
    quote: str  # == text[start:end]
    start: int
    end: int
    confidence: float


class ExplainedTime(_Out):
    text: str
    concrete: bool
    due: str | None
    kind: str
    start: int
    end: int
    promise: bool  # inside a commitment, offer or request: the act makes it a wait


class Explanation(_Out):
    text: str
    lang: str
    sentences: list[ExplainedSentence]
    intents: list[QuotedIntent]
    times: list[ExplainedTime]


def guess_language(text: str) -> str:
    return "ja" if _JA.search(text) else "en"


def explain(text: str, reader: Reader, now: str | None = None) -> Explanation:
    r = reader.read(text, now=now, explain=True)
    sentences, intents, times = [], [], []
    for s in r.sentences:
        sentences.append(ExplainedSentence(
            text=s.text, start=s.start, end=s.end, act=s.act, act_confidence=s.act_confidence, because=s.because,
            intents=[ExplainedIntent(id=h.id, confidence=h.confidence, because=h.because) for h in s.intents]))
        intents += [QuotedIntent(id=h.id, quote=s.text, start=s.start, end=s.end, confidence=h.confidence)
                    for h in s.intents]
        times += [ExplainedTime(text=t.text, concrete=t.concrete, due=t.due, kind=t.kind, start=t.start, end=t.end,
                                promise=s.committing) for t in s.times]
    return Explanation(text=text, lang=reader.language, sentences=sentences, intents=intents, times=times)


def reader_for(language: str, scenario: "Scenario | None") -> Reader:
    if scenario is None:
        from simulator.language.reader import generic_reader
        return generic_reader(language)
    from simulator.language.intents import detector_for
    return detector_for(scenario).reader


def cmd_explain(args: argparse.Namespace) -> int:
    scenario = None
    if args.scenario:
        from simulator.customers.play import PlayError, resolve_scenario
        try:
            scenario = resolve_scenario(args.scenario)
        except PlayError as e:
            print(f"simulator explain: {e}", file=sys.stderr)
            return 1
        if args.lang and args.lang != scenario.language:
            print(f"simulator explain: --lang {args.lang} does not match scenario '{scenario.id}' "
                  f"(language {scenario.language})", file=sys.stderr)
            return 1
    for i, text in enumerate(args.texts):
        if not text.strip():
            print(f"simulator explain: TEXT {i + 1} is empty", file=sys.stderr)
            return 1
    now = scenario.clock.start if scenario else None
    for text in args.texts:
        language = scenario.language if scenario else (args.lang or guess_language(text))
        print(explain(text, reader_for(language, scenario), now).model_dump_json())
    return 0
