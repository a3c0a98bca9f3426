"""A small streaming HTTP API for a role-play turn, beside the Gradio page.

Why: Gradio post-processes every output of an event on every yield and routes each through its
queue; at 25+ concurrent trainees that, not the customer code, was the server's cost (see
docs/benchmarks.md). One turn here is one POST whose answer is newline-delimited JSON: the
customer's reply arrives sentence by sentence as `{"type": "delta"}` lines, then one
`{"type": "done"}` line. The session logic is session.py's, unchanged; the state of a session
is read from the store on every request, so any replica can serve any turn.

    POST /api/v1/sessions              {"trainee": "...", "scenario": "catalog-bride-ja"}
    GET  /api/v1/sessions/{id}         the stored session (turns and state)
    GET  /api/v1/health                {"ok": true} while the process serves (the proxy's check)
    POST /api/v1/sessions/{id}/turns   {"text": "..."} or {"hold_seconds": 45}   -> NDJSON stream
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import BaseRoute

from simulator.store import SessionNotFound
from simulator.web.i18n import t
from simulator.web.services import Services
from simulator.web.trainee import SEND_LIMIT
from simulator.web.session import (MAX_HOLD_SECONDS, TraineeState, UserError, check_message, check_owner, converse,
                                   load_session, start_session)

PREFIX = "/api/v1"
NDJSON = "application/x-ndjson"


class StartBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trainee: str = Field(min_length=1, max_length=200)
    scenario: str = Field(min_length=1, max_length=200)
    lang: Literal["ja", "en"] = "ja"


class TurnBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(default="", max_length=20_000)  # the session's own cap gives the clear message
    hold_seconds: int = Field(default=0, ge=0, le=MAX_HOLD_SECONDS)
    lang: Literal["ja", "en"] = "ja"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _line(kind: str, **fields: Any) -> bytes:
    return (json.dumps({"type": kind, **fields}, ensure_ascii=False) + "\n").encode()


def _summary(st: TraineeState) -> dict[str, Any]:
    c = st.customer
    return {"session_id": st.session_id, "scenario": st.scenario_id, "trainee": st.trainee,
            "clock": c.clock if c else None, "ended": bool(c and c.ended), "live": st.live,
            "total": st.card.total if st.card else None,
            "turns": [x.model_dump(exclude_none=True) for x in st.turns]}


def routes(services: Services, max_turns: int = SEND_LIMIT) -> list[BaseRoute]:
    """The API's routes, for `launch(..., routes=...)` (they go before Gradio's own). At most
    `max_turns` turns run at once (like the page's send slots); a turn whose model hangs gives
    its slot back at the turn deadline, because the customer engine falls back by then."""
    router = APIRouter(prefix=PREFIX)
    slots = asyncio.Semaphore(max_turns)

    @router.get("/health")
    async def health() -> JSONResponse:
        # For the proxy's health check: answers from the event loop alone, so it says whether
        # the process serves, cheaply (Gradio's /config builds the whole page description).
        return JSONResponse({"ok": True})

    @router.post("/sessions")
    async def start(body: StartBody, request: Request) -> JSONResponse:
        try:  # with accounts on, the signed-in account starts it whatever name is sent (as on the page)
            st = await start_session(services, body.trainee, body.scenario, body.lang, TraineeState(), request)
        except UserError as e:
            return _error(422, str(e))
        return JSONResponse(_summary(st))

    async def _load(session_id: str, request: Request, lang: str = "en") -> TraineeState | JSONResponse:
        try:
            st = await load_session(services, session_id)
        except SessionNotFound as e:
            return _error(404, str(e))
        try:
            check_owner(services, st, request, lang)  # only the account that started it goes on with it
        except UserError as e:
            return _error(403, str(e))
        return st

    @router.get("/sessions/{session_id}")
    async def get(session_id: str, request: Request) -> JSONResponse:
        st = await _load(session_id, request)
        return st if isinstance(st, JSONResponse) else JSONResponse(_summary(st))

    @router.post("/sessions/{session_id}/turns", response_model=None)
    async def turn(session_id: str, body: TurnBody, request: Request) -> JSONResponse | StreamingResponse:
        if body.hold_seconds == 0:
            try:
                check_message(body.text, body.lang)
            except UserError as e:
                return _error(422, f"text: {e}")
        st = await _load(session_id, request, body.lang)
        if isinstance(st, JSONResponse):
            return st
        if not st.live:
            return _error(409, t("err_ended", body.lang))
        # Two writers on one session: the store takes the turn only against the state it was
        # computed from (Store.add_turn(expect=)), so the loser gets an error line, not a fork.
        steps = converse(services, st, body.text, body.lang, body.hold_seconds, request)

        async def stream() -> AsyncIterator[bytes]:
            last = st
            async with slots:
                async for step in steps:
                    last = step.state
                    if step.delta:
                        yield _line("delta", text=step.delta)
            if last.error:
                yield _line("error", error=last.error)
                return
            turn = next((x for x in last.turns[len(st.turns):] if x.role == "customer"), None)
            c = last.customer
            yield _line("done", turn=turn.model_dump(exclude_none=True) if turn else None,
                        clock=c.clock if c else None, notice=last.info or None, ended=bool(c and c.ended),
                        total=last.card.total if last.card else None)

        # X-Accel-Buffering: a proxy (nginx) must pass each line on at once, not buffer the reply.
        return StreamingResponse(stream(), media_type=NDJSON,
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return list(router.routes)
