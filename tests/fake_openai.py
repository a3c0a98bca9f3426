"""A real loopback HTTP server that speaks the OpenAI chat-completions API, for offline tests.

Why a server and not a mock: the product's code path (openai.AsyncOpenAI -> httpx2 -> TCP,
timeouts, retries, SSE parsing) is exactly what breaks in production, so tests exercise all of
it. Nothing is monkeypatched; the client under test is simply pointed at `srv.base_url`.

    with FakeOpenAI() as srv:
        srv.script("はい……", Fault.status(500), Fault.hang(5))
        client = openai.AsyncOpenAI(base_url=srv.base_url, api_key="x")
        ...
        srv.requests[-1]["messages"]        # what the prompt contained

Every POST /v1/chat/completions takes the next scripted output (a str is the reply content;
a Fault misbehaves; a callable gets the request body and returns the content); when the queue
is empty the server answers with `srv.default`.
Requests with `"stream": true` get SSE chunks (`data: {...}` ... `data: [DONE]`) over
chunked transfer encoding, so a cut stream is seen by the client as a broken body.
`response_format` (json_object / json_schema) requests are answered with the scripted content
verbatim: the test decides whether it is valid JSON.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Fault(BaseModel):
    """One scripted misbehaviour of the endpoint. Build it with the class methods."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["status", "hang", "cut_stream", "empty"]
    status_code: int = 200
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = {}
    seconds: float = 0.0
    after_chars: int = 0
    content: str = ""

    @classmethod
    def status(cls, code: int, body: dict[str, Any] | str | None = None,
               retry_after_ms: int | None = 10) -> "Fault":
        """An HTTP error. `retry_after_ms` keeps the client's retry back-off short in tests."""
        headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
        if body is None:
            body = {"error": {"message": f"fake error {code}", "type": "fake_error", "code": str(code)}}
        return cls(kind="status", status_code=code, body=body, headers=headers)

    @classmethod
    def hang(cls, seconds: float, after_chars: int = 0, content: str = "") -> "Fault":
        """Say nothing for `seconds` (after streaming `after_chars` of `content`, if given), then close."""
        return cls(kind="hang", seconds=seconds, after_chars=after_chars, content=content)

    @classmethod
    def cut_stream(cls, after_chars: int, content: str = "お電話ありがとうございます。ええと、あの") -> "Fault":
        """Send the first `after_chars` characters of `content`, then drop the connection."""
        return cls(kind="cut_stream", after_chars=after_chars, content=content)

    @classmethod
    def empty(cls) -> "Fault":
        """A well-formed completion whose content is the empty string."""
        return cls(kind="empty")


