"""The tokenizer works with the network switched off, and counts like the official cl100k_base."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import tiktoken.registry
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages

from simulator import tokens


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Disable the network (not the code under test): any connect attempt fails the test."""
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "empty-cache"))  # no warm cache to lean on
    tokens.encoding.cache_clear()
    tiktoken.registry.ENCODINGS.pop(tokens.OFFLINE_NAME, None)
    yield
    tokens.encoding.cache_clear()


def test_network_really_is_off(no_network) -> None:
    with socket.socket() as s, pytest.raises(AssertionError, match="network access"):
        s.connect(("127.0.0.1", 9))


def test_loads_offline_and_matches_official_ids(no_network) -> None:
    enc = tokens.encoding()
    # Reference ids of the official cl100k_base ("hello world" is a well-known pair).
    assert enc.encode("hello world") == [15339, 1917]
    assert enc.n_vocab == 100277
    assert enc.decode(enc.encode("お電話ありがとうございます。")) == "お電話ありがとうございます。"
    assert tokens.count_tokens("") == 0
    assert tokens.count_tokens("<|endoftext|>") > 1  # typed by a user: counted as text, no exception


def test_hash_is_checked(tmp_path: Path) -> None:
    tokens.verify_bpe_file(tokens.bundled_bpe_path())
    bad = tmp_path / "cl100k_base.tiktoken"
    bad.write_bytes(tokens.bundled_bpe_path().read_bytes()[:-10])
    with pytest.raises(tokens.TokenizerUnavailable, match="expected the official cl100k_base"):
        tokens.verify_bpe_file(bad)
    with pytest.raises(tokens.TokenizerUnavailable, match="cannot read"):
        tokens.verify_bpe_file(tmp_path / "missing")


def test_counter_drives_trim_messages(no_network) -> None:
    history = [SystemMessage("あなたは顧客です。")]
    for i in range(40):
        history += [HumanMessage(f"質問 {i}: ご注文の件でしょうか？"), AIMessage(f"返事 {i}: はい、そうです。")]
    assert tokens.message_token_counter([]) == 0
    full = tokens.message_token_counter(history)
    trimmed = trim_messages(history, max_tokens=200, token_counter=tokens.message_token_counter,
                            strategy="last", include_system=True, start_on="human")
    assert tokens.message_token_counter(trimmed) <= 200 < full
    assert isinstance(trimmed[0], SystemMessage) and trimmed[-1].content == history[-1].content
    assert isinstance(trimmed[1], HumanMessage)
