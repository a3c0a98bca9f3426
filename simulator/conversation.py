"""The customer's conversational memory: what was asked, told, offered, promised and confirmed.

Kept inside `CustomerState` (explicit, serialisable, handed in and back like the rest of the
state), so a stored session resumes with the customer remembering; old stored states without it
load with an empty memory. Promises themselves stay in `CustomerState.promises` (their due times
on the simulated clock); the memory records what the customer has done about them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Asked(BaseModel):
    """One thing the trainee asked: the sentence's act and the intent heard in it (None: a
    question the reader has no intent for)."""

    model_config = ConfigDict(extra="forbid")
    turn: int = Field(description="transcript index of the trainee message")
    act: str
    intent: str | None = None


class Offered(BaseModel):
    """Something the trainee offered or took on (an intent such as offers_callback)."""

    model_config = ConfigDict(extra="forbid")
    turn: int
    intent: str


class Memory(BaseModel):
    """What the customer remembers of this contact (the scripted engine decides with it; the LLM
    engine gets it as a short summary in its prompt)."""

    model_config = ConfigDict(extra="forbid")
    asked: list[Asked] = Field(default_factory=list)
    offered: list[Offered] = Field(default_factory=list)
    confirmed: list[str] = Field(default_factory=list, description="intents by which the trainee confirmed "
                                 "something (good news shared, details confirmed back), once each")
    told_facts: list[str] = Field(default_factory=list, description="ids of the facts the customer has said")
    said: list[str] = Field(default_factory=list, description="every line the customer has said (whole replies "
                            "and the scenario lines in them): none is said twice")
    acknowledged: list[int] = Field(default_factory=list, description="turns of promises the customer has acknowledged")
    overdue_noted: list[int] = Field(default_factory=list, description="turns of passed promises she has reacted to")
    congratulated: bool = False
