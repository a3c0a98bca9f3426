"""The fake server itself, driven by the real openai client over TCP."""

from __future__ import annotations

import asyncio
import time

import openai
import pytest

from tests.fake_openai import Fault, FakeOpenAI


def _client(srv: FakeOpenAI, timeout: float = 5.0, retries: int = 0) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=srv.base_url, api_key="test", timeout=timeout, max_retries=retries)


MSGS = [{"role": "system", "content": "あなたは顧客です"}, {"role": "user", "content": "こんにちは"}]


def test_plain_stream_json_schema_and_models() -> None:
    async def go(srv: FakeOpenAI) -> None:
        c = _client(srv)
        srv.script("一つ目", "二つ目のお返事です", '{"score": 3}')
        r = await c.chat.completions.create(model="m", messages=MSGS)
        assert r.choices[0].message.content == "一つ目"
        s = await c.chat.completions.create(model="m", messages=MSGS, stream=True)
        parts = [ch.choices[0].delta.content or "" async for ch in s if ch.choices]
        assert "".join(parts) == "二つ目のお返事です" and len([p for p in parts if p]) > 1
        r = await c.chat.completions.create(model="m", messages=MSGS, response_format={
            "type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}})
        assert r.choices[0].message.content == '{"score": 3}'
        r = await c.chat.completions.create(model="m", messages=MSGS)
        assert r.choices[0].message.content == "default!"
        models = await c.models.list()
        assert [m.id async for m in models] == ["fake-model"]
        await c.close()

    with FakeOpenAI(default="default!") as srv:
        asyncio.run(go(srv))
        assert len(srv.requests) == 4 and srv.system_prompt(0) == "あなたは顧客です"
        assert srv.requests[1]["stream"] is True and srv.pending == 0


@pytest.mark.parametrize("code,exc", [(401, openai.AuthenticationError), (429, openai.RateLimitError),
                                      (500, openai.InternalServerError)])
def test_status_faults(code: int, exc: type[Exception]) -> None:
    with FakeOpenAI() as srv:
        srv.script(Fault.status(code))
        with pytest.raises(exc):
            asyncio.run(_client(srv).chat.completions.create(model="m", messages=MSGS))


def test_retry_consumes_next_output() -> None:
    with FakeOpenAI() as srv:
        srv.script(Fault.status(500), "復活")
        r = asyncio.run(_client(srv, retries=1).chat.completions.create(model="m", messages=MSGS))
        assert r.choices[0].message.content == "復活" and len(srv.requests) == 2


def test_hang_times_out_and_cut_stream_breaks_and_empty() -> None:
    async def go(srv: FakeOpenAI) -> None:
        c = _client(srv, timeout=0.3)
        t0 = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            await c.chat.completions.create(model="m", messages=MSGS)
        assert time.monotonic() - t0 < 2
        got = []
        with pytest.raises(openai.APIError):  # httpx2's protocol error surfaces as an openai APIError
            s = await c.chat.completions.create(model="m", messages=MSGS, stream=True)
            async for ch in s:
                if ch.choices:
                    got.append(ch.choices[0].delta.content or "")
        assert "".join(got) == "あいうえ"
        r = await c.chat.completions.create(model="m", messages=MSGS)
        assert r.choices[0].message.content == ""
        await c.close()

    with FakeOpenAI() as srv:
        srv.script(Fault.hang(10), Fault.cut_stream(4, "あいうえおかきくけこ"), Fault.empty())
        asyncio.run(go(srv))
