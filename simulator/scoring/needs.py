"""Unspoken needs: drawn out before the customer says it, then acted on in time.

Per hidden need of the scenario: find the customer turn that disclosed it (its disclosure
lines matched against the customer turns), then ask whether a `drawn_out_by` move came BEFORE
that turn (drawn out), only after (volunteered), or never; and whether an `acted_on_by` move came
while the solution was still possible (`expires_at` against the simulated clock). Drawing out
earns more than reacting. Without a scenario, generic context questions and offers stand in.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum
from functools import lru_cache

from simulator.models import Criterion, Evidence, HiddenNeed, parse_clock
from simulator.scoring.card import Analysis, Finding, level_of
from simulator.language import IntentHit
from simulator.scoring.manipulation import sentence_bounds
from simulator.scoring.view import (SignalsKey, TranscriptView, TurnReading, TurnView, cite, quoted,
                                    signal_hits)

CONTEXT = ("asks_occasion", "asks_deadline", "asks_usage", "asks_availability", "asks_recipient")
OFFERS = ("offers_faster_option", "offers_alternative")
QUESTIONS = CONTEXT + ("asks_identification", "asks_details", "asks_open_question")
OFFER_ACTS = ("offer", "commitment", "question")  # "shall I...?" / "I'll ship it today" / "would express help?"
ASKING_ACTS = ("question", "request", "offer")
_PUNCT = re.compile(r"[\s、。，,．.！!？?「」『』（）()…・〜~ー-]+")
DISCLOSURE_MATCH = 0.5  # share of a disclosure line's bigrams / words found in the customer turn


class Status(str, Enum):
    DRAWN = "drawn"  # a drawing-out move came before the disclosure
    VOLUNTEERED = "volunteered"  # the customer said it without being led to it
    ASKED = "asked"  # the trainee asked, the customer never said it in this transcript
    HIDDEN = "hidden"  # never came up


@lru_cache(maxsize=4096)
def _grams(text: str, language: str) -> frozenset[str]:
    """Character bigrams (ja) or words (en) for a fuzzy "does this turn say that line" test.

    Width and case folding is all a fuzzy overlap needs, so plain NFKC stands in for the
    language layer's offset-mapping normalize here: it runs on every customer turn."""
    norm = unicodedata.normalize("NFKC", text).lower()
    if language == "ja":
        s = _PUNCT.sub("", norm)
        return frozenset(s[i:i + 2] for i in range(len(s) - 1))
    return frozenset(w for w in re.findall(r"[a-z0-9']+", norm) if len(w) > 2)


def disclosure_turn(view: TranscriptView, need: HiddenNeed, said: list[tuple[int, tuple[bool, ...]]], k: int) -> int | None:
    """Index of the first customer turn that says need `k` (`said`: `_disclosed` per customer
    turn), -1 when only the session state knows it was revealed, else None."""
    for index, flags in said:
        if flags[k]:
            return index
    return -1 if need.id in _state_list(view, "revealed_needs") else None


@lru_cache(maxsize=256)
def _variants(disclosures: tuple[tuple[str, ...], ...], language: str) -> tuple[tuple[frozenset[str], ...], ...]:
    """Per hidden need, the grams of each of its disclosure lines."""
    return tuple(tuple(g for g in (_grams(d, language) for d in lines) if g) for lines in disclosures)


@lru_cache(maxsize=16384)
def _disclosed(variants: tuple[tuple[frozenset[str], ...], ...], text: str, language: str) -> tuple[bool, ...]:
    """Per hidden need, does a customer turn say one of its disclosure lines (enough of its
    grams)? One look per customer turn serves every need."""
    grams = _grams(text, language)
    return tuple(any(len(v & grams) / len(v) >= DISCLOSURE_MATCH for v in need) for need in variants)


def _state_list(view: TranscriptView, key: str) -> list[str]:
    """A list from a Session's `state` (play output), when the transcript carries one."""
    state = (view.transcript.model_extra or {}).get("state")
    value = state.get(key) if isinstance(state, dict) else None
    return [str(v) for v in value] if isinstance(value, list) else []


def _real_offer(read: TurnReading, hit: IntentHit) -> bool:
    """An acting move, not a recollection of the past («宅配便でお送りするお約束だったのに…
    届いていなかったのですね») nor a vague hope («できるだけ早くお届けできるように»)."""
    if hit.act and hit.act not in OFFER_ACTS:
        return False  # "express isn't available for this item" names the option but offers nothing
    s, e = sentence_bounds(read.text, hit.start)
    for h in read.hits:
        if s <= h.start < e and h.intent == "restates_situation":
            return False
    vague = any(s <= x.start < e and not x.concrete for x in read.times)
    concrete = any(s <= x.start < e and x.concrete for x in read.times)
    return not (vague and not concrete)


Moves = tuple[tuple[IntentHit, ...], tuple[IntentHit, ...]]  # a need's drawing-out hits, acting hits


