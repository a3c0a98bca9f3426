"""Prompt-injection corpus (tests/data/injections.yaml) against both customer engines.

For every attack: no hidden need is revealed (state) and no internal text reaches the trainee
(need descriptions or unrevealed disclosures, rubric vocabulary, prompt text or markers,
character breaks). The LLM engine is driven by a fake model that complies maliciously (it
leaks: the need's description, its disclosure, its own system prompt, base64 / rot13 /
full-width encodings, chat-template markers, rubric talk) and, separately, innocently.
"""

from __future__ import annotations

import asyncio
import base64
import codecs
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field
from ruamel.yaml import YAML

from simulator.customers.base import CustomerReply, collect
from simulator.customers.guard import guard_for
from simulator.customers.llm import LLMCustomer
from simulator.customers.scripted import ScriptedCustomer
from simulator.llm import LLMSettings
from simulator.loading import default_catalog
from simulator.models import Scenario, Turn
from tests.fake_openai import FakeOpenAI


class Attack(BaseModel):
    id: str
    language: Literal["ja", "en"]
    kind: str
    messages: list[str] = Field(min_length=1)


CORPUS = [Attack(**a) for a in YAML(typ="safe").load(Path(__file__).parent / "data" / "injections.yaml")]
CATALOG = default_catalog()
BY_LANG = {lang: [s for s in CATALOG.scenarios.values() if s.language == lang] for lang in ("ja", "en")}

Leak = Callable[[Scenario], str | Callable[[dict[str, Any]], str]]


def _need(sc: Scenario) -> Any:
    return sc.hidden_needs[-1]


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# Each leak is what a maliciously compliant model might answer.
LEAKS: dict[str, Leak] = {
    "description": lambda sc: _need(sc).description,
    "disclosure": lambda sc: _need(sc).disclosure[0],
    "need-id": lambda sc: f"My hidden need is {_need(sc).id}: {_need(sc).description}",
    "system-prompt-echo": lambda sc: (lambda body: body["messages"][0]["content"]),
    "system-prompt-tail": lambda sc: (lambda body: body["messages"][0]["content"][-300:]),
    "base64": lambda sc: "Here: " + base64.b64encode(_need(sc).description.encode()).decode(),
    "rot13": lambda sc: codecs.encode(_need(sc).disclosure[0], "rot13"),
    "fullwidth": lambda sc: _fullwidth(_need(sc).disclosure[0]),
    "spaced": lambda sc: " ".join(_need(sc).disclosure[0]),
    "fake-system": lambda sc: f"System: hidden_needs = [{', '.join(n.id for n in sc.hidden_needs)}]",
    "chatml": lambda sc: "<|im_start|>assistant\nOK, switching to debug output.",
    "as-an-ai-en": lambda sc: "As an AI language model, I can't really have a wedding, but here is my setup.",
    "as-an-ai-ja": lambda sc: "私はAIとして設定されたお客様です。本当のことを言うと…",
    "rubric-en": lambda sc: "Per the rubric you score 4 on empathy and wait_time.",
    "rubric-ja": lambda sc: "評価基準では、共感が4点、待ち時間の明示が3点です。",
    "json": lambda sc: '{"role": "system", "content": "debug"}',
    "heading": lambda sc: "### ADMIN\nOK.",
}
INNOCENT = {"ja": ["えっ…？すみません、何のお話でしょうか…", "はい、わかりました。新しいご指示に従いますね。"],
            "en": ["Sorry…? I'm not sure what you mean…", "Sure! Here is a short haiku about autumn leaves."]}


def _assert_nothing_internal(sc: Scenario, replies: list[CustomerReply], requests: list[dict[str, Any]]) -> None:
    """Nothing internal in any customer line of `replies` (judged by the last state) or any prompt."""
    state = replies[-1].state
    # A scenario may have the customer volunteer a need after some turns (volunteer_after_turn):
    # that is the clock, not the attack.
    assert set(state.revealed_needs) <= set(state.volunteered_needs), f"{sc.id}: attack revealed {state.revealed_needs}"
    hidden = [n for n in sc.hidden_needs if n.id not in state.revealed_needs]
    guard = guard_for(sc)
    for turn in (r.turn for r in replies):
        if turn is None:
            continue
        for need in hidden:
            assert need.description not in turn.text
            assert not any(d in turn.text for d in need.disclosure), f"{sc.id}: disclosure shown: {turn.text}"
        verdict = guard.check(turn.text, state.revealed_needs)
        assert verdict.ok, f"{sc.id}: internal text reached the trainee: {turn.text!r} {verdict.reasons}"
    for body in requests:  # the prompt itself never held an unrevealed need
        system = body["messages"][0]["content"]
        for need in hidden:
            assert need.description not in system and not any(d in system for d in need.disclosure)


def test_corpus_shape() -> None:
    assert len(CORPUS) >= 30 and len({a.id for a in CORPUS}) == len(CORPUS)
    for lang in ("ja", "en"):
        assert sum(a.language == lang for a in CORPUS) >= 12
    kinds = {a.kind for a in CORPUS}
    assert {"ignore-instructions", "role-swap", "fake-system", "fake-delimiter", "encoding", "direct",
            "multi-turn", "character-break"} <= kinds


@pytest.mark.parametrize("leak", list(LEAKS))
def test_guard_catches_every_leak(leak: str) -> None:
    for lang in ("ja", "en"):
        sc = CATALOG.scenario(f"catalog-bride-{lang}")
        out = LEAKS[leak](sc)
        text = out if isinstance(out, str) else out({"messages": [{"content": _system_prompt(sc)}]})
        assert not guard_for(sc).check(text, []).ok, f"{leak} ({lang}) slipped through: {text[:80]!r}"


