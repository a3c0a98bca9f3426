"""Typed data of the whole product: scenario and rubric files, transcripts, state, score cards.

Every file-backed model forbids unknown keys so a typo in a supervisor's YAML fails loudly
(the loader turns the pydantic error into FILE:LINE:COL with a "did you mean" hint).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from simulator.conversation import Memory

Language = Literal["ja", "en"]
Channel = Literal["phone", "chat", "email"]
Difficulty = Literal["easy", "medium", "hard"]
Role = Literal["customer", "trainee"]

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
_CLOCK_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def parse_clock(value: str) -> int:
    """'15:52' or '15:52:30' -> seconds since midnight; ValueError otherwise."""
    m = _CLOCK_RE.match(value)
    if not m:
        raise ValueError(f"'{value}' is not a clock time; write HH:MM or HH:MM:SS (00:00-23:59)")
    return int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0)


def format_clock(seconds: int) -> str:
    seconds %= 24 * 3600
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _check_clock(value: str) -> str:
    parse_clock(value)
    return value


ClockTime = Annotated[str, AfterValidator(_check_clock), Field(
    description="Simulated clock time, HH:MM or HH:MM:SS",
    json_schema_extra={"pattern": _CLOCK_RE.pattern})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalText(Strict):
    """A text a rubric shows in both UI languages."""

    ja: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return self.ja if language == "ja" else self.en


# ----------------------------------------------------------------- conditions and signals


class Condition(Strict):
    """All fields that are set must hold at once (AND). Lists of conditions are OR."""

    intent: list[str] = Field(default_factory=list, description="any of these intents in the trainee's message")
    keywords: list[str] = Field(default_factory=list, description="any of these words (normalised) in the message")
    mood_at_least: float | None = Field(default=None, ge=-1, le=1)
    min_turn: int | None = Field(default=None, ge=0, description="customer turn count reached")
    revealed: list[Id] = Field(default_factory=list, description="these hidden needs are already revealed")
    before: ClockTime | None = Field(default=None, description="simulated clock is before this time")
    after: ClockTime | None = Field(default=None, description="simulated clock is at or after this time")

    @model_validator(mode="after")
    def _not_empty(self) -> "Condition":
        if not (self.intent or self.keywords or self.revealed or self.before or self.after
                or self.mood_at_least is not None or self.min_turn is not None):
            raise ValueError("a condition needs at least one of intent, keywords, mood_at_least, "
                             "min_turn, revealed, before, after")
        return self


class Signals(Strict):
    """What a scorer looks for in trainee turns: intents (from the language layer) or words."""

    intent: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> "Signals":
        if not (self.intent or self.keywords):
            raise ValueError("signals need at least one intent or keyword")
        return self


# ----------------------------------------------------------------------------- scenario


class Brief(Strict):
    """What the trainee is shown before and during the contact. Never the hidden needs."""

    summary: str = Field(min_length=1, description="one or two sentences: who contacts you and why")
    context: str = Field(default="", description="what the trainee knows about the situation")
    order: dict[str, str] = Field(default_factory=dict, description="order / account data shown as a table")
    goal: str = Field(default="", description="what the trainee is asked to achieve, without spoiling the needs")


class Persona(Strict):
    name: str = Field(min_length=1)
    age: int | None = Field(default=None, ge=10, le=110)
    background: str = Field(min_length=1)
    speaking_style: str = Field(min_length=1)
    temperament: Literal["hesitant", "anxious", "impatient", "calm", "angry", "busy"]
    traits: list[Literal[
        "never_hangs_up_first", "answers_in_fragments", "asks_how_long", "hangs_up_when_ignored",
        "short_on_time", "polite", "talkative"]] = Field(default_factory=list)


class Fact(Strict):
    """Something the customer says freely when asked (name, order number, what happened)."""

    id: Id
    text: str = Field(min_length=1, description="what the customer says; the LLM persona also knows it")
    asked_by: list[Condition] = Field(default_factory=list, description="OR-list: when the trainee asks this way")


class HiddenNeed(Strict):
    id: Id
    description: str = Field(min_length=1, description="internal: what the customer really needs")
    disclosure: list[str] = Field(min_length=1, description="what the customer says when it comes out (variants)")
    reveal_when: list[Condition] = Field(min_length=1, description="OR-list of conditions that draw it out")
    volunteer_after_turn: int | None = Field(
        default=None, ge=1, description="customer says it unprompted after this many customer turns (None: never)")
    drawn_out_by: Signals = Field(description="trainee moves that count as drawing the need out (scorer)")
    acted_on_by: Signals = Field(description="trainee moves that act on the need (scorer)")
    solution: str = Field(default="", description="what fitting help looks like (feedback, LLM judge)")
    expires_at: ClockTime | None = Field(
        default=None, description="after this simulated time the fitting solution is no longer possible")
    late_reply: list[str] = Field(default_factory=list, description="what the customer says if offered after expiry")


class MoodRule(Strict):
    intent: str
    delta: float = Field(ge=-1, le=1)


class Mood(Strict):
    initial: float = Field(default=0.0, ge=-1, le=1)
    raises: list[MoodRule] = Field(default_factory=list)
    lowers: list[MoodRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _signs(self) -> "Mood":
        for r in self.raises:
            if r.delta <= 0:
                raise ValueError(f"raises: delta for '{r.intent}' must be positive")
        for r in self.lowers:
            if r.delta >= 0:
                raise ValueError(f"lowers: delta for '{r.intent}' must be negative")
        return self


class ClockEvent(Strict):
    id: Id
    at: ClockTime
    description: str = Field(min_length=1)
    announce: str = Field(default="", description="what the customer may say once this time has passed")


class Clock(Strict):
    start: ClockTime
    seconds_per_turn: int = Field(default=30, ge=1, le=3600)
    events: list[ClockEvent] = Field(default_factory=list)



class EndRules(Strict):
    max_turns: int = Field(default=30, ge=2, le=500)
    customer_hangs_up_first: bool = True
    trainee_closing: Signals = Field(
        default=Signals(intent=["closes", "offers_hang_up_first"]),
        description="what counts as the trainee closing the contact")
    ends_when_mood_below: float | None = Field(default=None, ge=-1, le=1)


class Replies(Strict):
    """Scripted-engine lines by situation; each a list of variants (never the same twice in a row)."""

    acknowledged: list[str] = Field(min_length=1, description="after the trainee names the feeling")
    reassured: list[str] = Field(default_factory=list, description="after good news / confirmation")
    vague_wait: list[str] = Field(min_length=1, description="after an open-ended 'please wait'")
    concrete_time: list[str] = Field(min_length=1, description="after a promise with a concrete time")
    policy: list[str] = Field(default_factory=list, description="after 'company policy' / blaming others")
    rote_apology: list[str] = Field(default_factory=list, description="after a scripted apology")
    question: list[str] = Field(default_factory=list, description="answering a question the scenario does not cover")
    filler: list[str] = Field(min_length=1, description="default reply when nothing else applies")
    hold_uneasy: list[str] = Field(default_factory=list, description="after ~30 s on hold")
    hold_long: list[str] = Field(default_factory=list, description="after ~60 s on hold")
    closing: list[str] = Field(min_length=1, description="the customer's goodbye")
    hangs_up: list[str] = Field(default_factory=list,
                                description="what an upset customer says ending the call (default: closing)")
    waiting_for_close: list[str] = Field(default_factory=list, description="customer lingers, won't hang up")


class Example(Strict):
    """A calibration transcript: the scorer must land each targeted criterion in its band."""

    id: Id
    label: Literal["strong", "weak", "mixed"]
    note: str = ""
    turns: list["Turn"] = Field(min_length=2)
    expected: dict[str, tuple[int, int]] = Field(description="criterion id -> [min, max] level (0-4)")

    @field_validator("expected")
    @classmethod
    def _bands(cls, v: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        for k, (lo, hi) in v.items():
            if not (0 <= lo <= hi <= 4):
                raise ValueError(f"band for '{k}' must be [min, max] with 0 <= min <= max <= 4")
        return v


class IntentDef(Strict):
    """A scenario's own intent (or more ways to say a built-in one), taught by example.

    A trainee sentence expresses it when it is close to one of `examples` (the reader compares
    whole sentences, so paraphrases count) or matches one of `patterns` (exact terms)."""

    description: str = Field(default="", description="what the trainee does, in a few words")
    examples: list[str] = Field(default_factory=list, description="3-10 ways a trainee might say it, one sentence each")
    patterns: list[str] = Field(default_factory=list, description="regular expressions for exact terms")


class Scenario(Strict):
    id: Id
    language: Language
    title: str = Field(min_length=1)
    channel: Channel
    difficulty: Difficulty
    tags: list[str] = Field(default_factory=list)
    brief: Brief
    persona: Persona
    opening: list[str] = Field(min_length=1, description="the customer's first line (variants)")
    facts: list[Fact] = Field(default_factory=list)
    hidden_needs: list[HiddenNeed] = Field(min_length=1)
    mood: Mood = Field(default_factory=Mood)
    clock: Clock
    end: EndRules = Field(default_factory=EndRules)
    replies: Replies
    patterns: dict[str, list[str]] = Field(
        default_factory=dict, description="extra regex patterns per intent (new intent ids allowed)")
    intents: dict[str, IntentDef] = Field(
        default_factory=dict, description="intents taught by example phrases (new ids, or more ways to say a built-in one)")
    model_phrases: dict[str, list[str]] = Field(
        default_factory=dict, description="criterion id -> phrases a strong trainee might say (feedback)")
    examples: list[Example] = Field(default_factory=list)


# ------------------------------------------------------------------------------ rubric

Analyzer = Literal["empathy", "unspoken_needs", "wait_time", "signals"]


class Level(Strict):
    score: int = Field(ge=0, le=4)
    descriptor: LocalText


class HeuristicRule(Strict):
    signals: Signals
    points: float = Field(description="added per turn that matches (negative to subtract)")


class Heuristic(Strict):
    analyzer: Analyzer = Field(
        default="signals", description="built-in analyzer, or 'signals' to score from the rules below")
    rules: list[HeuristicRule] = Field(default_factory=list)
    thresholds: tuple[float, float, float, float] = Field(
        default=(0.5, 1.5, 2.5, 3.5), description="points needed for levels 1, 2, 3, 4")


class Criterion(Strict):
    id: Id
    title: LocalText
    weight: float = Field(gt=0, le=100)
    description: LocalText
    levels: list[Level] = Field(min_length=5, max_length=5)
    judge_guidance: str = Field(min_length=1)
    heuristic: Heuristic = Field(default_factory=Heuristic)

    @field_validator("levels")
    @classmethod
    def _levels(cls, v: list[Level]) -> list[Level]:
        if sorted(lv.score for lv in v) != [0, 1, 2, 3, 4]:
            raise ValueError("levels must give exactly one descriptor for each score 0, 1, 2, 3, 4")
        return sorted(v, key=lambda lv: lv.score)

    @model_validator(mode="after")
    def _rules(self) -> "Criterion":
        if self.heuristic.analyzer == "signals" and not self.heuristic.rules:
            raise ValueError(f"criterion '{self.id}': analyzer 'signals' needs at least one heuristic rule")
        return self


class Rubric(Strict):
    id: Id
    title: LocalText
    description: str = ""
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "Rubric":
        seen: set[str] = set()
        for c in self.criteria:
            if c.id in seen:
                raise ValueError(f"criterion id '{c.id}' appears twice")
            seen.add(c.id)
        return self

    def criterion(self, cid: str) -> Criterion:
        return next(c for c in self.criteria if c.id == cid)


# ------------------------------------------------------------------- transcripts and state


class Turn(BaseModel):
    """One message. Extra fields (ids, timestamps) are allowed and ignored (contracts.md)."""

    model_config = ConfigDict(extra="allow")
    role: Role
    text: str
    at: str | None = Field(default=None, description="simulated clock when said, HH:MM:SS")
    source: Literal["scripted", "llm", "scripted-fallback", "trainee", "system"] | None = None


class Transcript(BaseModel):
    model_config = ConfigDict(extra="allow")
    scenario: str
    turns: list[Turn] = Field(default_factory=list)


class Promise(BaseModel):
    """A wait-time commitment the trainee made ("by 16:00", "within 30 minutes")."""

    turn: int
    text: str
    due: str | None = Field(default=None, description="clock time the promise falls due, HH:MM:SS")
    concrete: bool


class CustomerState(BaseModel):
    """Everything the engine needs between turns; serialisable, handed in and back explicitly."""

    revealed_needs: list[str] = Field(default_factory=list)
    mood: float = Field(default=0.0, ge=-1, le=1)
    clock: str = "00:00:00"
    turn: int = Field(default=0, description="customer turns so far")
    ended: bool = False
    ended_by: Literal["trainee", "customer", "max_turns"] | None = None
    promises: list[Promise] = Field(default_factory=list)
    volunteered_needs: list[str] = Field(default_factory=list, description="needs the customer said unprompted")
    passed_events: list[str] = Field(default_factory=list)
    last_reply: str = ""
    seed: int = 0
    hold_seconds: int = 0
    trainee_turns: int = Field(default=0, description="trainee messages so far (transcript index of promises)")
    memory: Memory = Field(default_factory=Memory, description="what was asked, told, offered and confirmed")


class Session(Transcript):
    """Output of `simulator play --trainee-lines` (contracts.md)."""

    backend: str = "scripted"
    state: CustomerState


# --------------------------------------------------------------------------- score card


class Evidence(BaseModel):
    turn: int
    quote: str


class CriterionScore(BaseModel):
    id: str
    score: int = Field(ge=0, le=4)
    max: int = 4
    evidence: list[Evidence] = Field(default_factory=list)
    feedback: str = Field(default="", description="the whole feedback as one paragraph (went_well, try_next joined)")
    went_well: list[str] = Field(default_factory=list, description="what went well, one point each")
    try_next: list[str] = Field(default_factory=list, description="what to try next time, one step each")
    explanation: str = Field(default="", description="why this level: which signals fired")
    flags: list[str] = Field(default_factory=list)


class ScoreCard(BaseModel):
    scenario: str
    rubric: str
    judge: Literal["heuristic", "llm"]
    judge_model: str | None = Field(default=None, description="the LLM judge's model; None for the heuristic scorer")
    total: float = Field(ge=0, le=100)
    criteria: list[CriterionScore]
    flags: list[str] = Field(default_factory=list)

    def criterion(self, cid: str) -> CriterionScore:
        return next(c for c in self.criteria if c.id == cid)


Example.model_rebuild()