@lru_cache(maxsize=16384)
def _moves(read: TurnReading, keys: tuple[tuple[SignalsKey, SignalsKey], ...]) -> tuple[Moves, ...]:
    """Per hidden need, what one turn does about it: the `drawn_out_by` hits, and the
    `acted_on_by` hits that are real offers. One cached look per turn serves every need."""
    return tuple((tuple(h for h in signal_hits(read, draw) if _real_question(h)),
                  tuple(h for h in signal_hits(read, act) if _real_offer(read, h)))
                 for draw, act in keys)


def _real_question(hit: IntentHit) -> bool:
    """A built-in probing intent counts only from a sentence that asks (or invites an answer)."""
    return not (hit.intent.startswith("asks_") and hit.act and hit.act not in ASKING_ACTS)


_QUESTION_END = re.compile(r"(?:か|かね|でしょうか|ますか|ですか)\s*$")


def _is_question(tv: TurnView, hit: IntentHit) -> bool:
    if hit.act:
        return hit.act in ASKING_ACTS
    s, e = sentence_bounds(tv.text, hit.start)
    sentence = tv.text[s:e]
    return "?" in sentence or "？" in sentence or bool(_QUESTION_END.search(sentence.rstrip("。．. ")))


def _interrogation(view: TranscriptView) -> bool:
    """Four question turns in a row with no help offered: an interrogation, not apt questions."""
    run = 0
    for tv in view.trainee:
        intents = tv.intents
        if intents & set(OFFERS) or "promises_concrete_time" in intents:
            run = 0
        elif intents & set(QUESTIONS):
            run += 1
            if run >= 4:
                return True
    return False


Hits = list[tuple[TurnView, tuple[IntentHit, ...]]]  # turns that make a move, with its hits


def _need_points(view: TranscriptView, need: HiddenNeed, draws: Hits, acting: Hits,
                 disclosed: int | None, confirmations: list[tuple[TurnView, IntentHit]],
                 ev: list[Evidence], fired: list[str], findings: list[Finding]) -> tuple[float, Status]:
    d = disclosed
    volunteered_state = need.id in _state_list(view, "volunteered_needs")
    expiry = parse_clock(need.expires_at) if need.expires_at else None
    acts, late = [], []
    for tv, hits in acting:
        (late if expiry is not None and tv.now is not None and tv.now >= expiry else acts).append((tv, hits))
    if d is None:
        status = Status.ASKED if draws else Status.HIDDEN
    elif d == -1:  # known revealed from the session state, turn unknown
        status = Status.VOLUNTEERED if volunteered_state or not draws else Status.DRAWN
    else:
        status = Status.DRAWN if any(tv.index < d for tv, _ in draws) else Status.VOLUNTEERED
    after = d if d is not None and d >= 0 else -1
    confirms = [(tv, h) for tv, h in confirmations if tv.index > after]
    reacted = any(tv.index > after for tv, _ in draws) or bool(confirms)

    # A need that never came out is not named on the card (its id says what it is).
    label = need.id if d is not None else "need not yet out"
    fired.append(f"{label}: {status.value}" + (f" at turn {d}" if d is not None and d >= 0 else ""))
    for tv, hits in draws[:1]:
        cite(ev, tv, hits[0].start, hits[0].end)
    if acts:
        tv, hits = acts[0]
        cite(ev, tv, hits[0].start, hits[0].end)
        fired.append(f"{label}: acted on at turn {tv.index}")
        findings.append(Finding(kind="good", key="acted", turn=tv.index,
                                quote=quoted(tv, hits[0].start, hits[0].end)))
    if late and not acts:
        tv, hits = late[0]
        fired.append(f"{label}: offer at turn {tv.index} came after {need.expires_at}")
        findings.append(Finding(kind="try", key="late_offer", turn=tv.index, detail=need.expires_at or ""))

    if status is Status.DRAWN:
        before = [(tv, h) for tv, h in draws if d is None or d < 0 or tv.index < d]
        asked = [(tv, h) for tv, h in before if any(_is_question(tv, x) for x in h)]
        tv, hits = (asked or before)[0]
        findings.append(Finding(kind="good", key="drawn", turn=tv.index,
                                quote=quoted(tv, hits[0].start, hits[0].end)))
        # Drawing out is done with a question (rubric); a need that surfaced after, say,
        # naming the feeling was met, not sought, and earns a point less.
        discount = 0.0 if asked else 1.0
        if not asked:
            fired.append(f"{label}: drawn without a question")
        if acts:
            points = 3.5 - discount + (0.5 if confirms else 0.0) - (1.0 if _interrogation(view) else 0.0)
            if confirms:
                fired.append(f"{label}: confirmed back")
        else:
            points = 2.0 - discount / 2
            findings.append(Finding(kind="try", key="not_acted", detail=",".join(need.acted_on_by.intent)))
    elif status is Status.VOLUNTEERED:
        findings.append(Finding(kind="try", key="volunteered", detail=",".join(need.drawn_out_by.intent)))
        points = 2.0 if acts else (1.0 if reacted else 0.0)
        if not acts:
            findings.append(Finding(kind="try", key="not_acted", detail=",".join(need.acted_on_by.intent)))
    elif status is Status.ASKED:
        tv, hits = draws[0]
        findings.append(Finding(kind="good", key="asked", turn=tv.index,
                                quote=quoted(tv, hits[0].start, hits[0].end)))
        points = 3.0 if acts else 1.5
    else:
        points = 2.0 if acts else 0.0
        findings.append(Finding(kind="try", key="missed", detail=",".join(need.drawn_out_by.intent)))
    return points, status


