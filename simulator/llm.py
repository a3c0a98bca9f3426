"""Settings and client for any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp).

All configuration comes from SIMULATOR_LLM_* environment variables (docs/llm.md). The client
gets an explicit timeout and retry count: the library defaults (10 min, 2 retries) would leave
a trainee staring at a frozen customer, while here a slow model must fall back to the scripted
line within seconds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from typing import TYPE_CHECKING

import httpx2
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # openai takes ~0.5 s to import; the offline default never needs it
    import openai

ENV_PREFIX = "SIMULATOR_LLM_"


class LLMConfigError(ValueError):
    """A SIMULATOR_LLM_* variable is missing or malformed; the message names it."""


class LLMSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    base_url: str | None = Field(default=None, description="SIMULATOR_LLM_BASE_URL, e.g. http://localhost:11434/v1")
    model: str | None = Field(default=None, description="SIMULATOR_LLM_MODEL, e.g. qwen2.5:7b-instruct")
    api_key: str = Field(default="not-needed", description="SIMULATOR_LLM_API_KEY; local servers ignore it")
    timeout: float = Field(default=20.0, gt=0, description="SIMULATOR_LLM_TIMEOUT, seconds per request")
    max_retries: int = Field(default=1, ge=0, le=10, description="SIMULATOR_LLM_MAX_RETRIES")
    temperature: float = Field(default=0.7, ge=0, le=2, description="SIMULATOR_LLM_TEMPERATURE (customer)")
    max_tokens: int = Field(default=300, ge=16, le=8192, description="SIMULATOR_LLM_MAX_TOKENS per reply")
    context_tokens: int = Field(default=3000, ge=256, le=1_000_000,
                                description="SIMULATOR_LLM_CONTEXT_TOKENS: budget for the trimmed history")
    judge_model: str | None = Field(default=None, description="SIMULATOR_LLM_JUDGE_MODEL (default: model)")
    # Deadlines bound what a trainee waits for however the model misbehaves (hung, trickling,
    # retried): per-request timeouts alone let a slow trickle or retries run far past them.
    turn_deadline: float = Field(default=8.0, gt=0, le=600,
                                 description="SIMULATOR_LLM_TURN_DEADLINE: seconds before a turn falls back")
    stall_seconds: float = Field(default=3.0, gt=0, le=600,
                                 description="SIMULATOR_LLM_STALL_SECONDS: gap between streamed pieces that counts as stalled")
    judge_deadline: float = Field(default=15.0, gt=0, le=3600,
                                  description="SIMULATOR_LLM_JUDGE_DEADLINE: seconds before the judge falls back")

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)

    @property
    def missing(self) -> list[str]:
        """Names of the variables still needed before an LLM can be used."""
        out = []
        if not self.base_url:
            out.append(ENV_PREFIX + "BASE_URL")
        if not self.model:
            out.append(ENV_PREFIX + "MODEL")
        return out

    @property
    def effective_judge_model(self) -> str | None:
        return self.judge_model or self.model

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "LLMSettings":
        """Read SIMULATOR_LLM_* from `env` (default os.environ); LLMConfigError on a bad value."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            v = env.get(ENV_PREFIX + name)
            return v.strip() if v is not None and v.strip() else None

        def number(name: str, kind: type, default: float | int) -> float | int:
            raw = get(name)
            if raw is None:
                return default
            try:
                return kind(raw)
            except ValueError:
                noun = "a whole number" if kind is int else "a number"
                raise LLMConfigError(f"{ENV_PREFIX}{name}={raw!r} is not {noun}") from None

        base_url = get("BASE_URL")
        if base_url is not None:
            parsed = urlparse(base_url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise LLMConfigError(
                    f"{ENV_PREFIX}BASE_URL={base_url!r} is not an http(s) URL; "
                    "write e.g. http://localhost:11434/v1")
        values = {
            "base_url": base_url,
            "model": get("MODEL"),
            "api_key": get("API_KEY") or "not-needed",
            "timeout": number("TIMEOUT", float, 20.0),
            "max_retries": number("MAX_RETRIES", int, 1),
            "temperature": number("TEMPERATURE", float, 0.7),
            "max_tokens": number("MAX_TOKENS", int, 300),
            "context_tokens": number("CONTEXT_TOKENS", int, 3000),
            "judge_model": get("JUDGE_MODEL"),
            "turn_deadline": number("TURN_DEADLINE", float, 8.0),
            "stall_seconds": number("STALL_SECONDS", float, 3.0),
            "judge_deadline": number("JUDGE_DEADLINE", float, 15.0),
        }
        try:
            return cls(**values)
        except ValueError as e:  # pydantic range errors -> name the variable, not the field
            problems = []
            for err in getattr(e, "errors", lambda: [])():
                field = str(err["loc"][0]) if err.get("loc") else "?"
                problems.append(f"{ENV_PREFIX}{field.upper()}={values.get(field)!r}: {err['msg']}")
            raise LLMConfigError("; ".join(problems) or str(e)) from None


def make_timeout(settings: LLMSettings) -> httpx2.Timeout:
    # connect fails fast (endpoint down should not cost the full read budget); read is per chunk.
    return httpx2.Timeout(settings.timeout, connect=min(5.0, settings.timeout))


def make_client(settings: LLMSettings) -> openai.AsyncOpenAI:
    """An AsyncOpenAI for the configured endpoint; LLMConfigError names what is missing."""
    if not settings.configured:
        raise LLMConfigError("the LLM endpoint is not configured: set " + " and ".join(settings.missing)
                             + " (see docs/llm.md)")
    import openai
    return openai.AsyncOpenAI(base_url=settings.base_url, api_key=settings.api_key,
                              timeout=make_timeout(settings), max_retries=settings.max_retries)
