"""The CustomerBackend protocol: both engines play the same scenario files through it.

State is handed in and handed back (τ²-bench style): an engine keeps nothing between calls,
so a session can be stored, resumed in another process, or replayed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from pydantic import BaseModel

from simulator.models import CustomerState, Scenario, Turn


class CustomerReply(BaseModel):
    """The customer's turn (None when the trainee's message ended the contact) and the new state."""

    turn: Turn | None
    state: CustomerState
    notice: str | None = None  # shown to the trainee, e.g. "the AI customer is unavailable; scripted reply"


class ReplyEvent(BaseModel):
    """One streamed piece: text deltas, then a final event carrying the whole reply."""

    delta: str = ""
    done: CustomerReply | None = None


class CustomerBackend(Protocol):
    name: str

    def start(self, scenario: Scenario, seed: int = 0) -> CustomerReply:
        """The opening turn and the initial state."""
        ...

    def stream(self, scenario: Scenario, message: str, state: CustomerState, hold_seconds: int = 0, *,
               transcript: Sequence[Turn]) -> AsyncIterator[ReplyEvent]:
        """React to the trainee's message (after `hold_seconds` of hold, if any).

        `transcript` is the conversation before this message, as the caller stores it: an engine
        that needs the context (the LLM one) reads it there, so the state never holds a copy."""
        ...


async def collect(events: AsyncIterator[ReplyEvent]) -> CustomerReply:
    """Drain a stream and return its final reply."""
    final: CustomerReply | None = None
    async for ev in events:
        if ev.done is not None:
            final = ev.done
    if final is None:
        raise RuntimeError("customer stream ended without a final reply")
    return final
