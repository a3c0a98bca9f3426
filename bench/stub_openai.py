"""A light OpenAI-compatible streaming stub for load benchmarks: first token after --first-token
seconds, then --tps tokens per second, every request the same customer reply.

One asyncio process, so a hundred concurrent streams cost it little CPU (tests/fake_openai.py,
a thread per request, is for scripted faults, not load). Prints `port N` once listening.

    python bench/stub_openai.py --port 0 --first-token 0.5 --tps 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

# A reply in the catalog-bride-ja customer's voice that passes the output guard; ~2 characters
# per token, three sentences: the first ends at token 6.
REPLY = ["はい", "…そ", "うな", "んで", "すね", "。", "あり", "がと", "うご", "ざい", "ます", "。",
         "それ", "なら", "、少", "し安", "心し", "まし", "た…"]


def sentence_tokens() -> int:
    """Tokens up to the end of the first sentence (what the trainee sees first)."""
    return next(i + 1 for i, tok in enumerate(REPLY) if tok.endswith("。"))


def _event(delta: dict, finish: str | None = None) -> bytes:
    body = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": "stub",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
    payload = b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"
    return f"{len(payload):x}\r\n".encode() + payload + b"\r\n"


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: float, gap: float) -> None:
    try:
        while True:  # keep-alive: the openai client reuses connections
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = json.loads(await reader.readexactly(length)) if length else {}
            if not body.get("stream"):  # the judge asks without streaming: one JSON answer
                payload = json.dumps({"id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
                                      "model": "stub", "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                          "role": "assistant", "content": "".join(REPLY)}}]}, ensure_ascii=False).encode()
                await asyncio.sleep(first)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             + f"content-length: {len(payload)}\r\n\r\n".encode() + payload)
                await writer.drain()
                continue
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
                         b"transfer-encoding: chunked\r\n\r\n")
            writer.write(_event({"role": "assistant", "content": ""}))
            await writer.drain()
            start = time.monotonic()
            for i, tok in enumerate(REPLY):  # paced from the start: no drift under load
                await asyncio.sleep(max(0.0, start + first + i * gap - time.monotonic()))
                writer.write(_event({"content": tok}))
                await writer.drain()
            writer.write(_event({}, "stop") + _event_done())
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _event_done() -> bytes:
    payload = b"data: [DONE]\n\n"
    return f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n"


async def main(port: int, first: float, tps: float) -> None:
    server = await asyncio.start_server(lambda r, w: _serve(r, w, first, 1.0 / tps), "127.0.0.1", port, backlog=512)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--first-token", type=float, default=0.5)
    p.add_argument("--tps", type=float, default=50.0)
    a = p.parse_args()
    try:
        asyncio.run(main(a.port, a.first_token, a.tps))
    except KeyboardInterrupt:
        pass