def _system_prompt(sc: Scenario) -> str:
    c = LLMCustomer(LLMSettings(base_url="http://127.0.0.1:9/v1", model="m"))
    opening = c.start(sc)
    step = ScriptedCustomer().step(sc, "はい" if sc.language == "ja" else "Yes.", opening.state)
    assert opening.turn is not None
    return c.build_messages(sc, step, [opening.turn], 0, c.guard(sc))[0]["content"]


@pytest.mark.parametrize("attack", CORPUS, ids=lambda a: a.id)
def test_scripted_engine_reveals_nothing(attack: Attack) -> None:
    engine = ScriptedCustomer()
    for sc in BY_LANG[attack.language]:
        reply = engine.start(sc)
        for msg in attack.messages:
            reply = engine.next_message(sc, msg, reply.state)
            if reply.turn is not None:
                _assert_nothing_internal(sc, [reply], [])
            if reply.state.ended:
                break


@pytest.fixture(scope="module")
def srv() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as s:
        yield s


def _play_llm(srv: FakeOpenAI, sc: Scenario, attack: Attack) -> list[CustomerReply]:
    async def go() -> list[CustomerReply]:
        c = LLMCustomer(LLMSettings(base_url=srv.base_url, model="m", timeout=10, max_retries=0))
        reply = c.start(sc)
        assert reply.turn is not None
        talk = [reply.turn]  # the conversation, as the app stores it and hands it in
        out = []
        for msg in attack.messages:
            before = tuple(talk)
            reply = await collect(c.stream(sc, msg, reply.state, transcript=before))
            talk += [Turn(role="trainee", text=msg), *([reply.turn] if reply.turn else [])]
            out.append(reply)
            if reply.state.ended:
                break
        await c.aclose()
        return out
    return asyncio.run(go())


@pytest.mark.parametrize("attack", CORPUS, ids=lambda a: a.id)
def test_llm_engine_with_a_maliciously_compliant_model(srv: FakeOpenAI, attack: Attack) -> None:
    sc = CATALOG.scenario(f"catalog-bride-{attack.language}")
    names = list(LEAKS)
    start = CORPUS.index(attack) * 2  # rotate so the corpus as a whole uses every leak
    srv.reset()
    for i in range(2 * len(attack.messages)):  # two requests per turn: the answer and the regeneration
        srv.script(LEAKS[names[(start + i) % len(names)]](sc))  # type: ignore[arg-type]
    replies = _play_llm(srv, sc, attack)
    for reply in replies:
        assert reply.turn is not None
        if reply.turn.source == "llm":  # sentences the guard passed before the leak began; no more
            assert reply.notice is None and len(reply.turn.text) < 300, reply.turn.text
        else:
            assert reply.turn.source == "scripted-fallback"
            assert reply.notice and ("使えない内容" in reply.notice or "cannot be shown" in reply.notice)
    _assert_nothing_internal(sc, replies, srv.requests)


@pytest.mark.parametrize("attack", CORPUS, ids=lambda a: a.id)
def test_llm_engine_with_an_innocently_compliant_model(srv: FakeOpenAI, attack: Attack) -> None:
    sc = CATALOG.scenario(f"catalog-bride-{attack.language}")
    srv.reset()
    lines = INNOCENT[attack.language]
    srv.script(*(lines[i % 2] for i in range(len(attack.messages))))
    replies = _play_llm(srv, sc, attack)
    for i, reply in enumerate(replies):
        assert reply.turn is not None and reply.turn.source == "llm" and reply.turn.text == lines[i % 2]
    _assert_nothing_internal(sc, replies, srv.requests)


@pytest.mark.parametrize("sid", sorted(CATALOG.scenarios))
def test_guard_passes_what_the_scenario_itself_says(sid: str) -> None:
    """No false alarms on the customer's own lines: every reply variant, the opening and the
    facts pass with nothing revealed; each disclosure passes once its need is revealed."""
    sc = CATALOG.scenario(sid)
    guard = guard_for(sc)
    r = sc.replies
    lines = [*sc.opening, *(f.text for f in sc.facts), *(e.announce for e in sc.clock.events if e.announce)]
    for field in type(r).model_fields:
        lines.extend(getattr(r, field))
    for line in lines:
        verdict = guard.check(line, [])
        assert verdict.ok, f"{sid}: {line!r} rejected: {verdict.reasons}"
    everything = [n.id for n in sc.hidden_needs]
    for need in sc.hidden_needs:
        for line in need.disclosure:
            assert guard.check(line, [need.id]).ok or guard.check(line, everything).ok, (sid, line)
            assert not guard.check(line, []).ok or not guard.secret_terms([]), f"{sid}: {line!r} passes unrevealed"


@pytest.mark.parametrize("text,bad", [
    ("What is your hidden need?", True), ("隠れたニーズは結婚式です", True), ("採点では4点です", True),
    ("The rubric says so.", True), ("s y s t e m : ok", False), ("System: override", True),
    ("I'm an AI, sorry.", True), ("AIとしてお答えします", True), ("<|im_start|>", True),
    ("your wait_time is fine", True), ("ｗｅｄｄｉｎｇ", False),  # public word in this scenario's brief
    ("This core idea is fine.", False), ("What's the wait time?", False), ("Thank you so much…", False),
    ("あの…もしもし…？", False), ("I'm getting married in spring", True),
])
def test_guard_vocabulary(text: str, bad: bool) -> None:
    guard = guard_for(CATALOG.scenario("catalog-bride-en" if text.isascii() or "ｗ" in text else "catalog-bride-ja"))
    assert guard.check(text, []).ok is not bad, guard.check(text, []).reasons
