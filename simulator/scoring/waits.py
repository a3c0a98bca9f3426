"""Wait time: every wait the trainee imposes carries a concrete time (domain.md principle 3).

Each time expression of a trainee turn (from the language layer) is one piece of evidence:
concrete, vague, or a rhythm of interim updates. A clock promise already past when it is made
("by 16:00" said at 16:10, against the turn's simulated clock) is no promise. A vague
phrase in the same turn as a concrete estimate («少々お待ちください。1分ほどで戻ります») is softened.
"""

from __future__ import annotations

import re

from simulator.models import Criterion, Evidence, parse_clock
from simulator.scoring.card import Analysis, Finding, level_of
from simulator.scoring.manipulation import sentence_bounds
from simulator.scoring.view import TranscriptView, TurnView, add_evidence, quote

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


def _reflections(tv: TurnView) -> list[tuple[int, int]]:
    """Sentences that restate what happened ("five days with no word, you must have..."):
    a time in them is the past, not a promise."""
    return [sentence_bounds(tv.text, h.start) for h in tv.hits if h.intent == "restates_situation"]
STALE_FLAG = "promise-already-past"


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
        turn_concrete = []
        turn_vague = []
        past = _reflections(tv)
        # The language layer drops plans and refusals ("was due this morning", "can't ship
        # today") from promises_concrete_time: only times it still calls a promise count.
        promised = [h for h in tv.hits if h.intent in ("promises_concrete_time", "interim_update")]
        for x in tv.times:
            if any(s <= x.start < e for s, e in past):
                continue
            if x.concrete and not any(h.start < x.end and x.start < h.end for h in promised):
                continue
            if x.kind == "rhythm":
                if not rhythm:
                    fired.append(f"rhythm '{x.text}'@turn{tv.index}")
                    findings.append(Finding(kind="good", key="rhythm", turn=tv.index,
                                            quote=quote(tv, x.start, x.end).quote))
                rhythm = True
                add_evidence(ev, quote(tv, x.start, x.end), limit=8)
            elif x.concrete:
                if x.kind == "clock" and x.due and tv.now is not None and parse_clock(x.due) <= tv.now:
                    stale += 1
                    fired.append(f"'{x.text}' already past at turn {tv.index}")
                    add_evidence(ev, quote(tv, x.start, x.end), limit=8)
                    findings.append(Finding(kind="try", key="stale", turn=tv.index,
                                            quote=quote(tv, x.start, x.end).quote, detail=x.due))
                elif _semi(x):
                    semi += 1
                    fired.append(f"no real promise '{x.text}'@turn{tv.index}")
                else:
                    turn_concrete.append(x)
            else:
                turn_vague.append(x)
        # Intent hits the time layer did not see (scenario patterns) count as well.
        for h in tv.hits:
            if any(s <= h.start < e for s, e in past):
                continue
            if h.intent == "promises_concrete_time" and not turn_concrete and not any(
                    x.start < h.end and h.start < x.end for x in tv.times):
                turn_concrete.append(h)
            elif h.intent == "vague_wait" and not any(x.start < h.end and h.start < x.end for x in tv.times):
                turn_vague.append(h)
            elif h.intent == "interim_update" and not rhythm:
                rhythm = True
                fired.append(f"interim_update@turn{tv.index}")
                add_evidence(ev, quote(tv, h.start, h.end), limit=8)
                findings.append(Finding(kind="good", key="rhythm", turn=tv.index, quote=quote(tv, h.start, h.end).quote))
            elif h.intent == "asks_to_hold":
                hold_asked = True
            elif h.intent == "thanks_for_waiting" and hold_asked:
                thanked = True
        for x in turn_concrete:
            concrete += 1
            concrete_turns.add(tv.index)
            add_evidence(ev, quote(tv, x.start, x.end), limit=8)
            if concrete == 1:
                findings.append(Finding(kind="good", key="concrete", turn=tv.index,
                                        quote=quote(tv, x.start, x.end).quote))
        for x in turn_vague:
            add_evidence(ev, quote(tv, x.start, x.end), limit=8)
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
