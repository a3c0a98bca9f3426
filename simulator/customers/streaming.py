"""Guarded sentence streaming: a model's reply reaches the trainee sentence by sentence, each
sentence only once it has passed the output guard, within a deadline.

WHY SENTENCES. A character on screen cannot be taken back, and a leak is judged on words, so the
guard needs whole sentences. Each complete sentence is checked together with everything shown
before it (prompt quoting and a secret term can straddle a sentence break) and only then shown.
When a later sentence fails, or the stream is cut or stalls, the reply ends at the last good
sentence: what the trainee saw is exactly what is stored.

DEADLINES. The whole turn has one deadline (`Deadline`); once text flows, a gap longer than
`stall` between pieces counts as a stall. Both are enforced here, per wait, with
`asyncio.timeout` around each read and never around a `yield`, so a slow consumer (the store,
the page) is never cancelled by the model's clock. A timed-out read closes the model's stream,
so a hung call holds no connection or slot past its deadline.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Literal

FaultKind = Literal["unavailable", "auth", "rate_limit", "server_error", "bad_request", "timeout",
                    "stalled", "cut", "empty", "guard"]

# Ends of sentences: Japanese/full-width and ASCII !? (with closing quotes), a single full stop
# before a space (not "..." — customers trail off constantly) or a line break, with the spaces
# after it. Japanese "…" is not an end for the same reason: "はい…あの…" is one hesitant sentence.
SENTENCE_END = re.compile(r"(?:[。！？!?]+[」』）)\"']*|(?<!\.)\.(?!\.)[\"')]*(?=\s)|\n)\s*")


class StreamFault(Exception):
    """Why a model's reply stopped early (typed; the notice is chosen from `kind`)."""

    def __init__(self, kind: FaultKind, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class Deadline:
    """A point in event-loop time; `left()` seconds remain (never negative)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = asyncio.get_running_loop().time() + seconds

    def left(self) -> float:
        return max(0.0, self.at - asyncio.get_running_loop().time())


class SentenceSplitter:
    """Cuts growing text into complete sentences, losslessly (joined, they are the input)."""

    def __init__(self) -> None:
        self._buf = ""

    def feed(self, text: str) -> list[str]:
        self._buf += text
        out: list[str] = []
        start = 0
        for m in SENTENCE_END.finditer(self._buf):
            if m.end() == len(self._buf):  # "。" may yet be followed by "」": wait for the next piece
                break
            out.append(self._buf[start:m.end()])
            start = m.end()
        self._buf = self._buf[start:]
        return out

    def rest(self) -> str:
        rest, self._buf = self._buf, ""
        return rest


Pieces = AsyncIterator[tuple[str, bool]]  # (text delta, finished) as the model streams them


async def guarded_sentences(pieces: Pieces, reject: Callable[[str], str | None], deadline: Deadline,
                            stall: float) -> AsyncIterator[str]:
    """Yield each sentence of the streamed reply once `reject(text so far)` returns None.

    Raises StreamFault after the last good sentence: "guard" (with the reason), "timeout",
    "stalled", "cut" (no finish reason) or "empty". Sentences are yielded with their own
    spacing, so their concatenation is the text shown."""
    split = SentenceSplitter()
    shown = ""
    pending = ""  # whitespace-only pieces join the next sentence
    finished = started = False
    try:
        while True:
            left = deadline.left()
            wait = min(stall, left) if started else left
            try:
                async with asyncio.timeout(wait):
                    text, fin = await anext(pieces)
            except StopAsyncIteration:
                break
            except TimeoutError:
                if started and deadline.left() > 0:
                    raise StreamFault("stalled", f"no text for {stall:g} s after {len(shown)} characters") from None
                raise StreamFault("timeout", f"no complete reply within {deadline.seconds:g} s") from None
            started = started or bool(text)
            finished = finished or fin
            for sentence in split.feed(text):
                pending += sentence
                if pending.strip():
                    shown = _check(shown, pending, reject)
                    yield pending
                    pending = ""
            if fin:
                break
        last = pending + split.rest()
        if last.strip():
            shown = _check(shown, last, reject)
            yield last
    finally:
        await pieces.aclose()  # type: ignore[attr-defined]
    if not finished:
        raise StreamFault("cut", f"stream ended without a finish reason after {len(shown)} characters")
    if not shown.strip():
        raise StreamFault("empty", "the model returned an empty reply")


def _check(shown: str, sentence: str, reject: Callable[[str], str | None]) -> str:
    why = reject(shown + sentence)
    if why is not None:
        raise StreamFault("guard", why)
    return shown + sentence
