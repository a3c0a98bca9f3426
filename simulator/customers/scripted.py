"""The scripted customer: a deterministic engine driven entirely by the scenario file.

`next_message(scenario, message, state)` is a pure function: everything it needs is in its
arguments, the randomness comes from `random.Random` seeded by (state.seed, state.turn), and the
new state is handed back as a new object. The LLM engine runs it underneath to decide state, so
its decision is also exposed as a typed `ScriptedStep` (which line kind won, what came out).

One step: the trainee speaks after the hold (clock + hold); clock events passed by then are
recorded; the message is read at that time (intents, time expressions); promises are recorded;
mood rules apply; then the reply is picked by priority (see `_candidates`) and the clock moves
on by seconds_per_turn. The customer remembers (`state.memory`, see recall.py): a reply never
repeats one of her lines of this session, never asks again for a time or a confirmation she was
given, never echoes a word the trainee did not say; a kind with no such line left yields to the
next kind down.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from simulator.customers import recall
from simulator.customers.base import CustomerReply, ReplyEvent
from simulator.customers.rules import (Reading, any_holds, farewell, mood_after, read_message,
                                       signals_match)
from simulator.models import ClockEvent, CustomerState, Promise, Scenario, Turn, format_clock, parse_clock

HOLD_UNEASY_SECONDS = 30  # domain: 「少々」 is heard as ~30 s; past it the customer grows uneasy
HOLD_LONG_SECONDS = 60  # past a minute the customer asks
MAX_HOLD_SECONDS = 24 * 3600  # the simulated clock is one day; longer would wrap past midnight
MAX_MESSAGE_CHARS = 5000  # bounds the regex work per message; the UIs cap lower (2,000)

ReplyKind = Literal[
    "opening", "closing", "hang_up", "waiting_for_close", "hold_uneasy", "hold_long", "disclosure",
    "late_reply", "fact", "vague_wait", "policy", "rote_apology", "acknowledged", "concrete_time",
    "reassured", "question", "volunteer", "filler", "announce", "silent", "thanks", "overdue", "refer_back"]


class ContactEndedError(ValueError):
    """A message arrived after the call or chat was over."""


class Candidate(BaseModel):
    kind: ReplyKind
    lines: list[str]
    needs: list[str] = Field(default_factory=list)  # the hidden needs this line discloses
    facts: list[str] = Field(default_factory=list)  # the facts this line tells (she remembers telling them)
    ends: Literal["trainee", "customer", "max_turns"] | None = None


class ScriptedStep(BaseModel):
    """The engine's whole decision for one message (the LLM engine builds on it)."""

    reply: CustomerReply
    kind: ReplyKind
    intents: list[str] = Field(default_factory=list)
    newly_revealed: list[str] = Field(default_factory=list)
    passed_events: list[str] = Field(default_factory=list, description="clock events passed in this step")


def _rng(state: CustomerState) -> random.Random:
    # Same seed and turn -> same choice, in any process (int seeds do not depend on hash salt).
    return random.Random(state.seed * 1_000_003 + state.turn)


def _join(language: str, *parts: str) -> str:
    sep = "" if language == "ja" else " "
    return sep.join(p for p in parts if p)


def _pick(rng: random.Random, cands: list[Candidate], fresh: Callable[[list[str]], list[str]],
          language: str) -> tuple[Candidate, str]:
    """First candidate with a line she may still say (`fresh`); endings always speak. When every
    line is spent, two fillers said together make a new one (a 30-turn call can exhaust a pack)."""
    for c in cands:
        ok = fresh(c.lines)
        if ok:
            return c, rng.choice(ok)
        if c.ends and c.lines:
            return c, rng.choice(c.lines)
    fillers = next((c for c in reversed(cands) if c.kind == "filler"), cands[-1])
    pairs = fresh([_join(language, a, b) for a in fillers.lines for b in fillers.lines if a != b])
    return fillers, rng.choice(pairs or fillers.lines)