def _generic(view: TranscriptView, ev: list[Evidence], fired: list[str], findings: list[Finding]) -> float:
    """No scenario: a context question and an offer stand in for drawing out and acting."""
    q = next(((tv, h) for tv in view.trainee for h in tv.hits if h.intent in CONTEXT), None)
    o = next(((tv, h) for tv in view.trainee for h in tv.hits if h.intent in OFFERS and _real_offer(tv.reading, h)), None)
    if o is None and q is not None:
        # Confirming the need back and committing to a time after the question is acting on it.
        o = next(((tv, h) for tv in view.trainee if tv.ordinal >= q[0].ordinal
                  and "promises_concrete_time" in tv.intents for h in tv.hits if h.intent == "confirms_back"), None)
    for found, key in ((q, "asked"), (o, "acted")):
        if found:
            tv, h = found
            cite(ev, tv, h.start, h.end)
            fired.append(f"{h.intent}@turn{tv.index}")
            findings.append(Finding(kind="good", key=key, turn=tv.index, quote=quoted(tv, h.start, h.end)))
    if q and o:
        points = 3.0 + (0.5 if o[0].ordinal >= q[0].ordinal else 0.0)
        points += 0.5 if any("confirms_back" in tv.intents for tv in view.trainee) else 0.0
        points -= 1.0 if _interrogation(view) else 0.0
    elif q or o:
        points = 2.0
        findings.append(Finding(kind="try", key="not_acted" if q else "missed"))
    else:
        points = 0.0
        findings.append(Finding(kind="try", key="missed"))
    return points


def analyze(view: TranscriptView, criterion: Criterion) -> Analysis:
    ev: list[Evidence] = []
    fired: list[str] = []
    findings: list[Finding] = []
    statuses: list[Status] = []
    if view.scenario is None:
        points = _generic(view, ev, fired, findings)
    else:
        per_need = []
        needs = view.scenario.hidden_needs
        variants = _variants(tuple(tuple(n.disclosure) for n in needs), view.language)
        said = [(tv.index, _disclosed(variants, tv.text, view.language)) for tv in view.customer]
        keys = tuple((view.key(n.drawn_out_by), view.key(n.acted_on_by)) for n in needs)
        draws: list[Hits] = [[] for _ in needs]
        acting: list[Hits] = [[] for _ in needs]
        for tv in view.trainee:  # one pass over the turns sorts every need's moves
            if tv.reading is not None:
                for k, (drawing, acts) in enumerate(_moves(tv.reading, keys)):
                    if drawing:
                        draws[k].append((tv, drawing))
                    if acts:
                        acting[k].append((tv, acts))
        confirmations = [(tv, h) for tv in view.trainee for h in tv.hits if h.intent == "confirms_back"]
        for k, need in enumerate(needs):
            p, status = _need_points(view, need, draws[k], acting[k], disclosure_turn(view, need, said, k),
                                     confirmations, ev, fired, findings)
            per_need.append(p)
            statuses.append(status)
        # The best-handled need dominates; missing the others still costs a little.
        points = 0.75 * max(per_need) + 0.25 * sum(per_need) / len(per_need)
    cap = 4
    policy = next(((tv, h) for tv in view.trainee for h in tv.hits if h.intent == "hides_behind_policy"), None)
    if policy is not None:
        tv, h = policy
        cap = 1 if points < 3 else 3  # refusing on a rule without an alternative caps at 1
        fired.append(f"hides_behind_policy@turn{tv.index}")
        cite(ev, tv, h.start, h.end)
        findings.append(Finding(kind="try", key="policy", turn=tv.index, quote=quoted(tv, h.start, h.end)))
    admin = next((tv for tv in view.trainee if "asks_identification" in tv.intents), None)
    ignored = Status.VOLUNTEERED in statuses and points < 1
    if admin is not None and points < 1 and not ignored and policy is None:
        points = 1.0  # administrative questions only (rubric level 1)
        fired.append(f"asks_identification@turn{admin.index} only")
    return Analysis(points=points, level=level_of(points, cap), evidence=ev, fired=fired, findings=findings)
