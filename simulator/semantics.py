"""Checks that need more than one field: names that must refer to something that exists.

Each check returns (location path, message) pairs; loading.py maps the path to FILE:LINE:COL.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from simulator.language.intents import check_pattern
from simulator.language.vocabulary import BUILTIN_INTENTS
from simulator.models import Condition, Rubric, Scenario, Signals, parse_clock

Loc = tuple[Any, ...]


class Problem(BaseModel):
    file: str
    line: int
    col: int
    message: str

    @classmethod
    def make(cls, file: str, line: int, col: int, message: str) -> "Problem":
        return cls(file=file, line=line, col=col, message=message)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


def _hint(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that owns the field at `loc` (indices and dict keys skipped)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        f = current.model_fields.get(str(part))
        if f is None:
            return None
        current = _unwrap(f.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """list[X] / dict[str, X] / X | None / Annotated[X, ...] -> X (the model inside, if any)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (list, tuple, dict, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if models else (args[-1] if args else tp)
            if tp in args and not models and typing.get_origin(tp) is None:
                return tp
        else:
            return tp


def close_field(model: type[BaseModel], loc: Loc) -> str | None:
    """The field name an unknown key at `loc` was probably meant to be."""
    owner = _model_at(model, loc[:-1])
    if owner is None:
        return None
    close = difflib.get_close_matches(str(loc[-1]), list(owner.model_fields), n=1, cutoff=0.6)
    return close[0] if close else None


def _known_intent(name: str, custom: set[str]) -> str | None:
    if name in BUILTIN_INTENTS or name in custom:
        return None
    return f"unknown intent '{name}'" + _hint(name, sorted(set(BUILTIN_INTENTS) | custom))


def check_scenario(s: Scenario) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    custom = set(s.patterns) | set(s.intents)
    need_ids = [n.id for n in s.hidden_needs]
    out += check_intents(s)

    for intent, pats in s.patterns.items():
        if not re.fullmatch(r"[a-z0-9_]+", intent):
            out.append((("patterns", intent), f"intent id '{intent}' must be lower_snake_case"))
        for i, pat in enumerate(pats):
            if msg := check_pattern(intent, pat):
                out.append((("patterns", intent, i), msg))

    def conditions(loc: Loc, conds: list[Condition]) -> None:
        for i, c in enumerate(conds):
            for j, name in enumerate(c.intent):
                if msg := _known_intent(name, custom):
                    out.append(((*loc, i, "intent", j), msg))
            for j, nid in enumerate(c.revealed):
                if nid not in need_ids:
                    out.append(((*loc, i, "revealed", j),
                                f"unknown hidden need '{nid}'" + _hint(nid, need_ids)))

    def signals(loc: Loc, sig: Signals) -> None:
        for j, name in enumerate(sig.intent):
            if msg := _known_intent(name, custom):
                out.append(((*loc, "intent", j), msg))

    _duplicates(out, ("hidden_needs",), need_ids, "hidden need")
    _duplicates(out, ("facts",), [f.id for f in s.facts], "fact")
    _duplicates(out, ("clock", "events"), [e.id for e in s.clock.events], "clock event")
    _duplicates(out, ("examples",), [e.id for e in s.examples], "example")
    for i, f in enumerate(s.facts):
        conditions(("facts", i, "asked_by"), f.asked_by)
    for i, n in enumerate(s.hidden_needs):
        conditions(("hidden_needs", i, "reveal_when"), n.reveal_when)
        signals(("hidden_needs", i, "drawn_out_by"), n.drawn_out_by)
        signals(("hidden_needs", i, "acted_on_by"), n.acted_on_by)
    for group in ("raises", "lowers"):
        for i, r in enumerate(getattr(s.mood, group)):
            if msg := _known_intent(r.intent, custom):
                out.append((("mood", group, i, "intent"), msg))
    signals(("end", "trainee_closing"), s.end.trainee_closing)
    start = parse_clock(s.clock.start)
    for i, e in enumerate(s.clock.events):
        if parse_clock(e.at) < start:
            out.append((("clock", "events", i, "at"), f"event '{e.id}' at {e.at} is before the clock starts "
                                                       f"({s.clock.start})"))
    for i, ex in enumerate(s.examples):
        if ex.turns and ex.turns[0].role != "customer":
            out.append((("examples", i, "turns", 0), f"example '{ex.id}' must start with the customer's turn"))
        if not any(t.role == "trainee" for t in ex.turns):
            out.append((("examples", i, "turns"), f"example '{ex.id}' has no trainee turn"))
    return out


def check_intents(s: Scenario) -> list[tuple[Loc, str]]:
    """A scenario's intents taught by example: enough examples, one sentence each, none that
    says the same as another intent's example (the reader could not tell them apart)."""
    from simulator.language.examples import MIN_EXAMPLES, plain_weights, similarity
    from simulator.language.normalize import normalize
    from simulator.language.sentences import split_sentences

    out: list[tuple[Loc, str]] = []
    seen: dict[str, str] = {}  # normalised example -> intent
    weights: list[tuple[str, int, dict[str, float]]] = []
    for intent, d in s.intents.items():
        if not re.fullmatch(r"[a-z0-9_]+", intent):
            out.append((("intents", intent), f"intent id '{intent}' must be lower_snake_case"))
        if not d.examples and not d.patterns:
            out.append((("intents", intent), f"intent '{intent}' needs examples (3 to 10 ways a trainee might say it)"))
        elif d.examples and len(d.examples) < MIN_EXAMPLES:
            out.append((("intents", intent, "examples"),
                        f"intent '{intent}' has {len(d.examples)} example(s); give at least {MIN_EXAMPLES} "
                        "different ways a trainee might say it"))
        for i, pat in enumerate(d.patterns):
            if msg := check_pattern(intent, pat):
                out.append((("intents", intent, "patterns", i), msg))
        for i, ex in enumerate(d.examples):
            if len(split_sentences(ex, s.language)) != 1:
                out.append((("intents", intent, "examples", i), f"example {ex!r} must be one sentence"))
                continue
            key = normalize(ex, s.language).strip(" 。.!?！？")
            if key in seen and seen[key] != intent:
                out.append((("intents", intent, "examples", i),
                            f"example {ex!r} of intent '{intent}' is also an example of '{seen[key]}': "
                            "contradictory, the reader cannot tell them apart"))
                continue
            seen[key] = intent
            weights.append((intent, i, plain_weights(ex, s.language)))
    for a, (ia, i, wa) in enumerate(weights):
        for ib, j, wb in weights[:a]:
            if ia != ib and similarity(wa, wb) >= 0.9:
                out.append((("intents", ia, "examples", i),
                            f"example {s.intents[ia].examples[i]!r} of intent '{ia}' says almost the same as "
                            f"{s.intents[ib].examples[j]!r} of '{ib}': contradictory examples"))
    return out


def check_rubric(r: Rubric) -> list[tuple[Loc, str]]:
    out: list[tuple[Loc, str]] = []
    _duplicates(out, ("criteria",), [c.id for c in r.criteria], "criterion")
    for i, c in enumerate(r.criteria):
        for j, rule in enumerate(c.heuristic.rules):
            for k, name in enumerate(rule.signals.intent):
                if msg := _known_intent(name, set()):
                    out.append((("criteria", i, "heuristic", "rules", j, "signals", "intent", k), msg))
        t = c.heuristic.thresholds
        if list(t) != sorted(t):
            out.append((("criteria", i, "heuristic", "thresholds"), "thresholds must rise from level 1 to level 4"))
    return out


def _duplicates(out: list[tuple[Loc, str]], loc: Loc, ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            out.append(((*loc, i, "id"), f"duplicate {what} id '{x}'"))
        seen.add(x)
