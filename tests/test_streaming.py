"""Sentence-by-sentence streaming through the guard, and the deadlines (turn, stall, judge),
against the real loopback OpenAI-compatible server. Deadline tests check what happened (fell
back, ended at the last good sentence), not how long it took: the hangs here last 30 s, far
past every deadline set, so a test that returns at all has been released by the deadline."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.customers.base import CustomerReply
from simulator.customers.llm import LLMCustomer
from simulator.customers.scripted import ScriptedCustomer
from simulator.customers.streaming import SentenceSplitter
from simulator.llm import LLMConfigError, LLMSettings
from simulator.loading import default_catalog, load_rubric
from simulator.models import Transcript, Turn
from simulator.scoring import make_scorer
from simulator.scoring.judge import FALLBACK_FLAG, LLMJudge
from tests.fake_openai import Fault, FakeOpenAI

CATALOG = default_catalog()
ROOT = Path(__file__).resolve().parent.parent
MSG = {"ja": "今朝の手配は入っております。", "en": "This morning's re-order is definitely in."}


@pytest.fixture
def srv() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default="はい。") as s:
        yield s


def _turn(srv: FakeOpenAI, lang: str = "ja", **kw: float) -> tuple[CustomerReply, list[str]]:
    """One turn of catalog-bride-<lang> against `srv`; the reply and the deltas as streamed."""
    settings = LLMSettings(base_url=srv.base_url, model="fake-model", max_retries=0,
                           **{"timeout": 20.0, **kw})  # type: ignore[arg-type]
    sc = CATALOG.scenario(f"catalog-bride-{lang}")
    c = LLMCustomer(settings)
    st = c.start(sc).state

    async def go() -> tuple[CustomerReply, list[str]]:
        deltas, final = [], None
        async for ev in c.stream(sc, MSG[lang], st, transcript=(Turn(role="customer", text=st.last_reply),)):
            if ev.delta:
                deltas.append(ev.delta)
            final = ev.done or final
        await c.aclose()
        assert final is not None
        return final, deltas
    return asyncio.run(go())


def _scripted(lang: str = "ja") -> str:
    sc = CATALOG.scenario(f"catalog-bride-{lang}")
    s = ScriptedCustomer()
    turn = s.next_message(sc, MSG[lang], s.start(sc).state).turn
    assert turn is not None
    return turn.text


# ------------------------------------------------------------------------- sentences


@pytest.mark.parametrize("text,pieces", [
    ("はい。そうですか…。ありがとうございます！", ["はい。", "そうですか…。", "ありがとうございます！"]),
    ("「はい。」あの…えっと…", ["「はい。」", "あの…えっと…"]),  # a closing bracket stays with its sentence
    ("Well... I was hoping. Thank you!", ["Well... I was hoping. ", "Thank you!"]),  # "..." trails off
    ("Oh?! Really.\nYes", ["Oh?! ", "Really.\n", "Yes"]),
])
def test_sentences_are_cut_losslessly_whatever_the_pieces(text: str, pieces: list[str]) -> None:
    for size in (1, 2, 5, len(text)):
        split = SentenceSplitter()
        out: list[str] = []
        for i in range(0, len(text), size):
            out += split.feed(text[i:i + size])
        out.append(split.rest())
        assert [p for p in out if p] == pieces, size


def test_reply_streams_sentence_by_sentence(srv: FakeOpenAI) -> None:
    srv.chunk_chars = 2
    srv.script("Oh, hello. I see. Thank you for checking!")
    reply, deltas = _turn(srv, "en")
    assert deltas == ["Oh, hello. ", "I see. ", "Thank you for checking!"]
    assert reply.turn is not None and reply.turn.text == "".join(deltas) and reply.turn.source == "llm"


def test_a_later_sentence_failing_the_guard_ends_the_turn_at_the_last_good_one(srv: FakeOpenAI) -> None:
    srv.script("はい。そうですか。実は…春に結婚式があって…")
    reply, deltas = _turn(srv)
    assert deltas == ["はい。", "そうですか。"] and len(srv.requests) == 1  # shown text is never asked again
    assert reply.turn is not None and reply.turn.text == "はい。そうですか。" and reply.turn.source == "llm"
    assert reply.notice is None and "結婚式" not in reply.turn.text
    assert reply.state.last_reply == reply.turn.text  # stored as shown


def test_a_first_sentence_failing_the_guard_is_asked_again(srv: FakeOpenAI) -> None:
    srv.script("実は結婚式があって。はい。", "そう、ですか。")
    reply, deltas = _turn(srv)
    assert deltas == ["そう、ですか。"] and len(srv.requests) == 2
    assert reply.turn is not None and reply.turn.text == "そう、ですか。"


def test_a_cut_stream_ends_at_the_last_good_sentence(srv: FakeOpenAI) -> None:
    srv.script(Fault.cut_stream(after_chars=9, content="はい。そうですか。ありがとうございます"))
    reply, deltas = _turn(srv)
    assert deltas == ["はい。"] and reply.turn is not None and reply.turn.text == "はい。"
    assert reply.turn.source == "llm" and reply.notice is None


def test_a_cut_before_any_sentence_becomes_the_scripted_line(srv: FakeOpenAI) -> None:
    srv.script(Fault.cut_stream(after_chars=2, content="はい。そうですか。"))
    reply, deltas = _turn(srv)
    assert reply.turn is not None and reply.turn.source == "scripted-fallback"
    assert deltas == [reply.turn.text] == [_scripted()] and "途切れ" in (reply.notice or "")


# ------------------------------------------------------------------------- deadlines


def test_a_hung_model_falls_back_at_the_turn_deadline_not_the_request_timeout(srv: FakeOpenAI) -> None:
    srv.script(Fault.hang(30))
    reply, deltas = _turn(srv, turn_deadline=1.0, timeout=25.0)
    assert reply.turn is not None and reply.turn.source == "scripted-fallback" and deltas == [_scripted()]
    assert "時間内" in (reply.notice or "")


def test_a_stalled_stream_ends_at_the_last_good_sentence(srv: FakeOpenAI) -> None:
    srv.script(Fault.hang(30, after_chars=5, content="はい。あの…それで"))
    reply, deltas = _turn(srv, turn_deadline=20.0, stall_seconds=0.5)
    assert deltas == ["はい。"] and reply.turn is not None and reply.turn.text == "はい。"


def test_a_stall_before_any_sentence_falls_back_with_its_notice(srv: FakeOpenAI) -> None:
    srv.script(Fault.hang(30, after_chars=2, content="はい…あの…"))
    reply, _ = _turn(srv, "en", turn_deadline=20.0, stall_seconds=0.5)
    assert reply.turn is not None and reply.turn.source == "scripted-fallback" and "stalled" in (reply.notice or "")


def test_a_trickling_model_is_cut_at_the_turn_deadline(srv: FakeOpenAI) -> None:
    srv.chunk_chars, srv.chunk_delay = 3, 0.25  # steady, never stalled, but too slow to finish
    srv.script("はい。" * 40)
    reply, deltas = _turn(srv, turn_deadline=1.5, stall_seconds=5.0)
    assert reply.turn is not None and reply.turn.source == "llm"
    assert 1 <= len(deltas) < 40 and all(d == "はい。" for d in deltas) and reply.turn.text == "".join(deltas)


def test_deadline_settings_come_from_the_environment() -> None:
    s = LLMSettings.from_env({"SIMULATOR_LLM_TURN_DEADLINE": "5", "SIMULATOR_LLM_STALL_SECONDS": "1.5",
                              "SIMULATOR_LLM_JUDGE_DEADLINE": "12"})
    assert (s.turn_deadline, s.stall_seconds, s.judge_deadline) == (5.0, 1.5, 12.0)
    assert (LLMSettings().turn_deadline, LLMSettings().judge_deadline) == (8.0, 15.0)
    for env, name in [({"SIMULATOR_LLM_TURN_DEADLINE": "later"}, "SIMULATOR_LLM_TURN_DEADLINE"),
                      ({"SIMULATOR_LLM_STALL_SECONDS": "0"}, "SIMULATOR_LLM_STALL_SECONDS")]:
        with pytest.raises(LLMConfigError, match=name):
            LLMSettings.from_env(env)


def test_the_judge_falls_back_to_the_heuristic_card_at_its_deadline(srv: FakeOpenAI) -> None:
    srv.script(Fault.hang(30), Fault.hang(30))
    rubric = load_rubric(ROOT / "rubrics" / "default.yaml")
    settings = LLMSettings(base_url=srv.base_url, model="judge", timeout=25.0, max_retries=0, judge_deadline=1.0)
    judge = make_scorer("llm", rubric, settings)
    assert isinstance(judge, LLMJudge) and judge.deadline == 1.0
    data = json.loads((ROOT / "tests" / "data" / "transcripts" / "bride-ja-strong.json").read_text(encoding="utf-8"))
    t = Transcript.model_validate(data)
    card = asyncio.run(judge(t, CATALOG.scenarios.get(t.scenario)))
    assert card.judge == "heuristic" and FALLBACK_FLAG in card.flags and "deadline" in (judge.last_error or "")