# A callable output computes the reply from the request body, e.g. a "model" that complies with
# an injection by echoing its own system prompt: `srv.script(lambda body: body["messages"][0]["content"])`.
Output = str | Fault | Callable[[dict[str, Any]], str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: "FakeOpenAI"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-answer are part of the scripted faults: stay quiet.
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    # ------------------------------------------------------------------ routing

    def do_GET(self) -> None:  # noqa: N802
        fake = self.server.fake
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [
                {"id": fake.model, "object": "model", "created": 0, "owned_by": "fake"}]})
        else:
            self._json(404, {"error": {"message": f"no route GET {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        fake = self.server.fake
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError as e:
            self._json(400, {"error": {"message": f"request body is not JSON: {e}", "type": "invalid_request"}})
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._json(404, {"error": {"message": f"no route POST {self.path}", "type": "not_found"}})
            return
        with fake._lock:
            fake.requests.append(body)
            fake.headers.append(dict(self.headers.items()))
            output = fake._queue.popleft() if fake._queue else fake.default
        self._answer(body, output)

    # ---------------------------------------------------------------- answering

    def _answer(self, body: dict[str, Any], output: Output) -> None:
        stream = bool(body.get("stream"))
        model = str(body.get("model") or self.server.fake.model)
        if not isinstance(output, (str, Fault)):
            output = str(output(body))
        if isinstance(output, str):
            self._completion(model, output, stream)
            return
        if output.kind == "status":
            if isinstance(output.body, str):
                self._raw(output.status_code, output.body.encode(), "text/plain", output.headers)
            else:
                self._json(output.status_code, output.body or {}, output.headers)
        elif output.kind == "empty":
            self._completion(model, "", stream)
        elif output.kind == "hang":
            if stream and output.after_chars:
                self._stream_head()
                self._stream_text(model, output.content[: output.after_chars], finish=False)
            self.server.fake._stop.wait(output.seconds)
            self.close_connection = True
        elif output.kind == "cut_stream":
            partial = output.content[: output.after_chars]
            if stream:
                self._stream_head()
                self._stream_text(model, partial, finish=False)
            else:
                # Announce the whole body, send part of it: the client sees a truncated response.
                full = json.dumps(_completion_body(model, output.content)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(full)))
                self.end_headers()
                self.wfile.write(full[: max(1, output.after_chars)])
            self.wfile.flush()
            self.close_connection = True

    def _completion(self, model: str, content: str, stream: bool) -> None:
        if not stream:
            self._json(200, _completion_body(model, content))
            return
        self._stream_head()
        self._stream_text(model, content, finish=True)
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")  # terminating zero-length chunk: a complete, well-formed body

    def _stream_head(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

    def _stream_text(self, model: str, content: str, finish: bool) -> None:
        cid = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        size = max(1, self.server.fake.chunk_chars)
        self._event(_chunk_body(cid, model, {"role": "assistant", "content": ""}, None))
        for i in range(0, len(content), size):
            self._event(_chunk_body(cid, model, {"content": content[i:i + size]}, None))
            if self.server.fake.chunk_delay:
                time.sleep(self.server.fake.chunk_delay)
        if finish:
            self._event(_chunk_body(cid, model, {}, "stop"))

    def _event(self, data: dict[str, Any]) -> None:
        self._chunk(b"data: " + json.dumps(data, ensure_ascii=False).encode() + b"\n\n")

    def _chunk(self, payload: bytes) -> None:
        self.wfile.write(f"{len(payload):x}\r\n".encode() + payload + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(data, ensure_ascii=False).encode(), "application/json", headers)

    def _raw(self, status: int, payload: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


def _completion_body(model: str, content: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 0, "completion_tokens": len(content), "total_tokens": len(content)},
    }


def _chunk_body(cid: str, model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}


class FakeOpenAI:
    """Loopback OpenAI-compatible server. Use as a context manager; thread-safe."""

    def __init__(self, default: Output = "はい。", model: str = "fake-model",
                 chunk_chars: int = 3, chunk_delay: float = 0.0) -> None:
        self.default: Output = default
        self.model = model
        self.chunk_chars = chunk_chars  # characters per streamed delta
        self.chunk_delay = chunk_delay  # seconds between deltas (to watch streaming happen)
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._queue: deque[Output] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> "FakeOpenAI":
        self._stop.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # A short poll interval makes stop() (and so each test) return promptly.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes hanging handlers so shutdown is immediate
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------------------- API

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not running; use `with FakeOpenAI() as srv:`")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *outputs: Output) -> "FakeOpenAI":
        """Queue outputs for the next chat-completion requests, in order."""
        for o in outputs:
            if not isinstance(o, (str, Fault)) and not callable(o):
                raise TypeError(f"script() takes str, Fault or callable outputs, got {type(o).__name__}")
        with self._lock:
            self._queue.extend(outputs)
        return self

    @property
    def pending(self) -> int:
        """Scripted outputs not yet consumed."""
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.headers.clear()

    @property
    def last_request(self) -> dict[str, Any]:
        if not self.requests:
            raise AssertionError("FakeOpenAI received no chat-completion request")
        return self.requests[-1]

    def system_prompt(self, index: int = -1) -> str:
        """The system message(s) of request `index`, joined: what the model was told."""
        msgs = self.requests[index].get("messages", [])
        return "\n".join(str(m.get("content", "")) for m in msgs if m.get("role") == "system")
