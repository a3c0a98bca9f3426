"""Wait time: every wait the trainee imposes carries a concrete time (domain.md principle 3).

Each time expression of a trainee turn (from the language layer) is one piece of evidence:
concrete, vague, or a rhythm of interim updates. A clock promise already past when it is made
("by 16:00" said at 16:10, against the turn's simulated clock) is no promise. A vague
phrase in the same turn as a concrete estimate («少々お待ちください。1分ほどで戻ります») is softened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from simulator.language import IntentHit, TimeExpression
from simulator.models import Criterion, Evidence, parse_clock
from simulator.scoring.card import Analysis, Finding, level_of
from simulator.scoring.manipulation import sentence_bounds
from simulator.scoring.view import TranscriptView, TurnReading, cite, quoted

# "Sometime today" / "in a few days": a mention of time, not a promise one can hold the shop to
# (rubric level 1). Digits make it concrete again ("2〜3日", "within 2 days").
_SEMI = re.compile(r"本日中|今日中|当日中|数日|近日|today|a few days|this week|今週中", re.IGNORECASE)
_DIGIT = re.compile(r"[0-9０-９一二三四五六七八九十]")
# A bare day ("明日", "tomorrow") states a schedule, it is not a time one can wait against;
# a part of the day or a number makes it one ("明日の午前中", "on the 29th").
_DAY_PART = re.compile(r"[0-9０-９]|午前|午後|朝|昼|夕方|夜|morning|afternoon|evening|noon|night|am\b|pm\b",
                       re.IGNORECASE)


def _semi(x: object) -> bool:
    text = getattr(x, "text", "")
    kind = getattr(x, "kind", "")
    return bool((_SEMI.search(text) and not _DIGIT.search(text)) or (kind == "date" and not _DAY_PART.search(text)))


def _reflections(read: TurnReading) -> list[tuple[int, int]]:
    """Sentences that restate what happened ("five days with no word, you must have..."):
    a time in them is the past, not a promise."""
    return [sentence_bounds(read.text, h.start) for h in read.hits if h.intent == "restates_situation"]
STALE_FLAG = "promise-already-past"


class _Time(NamedTuple):
    kind: str  # "rhythm", "concrete" or "vague"
    x: TimeExpression
    due: int | None  # a clock promise's due time (seconds): stale when the turn is said later
    semi: bool  # "today" / "a few days": a mention of time, no promise


@dataclass(frozen=True, slots=True)
class _WaitMoves:
    """What a turn's text says about waiting, whatever the clock: worked out once per text."""

    times: tuple[_Time, ...]
    hits: tuple[tuple[str, IntentHit], ...]  # ("concrete" | "vague" | "interim" | "hold" | "thanks", hit)


_HIT_KINDS = {"promises_concrete_time": "concrete", "vague_wait": "vague", "interim_update": "interim",
              "asks_to_hold": "hold", "thanks_for_waiting": "thanks"}


@lru_cache(maxsize=16384)
def _wait_moves(read: TurnReading) -> _WaitMoves:
    past = _reflections(read)
    # The language layer drops plans and refusals ("was due this morning", "can't ship
    # today") from promises_concrete_time: only times it still calls a promise count.
    promised = [h for h in read.hits if h.intent in ("promises_concrete_time", "interim_update")]
    times = []
    for x in read.times:
        if any(s <= x.start < e for s, e in past):
            continue
        if x.concrete and not any(h.start < x.end and x.start < h.end for h in promised):
            continue
        if x.kind == "rhythm":
            times.append(_Time("rhythm", x, None, False))
        elif x.concrete:
            due = parse_clock(x.due) if x.kind == "clock" and x.due else None
            times.append(_Time("concrete", x, due, _semi(x)))
        else:
            times.append(_Time("vague", x, None, False))
    # Intent hits the time layer did not see (scenario patterns) count as well.
    hits = []
    for h in read.hits:
        if any(s <= h.start < e for s, e in past):
            continue
        kind = _HIT_KINDS.get(h.intent)
        if kind is None or (kind in ("concrete", "vague")
                            and any(x.start < h.end and h.start < x.end for x in read.times)):
            continue  # a time the time layer saw is judged above, once
        hits.append((kind, h))
    return _WaitMoves(tuple(times), tuple(hits))


