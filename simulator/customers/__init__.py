"""Simulated customers: the scripted engine and the LLM engine behind one protocol."""

from __future__ import annotations

from typing import Any

from simulator.customers.base import CustomerBackend, CustomerReply, ReplyEvent, collect
from simulator.customers.scripted import ContactEndedError, ScriptedCustomer

BACKENDS = ("scripted", "openai")

__all__ = ["BACKENDS", "ContactEndedError", "CustomerBackend", "CustomerReply", "ReplyEvent",
           "ScriptedCustomer", "collect", "make_backend"]


def make_backend(name: str, settings: Any = None) -> CustomerBackend:
    """"scripted" or "openai" (LLMSettings.from_env() when `settings` is None).

    The LLM engine is imported lazily so the scripted path never loads openai/langchain."""
    if name == "scripted":
        return ScriptedCustomer()
    if name == "openai":
        from simulator.llm import LLMSettings

        settings = settings if settings is not None else LLMSettings.from_env()
        if not settings.configured:
            raise ValueError(f"backend 'openai' needs {' and '.join(settings.missing)} to be set "
                             "(or use --backend scripted)")
        from simulator.customers.llm import LLMCustomer

        return LLMCustomer(settings)
    raise ValueError(f"unknown customer backend '{name}' (choose one of: {', '.join(BACKENDS)})")