class ScriptedCustomer:
    """CustomerBackend (name "scripted"): the scenario's lines, chosen by rules. Holds no state."""

    name = "scripted"

    def start(self, scenario: Scenario, seed: int = 0) -> CustomerReply:
        clock = format_clock(parse_clock(scenario.clock.start))
        state = CustomerState(mood=scenario.mood.initial, clock=clock, seed=seed)
        text = _rng(state).choice(scenario.opening)
        state = state.model_copy(update={"turn": 1, "last_reply": text})
        return CustomerReply(turn=Turn(role="customer", text=text, at=clock, source="scripted"), state=state)

    def next_message(self, scenario: Scenario, message: str, state: CustomerState,
                     hold_seconds: int = 0) -> CustomerReply:
        return self.step(scenario, message, state, hold_seconds).reply

    async def stream(self, scenario: Scenario, message: str, state: CustomerState, hold_seconds: int = 0, *,
                     transcript: Sequence[Turn] = ()) -> AsyncIterator[ReplyEvent]:
        """The script reacts from its state alone; `transcript` is accepted for the protocol."""
        reply = self.next_message(scenario, message, state, hold_seconds)
        if reply.turn is not None:
            for chunk in split_chunks(reply.turn.text):
                yield ReplyEvent(delta=chunk)
        yield ReplyEvent(done=reply)

    # ------------------------------------------------------------------------------ one step

    def step(self, scenario: Scenario, message: str, state: CustomerState, hold_seconds: int = 0) -> ScriptedStep:
        """React to `message` said after `hold_seconds` on hold.

        The customer's reaction to a hold ("are you still there?") is said DURING the hold, so it
        comes from a hold-only call (empty message): >= 30 s uneasy, >= 60 s she asks, shorter
        holds she waits in silence (turn None). With a message the trainee is back: the hold
        only moves the clock and the reply answers the message."""
        if not isinstance(state, CustomerState):
            raise TypeError(f"state must be a CustomerState (from start() or the last reply), "
                            f"got {type(state).__name__}")
        if state.ended:
            raise ContactEndedError(f"the contact has already ended (by {state.ended_by or 'unknown'}); "
                                    "start a new session to continue")
        if isinstance(hold_seconds, bool) or not isinstance(hold_seconds, int) or hold_seconds < 0:
            raise ValueError(f"hold_seconds must be a whole number of seconds >= 0, got {hold_seconds!r}")
        if hold_seconds > MAX_HOLD_SECONDS:
            raise ValueError(f"hold_seconds must be at most {MAX_HOLD_SECONDS} (a day), got {hold_seconds}")
        if not isinstance(message, str):
            raise ValueError(f"message must be text, got {type(message).__name__}")
        if len(message) > MAX_MESSAGE_CHARS:
            raise ValueError(f"the trainee's message is {len(message)} characters; the limit is {MAX_MESSAGE_CHARS}")
        message = message.strip()
        if not message and hold_seconds == 0:
            raise ValueError("the trainee's message is empty (give text, or a hold of some seconds)")

        # Everything is judged at the moment the trainee speaks (after the hold): an offer made
        # at 15:59:30 is before a 16:00 cut-off. The customer answers seconds_per_turn later.
        said_s = parse_clock(state.clock) + hold_seconds
        said = format_clock(said_s)
        now = format_clock(said_s + (scenario.clock.seconds_per_turn if message else 0))
        passed = [e for e in scenario.clock.events
                  if e.id not in state.passed_events and parse_clock(e.at) <= said_s]
        update: dict[str, object] = {
            "clock": now, "hold_seconds": state.hold_seconds + hold_seconds,
            "passed_events": [*state.passed_events, *(e.id for e in passed)],
        }
        if not message:
            return self._hold_only(scenario, state, update, hold_seconds, passed)

        reading = read_message(scenario, message, said)
        mood = mood_after(scenario, reading.intents, state.mood)
        reading = reading.model_copy(update={"mood": mood})
        index = state.turn + state.trainee_turns  # transcript index of this trainee message
        promises = [Promise(turn=index, text=t.text, due=t.due, concrete=t.concrete) for t in reading.times]
        update.update(mood=mood, trainee_turns=state.trainee_turns + 1,
                      promises=[*state.promises, *promises])

        lang = scenario.language
        rng = _rng(state)
        promised = state.model_copy(update={"promises": [*state.promises, *promises]})
        answered = bool(recall.live_promises(promised, reading.clock_seconds))
        fresh = lambda xs: recall.usable(xs, lang, state.memory, answered_time=answered, trainee_text=message)  # noqa: E731
        cands = self._candidates(scenario, reading, promised, rng)
        cand, line = _pick(rng, cands, fresh, lang)
        prefixes: list[str] = []  # said before the line: recorded, so none is said twice either
        # A concrete promise is acknowledged with its time (in her words, not the trainee's).
        ack = [p for p in promises if p.due]
        if ack and not cand.ends and cand.kind not in ("overdue", "late_reply"):
            prefixes.append(_prefix(rng, recall.lines("promise_ack", lang, time=recall.say_time(ack[-1].due or "", lang)),
                                    state))
        # Congratulations are thanked for, whatever else the reply says.
        if reading.has("congratulates") and not cand.ends and cand.kind != "thanks":
            prefixes.insert(0, _prefix(rng, recall.lines("thanks", lang), state))
        text = _join(lang, *prefixes, line)
        announce = [e.announce for e in passed if e.announce]
        if announce and not cand.ends and cand.kind != "late_reply":  # a late reply already says it
            text = _join(lang, *announce, text)
        noted = [p.turn for p in recall.overdue(state, reading.clock_seconds)] if cand.kind == "overdue" else []
        memory = recall.remember(state.memory, reading, index, facts=cand.facts,
                                 said=[*prefixes, line, text], acknowledged=[p.turn for p in ack], overdue_noted=noted)
        update["memory"] = memory
        revealed = list(state.revealed_needs)
        volunteered = list(state.volunteered_needs)
        revealed.extend(cand.needs)
        if cand.kind == "volunteer":
            volunteered.extend(cand.needs)
        update.update(revealed_needs=revealed, volunteered_needs=volunteered, turn=state.turn + 1,
                      last_reply=text, ended=cand.ends is not None, ended_by=cand.ends)
        new_state = state.model_copy(update=update)
        turn = Turn(role="customer", text=text, at=now, source="scripted")
        return ScriptedStep(reply=CustomerReply(turn=turn, state=new_state), kind=cand.kind,
                            intents=reading.intents, newly_revealed=cand.needs,
                            passed_events=[e.id for e in passed])

    def _hold_only(self, scenario: Scenario, state: CustomerState, update: dict[str, object],
                   hold_seconds: int, passed: list[ClockEvent]) -> ScriptedStep:
        """On hold in silence: the customer reacts to a long hold, and to a clock event (a
        cut-off) that passes meanwhile; otherwise she waits quietly (turn None)."""
        ids = [e.id for e in passed]
        announce = [e.announce for e in passed if e.announce]
        cands = self._hold_candidates(scenario, hold_seconds)
        if not cands and not announce:
            return ScriptedStep(reply=CustomerReply(turn=None, state=state.model_copy(update=update)),
                                kind="silent", passed_events=ids)
        if state.turn + 1 >= scenario.end.max_turns:  # this reaction is the contact's last turn
            cands = [Candidate(kind="closing", lines=_closing(scenario, state), ends="max_turns")]
            announce = []
        elif cands:
            cands.append(Candidate(kind="filler", lines=scenario.replies.filler))
        lang = scenario.language
        answered = bool(recall.live_promises(state, parse_clock(str(update["clock"]))))
        fresh = lambda xs: recall.usable(xs, lang, state.memory, answered_time=answered, trainee_text="")  # noqa: E731
        cand, line = (_pick(_rng(state), cands, fresh, lang) if cands
                      else (Candidate(kind="announce", lines=[]), ""))
        text = _join(lang, *announce, line)
        memory = state.memory.model_copy(update={"said": [*state.memory.said, *dict.fromkeys(x for x in (line, text) if x)]})
        update.update(turn=state.turn + 1, last_reply=text, ended=cand.ends is not None, ended_by=cand.ends,
                      memory=memory)
        turn = Turn(role="customer", text=text, at=str(update["clock"]), source="scripted")
        return ScriptedStep(reply=CustomerReply(turn=turn, state=state.model_copy(update=update)),
                            kind=cand.kind, passed_events=ids)

    @staticmethod
    def _hold_candidates(scenario: Scenario, hold_seconds: int) -> list[Candidate]:
        r = scenario.replies
        out: list[Candidate] = []
        if hold_seconds >= HOLD_LONG_SECONDS and r.hold_long:
            out.append(Candidate(kind="hold_long", lines=r.hold_long))
        if hold_seconds >= HOLD_UNEASY_SECONDS and r.hold_uneasy:
            out.append(Candidate(kind="hold_uneasy", lines=r.hold_uneasy))
        return out

    def _candidates(self, scenario: Scenario, reading: Reading, state: CustomerState,
                    rng: random.Random) -> list[Candidate]:
        """Every line kind that applies, highest priority first (the first fresh one wins).
        `state` already holds this message's promises."""
        r = scenario.replies
        lang = scenario.language
        end = scenario.end
        out: list[Candidate] = []
        open_needs = [n for n in scenario.hidden_needs if n.id not in state.revealed_needs]
        # An offer of a need's solution after it expired: the customer says it is too late. That
        # answer also gives the need away, so it replaces the need's own disclosure.
        late = [n for n in scenario.hidden_needs
                if n.expires_at and n.late_reply and reading.clock_seconds >= parse_clock(n.expires_at)
                and signals_match(scenario, n.acted_on_by, reading.message)]
        reveal = [Candidate(kind="disclosure", lines=n.disclosure, needs=[n.id]) for n in open_needs
                  if n not in late and any_holds(scenario, n.reveal_when, reading, state)]
        asked = [f for f in scenario.facts if reading.question and any_holds(scenario, f.asked_by, reading, state)]
        # What she already told is referred back to, not recited as if new ("like I said…").
        new = [f for f in asked if f.id not in state.memory.told_facts]
        facts = [f.text for f in new]
        again = recall.refer_back(lang, [f.text for f in asked]) if asked and not new else []
        # Asked again about a need she already told: she refers back (another of its variants).
        for n in scenario.hidden_needs:
            if n.id in state.revealed_needs and any_holds(scenario, n.reveal_when, reading, state):
                unsaid = [d for d in n.disclosure if not any(d in x for x in state.memory.said)] or n.disclosure
                again.extend(x for line in unsaid for x in recall.refer_back(lang, [line]))
        if scenario.channel == "email" and (len(reveal) > 1 or (reveal and facts)):
            # An e-mail reply answers every question of the mail at once: facts, then each need.
            said = [rng.choice(c.lines) for c in reveal]
            reveal.insert(0, Candidate(kind="disclosure", lines=[_join(scenario.language, *facts, *said)],
                                       needs=[n for c in reveal for n in c.needs], facts=[f.id for f in new]))

        # 1. The trainee closes (the scenario's `trainee_closing`). A customer who never hangs up
        #    first ends on anything in it but a plain goodbye ("closes"), which ends the call only
        #    once every need is out; any other goodbye leaves her lingering on the line.
        bye = farewell(scenario, reading.message)
        offer = any(h != "closes" for h in bye.hits) or reading.has("offers_hang_up_first")
        if bye.hits and (end.customer_hangs_up_first or offer or not open_needs):
            return [Candidate(kind="closing", lines=_closing(scenario, state, reading.mood), ends="trainee")]
        if bye.goodbye and not end.customer_hangs_up_first and scenario.channel != "email":
            out.extend(reveal)
            out.append(Candidate(kind="waiting_for_close", lines=r.waiting_for_close or r.filler))
            return out + [Candidate(kind="filler", lines=r.filler)]
        # The customer hangs up: too upset, or the contact has run its length.
        if end.ends_when_mood_below is not None and reading.mood < end.ends_when_mood_below:
            cold = r.hangs_up or recall.lines("cold_closing", lang)
            return [Candidate(kind="hang_up", lines=cold, ends="customer")]
        if state.turn + 1 >= end.max_turns:
            return [Candidate(kind="closing", lines=_closing(scenario, state, reading.mood), ends="max_turns")]
        # 2. A promise whose time has passed: she says so before anything else.
        late_promises = recall.overdue(state, reading.clock_seconds)
        if late_promises:
            due = recall.say_time(late_promises[0].due or "", lang)
            out.append(Candidate(kind="overdue", lines=recall.lines("overdue", lang, time=due)))
        # 3. A hidden need whose reveal condition holds (phone and chat: one at a time).
        out.extend(reveal)
        # 3. Too late for a need's solution.
        out.extend(Candidate(kind="late_reply", lines=n.late_reply,
                             needs=[] if n.id in state.revealed_needs else [n.id]) for n in late)
        # 4. Facts asked for, said together in file order (one question may ask several). Only a
        #    question draws a fact: "I'll send it by courier" is no question about the courier.
        if facts:
            out.append(Candidate(kind="fact", lines=[_join(lang, *facts)], facts=[f.id for f in new]))
        if again:
            out.append(Candidate(kind="refer_back", lines=again, facts=[f.id for f in asked]))
        # Congratulations are thanked for before anything about how the trainee said it.
        if reading.has("congratulates"):
            out.append(Candidate(kind="thanks", lines=recall.lines("thanks", lang)))
        # 5-11. How the trainee said it.
        flags: list[tuple[bool, ReplyKind, list[str]]] = [
            (reading.vague_wait, "vague_wait", r.vague_wait),
            (reading.policy, "policy", r.policy),
            (reading.rote_apology, "rote_apology", r.rote_apology),
            (reading.acknowledged, "acknowledged", r.acknowledged),
            (reading.concrete_time, "concrete_time", r.concrete_time),
            (reading.reassuring, "reassured", r.reassured),
            (reading.question, "question", r.question),
        ]
        out.extend(Candidate(kind=k, lines=lines) for ok, k, lines in flags if ok and lines)
        # 12. Volunteer a need once enough customer turns have passed.
        out.extend(Candidate(kind="volunteer", lines=n.disclosure, needs=[n.id]) for n in open_needs
                   if n.volunteer_after_turn is not None and state.turn >= n.volunteer_after_turn)
        # 13. Filler; then any other line, so a single-variant filler never repeats verbatim.
        out.append(Candidate(kind="filler", lines=r.filler))
        pool = [*r.filler, *r.acknowledged, *r.question, *r.reassured, *r.concrete_time]
        out.append(Candidate(kind="filler", lines=pool))
        return out