def analyze(view: TranscriptView, criterion: Criterion) -> Analysis:
    ev: list[Evidence] = []
    fired: list[str] = []
    findings: list[Finding] = []
    flags: list[str] = []
    concrete = vague = semi = stale = softened = 0
    rhythm = False
    concrete_turns: set[int] = set()
    hold_asked = thanked = False

    for tv in view.trainee:
        if tv.reading is None:
            continue
        moves = _wait_moves(tv.reading)
        turn_concrete: list[TimeExpression | IntentHit] = []
        turn_vague: list[TimeExpression | IntentHit] = []
        for kind, x, due, is_semi in moves.times:
            if kind == "rhythm":
                if not rhythm:
                    fired.append(f"rhythm '{x.text}'@turn{tv.index}")
                    findings.append(Finding(kind="good", key="rhythm", turn=tv.index,
                                            quote=quoted(tv, x.start, x.end)))
                rhythm = True
                cite(ev, tv, x.start, x.end, limit=8)
            elif kind == "concrete":
                if due is not None and tv.now is not None and due <= tv.now:
                    stale += 1
                    fired.append(f"'{x.text}' already past at turn {tv.index}")
                    cite(ev, tv, x.start, x.end, limit=8)
                    findings.append(Finding(kind="try", key="stale", turn=tv.index,
                                            quote=quoted(tv, x.start, x.end), detail=x.due))
                elif is_semi:
                    semi += 1
                    fired.append(f"no real promise '{x.text}'@turn{tv.index}")
                else:
                    turn_concrete.append(x)
            else:
                turn_vague.append(x)
        for kind, h in moves.hits:
            if kind == "concrete":
                if not turn_concrete:
                    turn_concrete.append(h)
            elif kind == "vague":
                turn_vague.append(h)
            elif kind == "interim":
                if not rhythm:
                    rhythm = True
                    fired.append(f"interim_update@turn{tv.index}")
                    cite(ev, tv, h.start, h.end, limit=8)
                    findings.append(Finding(kind="good", key="rhythm", turn=tv.index,
                                            quote=quoted(tv, h.start, h.end)))
            elif kind == "hold":
                hold_asked = True
            elif hold_asked:
                thanked = True
        for x in turn_concrete:
            concrete += 1
            concrete_turns.add(tv.index)
            cite(ev, tv, x.start, x.end, limit=8)
            if concrete == 1:
                findings.append(Finding(kind="good", key="concrete", turn=tv.index,
                                        quote=quoted(tv, x.start, x.end)))
        for x in turn_vague:
            cite(ev, tv, x.start, x.end, limit=8)
            if any(getattr(c, "kind", "") in ("duration", "clock") for c in turn_concrete):
                softened += 1  # 「少々お待ちください。1分ほどで戻ります」: the estimate answers it
                fired.append(f"vague '{x.text}' softened by an estimate@turn{tv.index}")
            else:
                vague += 1
                fired.append(f"vague '{x.text}'@turn{tv.index}")
                findings.append(Finding(kind="try", key="vague", turn=tv.index, quote=tv.text[x.start:x.end]))
    if concrete:
        fired.append(f"{concrete} concrete time(s) in {len(concrete_turns)} turn(s)")

    if concrete == 0:
        if semi or stale:
            points = 1.0 if not vague else 0.5
        else:
            points = 0.0 if vague else 1.0
        if not (semi or stale or vague):
            fired.append("no time given at all")
        findings.append(Finding(kind="try", key="no_time"))
        cap = 1
    elif vague:
        # One vague wait among concrete ones caps at 3; mostly vague waits sink towards 1.
        points = 2.0 + (0.5 if rhythm else 0.0) + (0.5 if len(concrete_turns) >= 2 else 0.0)
        points += (0.5 if hold_asked and thanked else 0.0) - 0.5 * max(0, vague - concrete)
        points = max(points, 1.0)
        cap = 3
    else:
        points = 3.0 + (1.0 if rhythm else 0.0) + (0.5 if len(concrete_turns) >= 2 else 0.0)
        points += 0.5 if hold_asked and thanked else 0.0
        cap = 4
    if stale:
        points -= 1.0
        flags.append(STALE_FLAG)
    if concrete and not rhythm:
        findings.append(Finding(kind="try", key="no_rhythm"))
    return Analysis(points=points, level=level_of(points, cap), evidence=ev, fired=fired,
                    findings=findings, flags=flags)