def _prefix(rng: random.Random, options: list[str], state: CustomerState) -> str:
    """One of `options` she has not said yet (none left: nothing)."""
    fresh = [x for x in options if x not in state.memory.said]
    return rng.choice(fresh) if fresh else ""


def _closing(scenario: Scenario, state: CustomerState, mood: float | None = None) -> list[str]:
    """Her goodbye follows her mood and what was promised: curt when upset, and a promise still
    to be kept is named with its time ("so by 12:30, then")."""
    lang = scenario.language
    mood = state.mood if mood is None else mood
    if mood <= recall.COLD_MOOD:
        return recall.lines("cold_closing", lang)
    live = [p for p in recall.live_promises(state, parse_clock(state.clock)) if p.due]
    if not live:
        return scenario.replies.closing
    then = recall.lines("closing_promise", lang, time=recall.say_time(live[-1].due or "", lang))
    return [_join(lang, a, b) for a, b in zip(then * len(scenario.replies.closing), scenario.replies.closing)]


_SENTENCE_END = re.compile(r"(?<=[。！？!?…、,.])")


def split_chunks(text: str, pieces: int = 3) -> list[str]:
    """Split a reply into a few streamable chunks at punctuation (or evenly), losslessly."""
    parts = [p for p in _SENTENCE_END.split(text) if p]
    if len(parts) < 2:
        step = max(1, -(-len(text) // pieces))
        parts = [text[i:i + step] for i in range(0, len(text), step)]
    return parts
