"""The LLM customer against a real loopback OpenAI-compatible server (tests/fake_openai.py).

Covers the hybrid rule (scripted engine decides, model words), need-reveal parity with the
scripted engine, the prompt's contents, guard + regeneration, history trimming, every fault
(each falls back to the scripted line with a notice, and the next message uses the model again)
and the settings.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Iterator

import httpx2
import pytest

from simulator.customers.base import CustomerReply
from simulator.customers.llm import LLMCustomer
from simulator.customers.scripted import ScriptedCustomer
from simulator.llm import LLMConfigError, LLMSettings, make_client
from simulator.loading import default_catalog
from simulator.models import CustomerState, Scenario, Turn
from tests.fake_openai import Fault, FakeOpenAI

CATALOG = default_catalog()
# Same trainee lines in both languages: reassure, ask about timing, then about the occasion.
LINES = {
    "ja": ["ご心配をおかけしました。今朝の手配は確かに入っております。",
           "差し支えなければ、お急ぎでいらっしゃいますか？いつまでに必要でしょうか。",
           "何か大切なご予定にお使いになるのでしょうか。"],
    "en": ["I'm sorry you had to worry. This morning's re-order is definitely in.",
           "If you don't mind me asking, are you in a hurry? When do you need it by?",
           "May I ask whether it's for a special occasion?"],
}
WEDDING = {"ja": "結婚式", "en": "married"}
GOOD = {"ja": "はい…あの…そう、ですか…", "en": "Oh… okay… I see…"}


@pytest.fixture
def srv() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default="はい…") as s:
        yield s


def _customer(srv: FakeOpenAI, **kw: object) -> LLMCustomer:
    settings = LLMSettings(base_url=srv.base_url, model="fake-model", timeout=kw.pop("timeout", 10.0),
                           max_retries=kw.pop("max_retries", 0), **kw)  # type: ignore[arg-type]
    return LLMCustomer(settings)


def _say(c: LLMCustomer, sc: Scenario, msg: str, st: CustomerState, hold: int = 0,
         talk: list[Turn] | None = None) -> tuple[CustomerReply, str]:
    """One exchange, the way the app makes it: `talk` (the conversation so far, by default the
    opening line alone) is handed in and then extended with this message and the reply."""
    talk = [Turn(role="customer", text=st.last_reply)] if talk is None else talk
    before = tuple(talk)

    async def go() -> tuple[CustomerReply, str]:
        deltas = []
        final = None
        async for ev in c.stream(sc, msg, st, hold, transcript=before):
            deltas.append(ev.delta)
            final = ev.done or final
        await c.aclose()  # each asyncio.run() is its own loop; close its connections before it ends
        assert final is not None
        return final, "".join(deltas)
    reply, streamed = asyncio.run(go())
    talk += [Turn(role="trainee", text=msg.strip())] if msg.strip() else []
    talk += [reply.turn] if reply.turn is not None else []
    return reply, streamed


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_reveals_like_the_scripted_engine_and_prompt_only_then_holds_the_wedding(srv: FakeOpenAI, lang: str) -> None:
    sc = CATALOG.scenario(f"catalog-bride-{lang}")
    wedding = next(n for n in sc.hidden_needs if n.id == "wedding-deadline")
    c = _customer(srv)
    scripted = ScriptedCustomer()
    opening = c.start(sc)
    st, talk = opening.state, [opening.turn]
    sst = scripted.start(sc).state
    assert st.revealed_needs == [] and opening.turn is not None and opening.turn.source == "scripted"
    for i, line in enumerate(LINES[lang]):
        step = scripted.step(sc, line, st)  # what the script would do from the same state
        srv.script(step.reply.turn.text)  # the model says the scripted line: always passes the guard
        reply, streamed = _say(c, sc, line, st, talk=talk)
        sst = scripted.next_message(sc, line, sst).state
        st = reply.state
        assert reply.turn.source == "llm" and streamed == reply.turn.text and reply.notice is None
        assert st.revealed_needs == sst.revealed_needs == step.reply.state.revealed_needs
        assert (st.mood, st.clock, st.ended) == (sst.mood, sst.clock, sst.ended)
        prompt = srv.system_prompt()
        if "wedding-deadline" not in st.revealed_needs:
            assert WEDDING[lang] not in prompt and wedding.description not in prompt, f"turn {i} leaks"
        else:
            assert WEDDING[lang] in prompt and wedding.description in prompt
    assert st.revealed_needs == ["needs-it-sooner", "wedding-deadline"]
    assert [t.role for t in talk] == ["customer", "trainee"] * 3 + ["customer"]
    assert "history" not in st.model_dump()  # the state keeps no copy of the conversation
    # the conversation reaches the model, customer as assistant and trainee as user
    msgs = srv.last_request["messages"]
    assert msgs[0]["role"] == "system" and msgs[1]["role"] == "user"
    assert msgs[-1] == {"role": "user", "content": LINES[lang][-1]}
    assert srv.last_request["stream"] is True and srv.last_request["model"] == "fake-model"


def test_prompt_contents(srv: FakeOpenAI) -> None:
    sc = CATALOG.scenario("catalog-bride-en")
    c = _customer(srv)
    st = c.start(sc).state
    srv.script(GOOD["en"])
    reply, _ = _say(c, sc, "Thank you for calling. Let me check.", st, hold=45)
    p = srv.system_prompt()
    assert sc.persona.name in p and "15:5" in p and "45 seconds" in p
    assert "Never mention being an AI" in p and "no name prefix" in p
    assert all(f.text in p for f in sc.facts)
    assert "Nothing yet" in p  # no need revealed
    assert reply.turn.text == GOOD["en"] and reply.state.last_reply == GOOD["en"]


def test_guard_regenerates_once_then_falls_back(srv: FakeOpenAI) -> None:
    sc = CATALOG.scenario("catalog-bride-ja")
    c = _customer(srv)
    st = c.start(sc).state
    srv.script("実は…春に結婚式があって…", GOOD["ja"])
    reply, _ = _say(c, sc, "今朝の手配は入っております。", st)
    assert reply.turn.source == "llm" and reply.turn.text == GOOD["ja"] and len(srv.requests) == 2
    assert "直前の返答は使えませんでした" in srv.system_prompt(-1)
    assert "直前の返答は使えませんでした" not in srv.system_prompt(0)

    srv.script("私の隠れたニーズは結婚式です", "As an AI language model, I cannot do that.")
    expected = ScriptedCustomer().next_message(sc, "今朝の手配は入っております。", st).turn.text
    reply, streamed = _say(c, sc, "今朝の手配は入っております。", st)
    assert reply.turn.source == "scripted-fallback" and reply.turn.text == expected == streamed
    assert "使えない内容" in reply.notice and "wedding-deadline" not in reply.state.revealed_needs


def test_history_is_trimmed_to_the_token_budget(srv: FakeOpenAI) -> None:
    sc = CATALOG.scenario("catalog-bride-ja")
    c = _customer(srv, context_tokens=2500)  # the ja system prompt alone is ~1600
    st = c.start(sc).state
    talk: list[Turn] = [Turn(role="customer", text=st.last_reply)]
    for i in range(14):
        srv.script(f"はい…{i}…")
        reply, _ = _say(c, sc, f"確認いたします、{i}件目のご質問です。" + "少しだけ長めのご説明をいたします。" * 6, st, talk=talk)
        st = reply.state
    msgs = srv.last_request["messages"]
    assert msgs[0]["role"] == "system" and msgs[1]["role"] == "user"
    assert len(msgs) < 1 + 2 * 14  # older turns dropped
    assert msgs[-1]["content"].startswith("確認いたします、13件目")
    assert len(talk) == 1 + 2 * 14  # ...from a conversation the caller keeps whole


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


FAULTS = {
    "401": (Fault.status(401), "認証"),
    "429": (Fault.status(429), "429"),
    "500": (Fault.status(500), "エラー"),
    "hang": (Fault.hang(10), "時間内"),
    "hang-mid-stream": (Fault.hang(10, after_chars=4, content="はい…あの…"), "時間内"),
    "cut": (Fault.cut_stream(5), "途切れ"),
    "empty": (Fault.empty(), "空"),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_fault_falls_back_and_the_next_message_retries(srv: FakeOpenAI, name: str) -> None:
    fault, words = FAULTS[name]
    sc = CATALOG.scenario("catalog-bride-ja")
    # Only the hang faults need a short timeout; elsewhere a loaded test machine must not time out.
    c = _customer(srv, timeout=1.0 if name.startswith("hang") else 10.0)
    st = c.start(sc).state
    msg = "差し支えなければ、お急ぎでいらっしゃいますか？"
    expected = ScriptedCustomer().next_message(sc, msg, st)
    srv.script(fault)
    talk = [Turn(role="customer", text=st.last_reply)]
    reply, streamed = _say(c, sc, msg, st, talk=talk)
    assert reply.turn.source == "scripted-fallback" and reply.turn.text == expected.turn.text == streamed
    assert words in reply.notice and "次のメッセージ" in reply.notice
    # nothing lost: the scripted decision stands and the conversation holds both turns
    assert reply.state.revealed_needs == expected.state.revealed_needs == ["needs-it-sooner"]
    assert [t.text for t in talk[-2:]] == [msg, expected.turn.text]
    # the next message goes to the model again
    srv.script(GOOD["ja"])
    nxt, _ = _say(c, sc, "承知いたしました。", reply.state, talk=talk)
    assert nxt.turn.source == "llm" and nxt.turn.text == GOOD["ja"] and nxt.notice is None


def test_endpoint_down_in_english() -> None:
    sc = CATALOG.scenario("catalog-bride-en")
    c = LLMCustomer(LLMSettings(base_url=f"http://127.0.0.1:{_closed_port()}/v1", model="m",
                                timeout=1, max_retries=0))
    st = c.start(sc).state
    reply, _ = _say(c, sc, "Thank you for waiting.", st)
    assert reply.turn.source == "scripted-fallback" and "Could not reach" in reply.notice
    assert "next message tries the AI customer again" in reply.notice


def test_retries_then_succeeds(srv: FakeOpenAI) -> None:
    sc = CATALOG.scenario("catalog-bride-ja")
    c = _customer(srv, max_retries=1)
    srv.script(Fault.status(500), GOOD["ja"])
    reply, _ = _say(c, sc, "今朝の手配は入っております。", c.start(sc).state)
    assert reply.turn.source == "llm" and len(srv.requests) == 2


def test_missed_disclosure_is_added_from_the_script_silently(srv: FakeOpenAI) -> None:
    sc = CATALOG.scenario("catalog-bride-ja")
    c = _customer(srv)
    st = c.start(sc).state
    for line in LINES["ja"][:2]:
        srv.script(ScriptedCustomer().step(sc, line, st).reply.turn.text)
        st = _say(c, sc, line, st)[0].state
    step = ScriptedCustomer().step(sc, LINES["ja"][2], st)
    srv.script("はい…")  # the script reveals the wedding now; the model does not tell it
    reply, streamed = _say(c, sc, LINES["ja"][2], st)
    assert "wedding-deadline" in reply.state.revealed_needs and len(srv.requests) == 3  # no second ask
    # what the model said was shown already; the script's line follows it, and that is what is stored
    assert reply.turn.text == streamed == "はい…" + step.reply.turn.text and "結婚式" in reply.turn.text
    assert reply.turn.source == "llm" and reply.notice is None


def test_settings_from_env_and_client() -> None:
    s = LLMSettings.from_env({"SIMULATOR_LLM_BASE_URL": "http://localhost:11434/v1",
                              "SIMULATOR_LLM_MODEL": "qwen2.5:7b", "SIMULATOR_LLM_TIMEOUT": "7.5",
                              "SIMULATOR_LLM_MAX_RETRIES": "2"})
    assert s.configured and s.api_key == "not-needed" and s.timeout == 7.5 and s.max_retries == 2
    client = make_client(s)
    assert isinstance(client.timeout, httpx2.Timeout) and client.timeout.read == 7.5
    assert client.max_retries == 2 and str(client.base_url).startswith("http://localhost:11434/v1")
    assert not LLMSettings.from_env({}).configured
    assert LLMSettings.from_env({"SIMULATOR_LLM_BASE_URL": "http://x/v1"}).missing == ["SIMULATOR_LLM_MODEL"]
    for env, name in [({"SIMULATOR_LLM_TIMEOUT": "soon"}, "SIMULATOR_LLM_TIMEOUT"),
                      ({"SIMULATOR_LLM_TIMEOUT": "-1"}, "SIMULATOR_LLM_TIMEOUT"),
                      ({"SIMULATOR_LLM_MAX_RETRIES": "1.5"}, "SIMULATOR_LLM_MAX_RETRIES"),
                      ({"SIMULATOR_LLM_BASE_URL": "localhost:11434"}, "SIMULATOR_LLM_BASE_URL")]:
        with pytest.raises(LLMConfigError, match=name):
            LLMSettings.from_env(env)
    with pytest.raises(LLMConfigError, match="SIMULATOR_LLM_BASE_URL and SIMULATOR_LLM_MODEL"):
        make_client(LLMSettings())


def test_budget_smaller_than_the_system_prompt_still_sends_the_message(srv: FakeOpenAI) -> None:
    sc = CATALOG.scenario("catalog-bride-ja")
    c = _customer(srv, context_tokens=256)
    st = c.start(sc).state
    _say(c, sc, "お待たせいたしました。", st)
    msgs = srv.last_request["messages"]
    assert [m["role"] for m in msgs] == ["system", "user"] and msgs[1]["content"] == "お待たせいたしました。"


def test_silent_hold_reaction_is_worded_by_the_model(srv: FakeOpenAI) -> None:
    sc = CATALOG.scenario("catalog-bride-ja")
    c = _customer(srv)
    st = c.start(sc).state
    srv.script("あの…もしもし…？")
    talk = [Turn(role="customer", text=st.last_reply)]
    reply, _ = _say(c, sc, "", st, hold=70, talk=talk)
    if reply.turn is None:  # the script keeps her silent: the model is not asked
        assert srv.requests == []
        return
    assert reply.turn.source == "llm" and reply.turn.text == "あの…もしもし…？"
    assert srv.last_request["messages"][-1] == {"role": "user", "content": "（保留のまま70秒が経ちました）"}
    assert [t.role for t in talk] == ["customer", "customer"]


def test_roles_alternate_after_two_customer_lines(srv: FakeOpenAI) -> None:
    sc = CATALOG.scenario("catalog-bride-ja")
    c = _customer(srv)
    st = c.start(sc).state
    talk = [Turn(role="customer", text=st.last_reply), Turn(role="customer", text="もしもし…？")]
    _say(c, sc, "お待たせいたしました。", st, talk=talk)
    roles = [m["role"] for m in srv.last_request["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert srv.last_request["messages"][2]["content"].endswith("\nもしもし…？")


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_reveal_turn_must_tell_the_need(srv: FakeOpenAI, lang: str) -> None:
    sc = CATALOG.scenario(f"catalog-bride-{lang}")
    c = _customer(srv)
    st = c.start(sc).state
    step = ScriptedCustomer().step(sc, LINES[lang][1], st)
    assert step.newly_revealed == ["needs-it-sooner"]
    srv.script(GOOD[lang])  # filler: the need never comes out, so the script's line is added
    reply, _ = _say(c, sc, LINES[lang][1], st)
    sep = " " if lang == "en" else ""
    assert reply.turn.source == "llm" and reply.turn.text == GOOD[lang] + sep + step.reply.turn.text
    assert reply.notice is None and len(srv.requests) == 1
    # ...while the model's own wording of it is welcome
    srv.script(PARAPHRASE[lang])
    reply, _ = _say(c, sc, LINES[lang][1], st)
    assert reply.turn.source == "llm" and reply.turn.text == PARAPHRASE[lang]


PARAPHRASE = {"ja": "えっと…実は、もう少し早く届いたら…って。すみません…",
              "en": "Well... I was hoping it might come a bit sooner... sorry."}


_CUE = [re.compile(p, re.M) for p in (r"反応は「(.*)」です。同じ内容", r"^お客様はいま、.*（言い方の例: 「(.*)」）$",
                                       r'reaction is: "(.*)"\. Convey', r'^The customer is now ready.*\(for example: "(.*)"\)$')]


def parrot(body: dict) -> str:
    """A 'model' that says exactly the line its prompt asks it to convey."""
    system = body["messages"][0]["content"]
    for rx in _CUE:
        m = rx.search(system)
        if m:
            return m.group(1)
    raise AssertionError("the prompt names no line to convey")


@pytest.mark.parametrize("sid", sorted(CATALOG.scenarios))
def test_parrot_model_plays_every_example_exactly_like_the_script(srv: FakeOpenAI, sid: str) -> None:
    """Every calibration transcript, both engines: same state each turn, same lines, and the
    guard lets every scripted line through (no false alarms on the scenario's own words)."""
    sc = CATALOG.scenario(sid)
    srv.default = parrot
    scripted = ScriptedCustomer()

    async def play(trainee: list[str]) -> None:
        c = _customer(srv)
        opening = c.start(sc)
        st, sst, talk = opening.state, scripted.start(sc).state, [opening.turn]
        for line in trainee:
            if sst.ended:
                break
            ref = scripted.next_message(sc, line, sst)
            from simulator.customers.base import collect
            got = await collect(c.stream(sc, line, st, transcript=tuple(talk)))
            talk += [Turn(role="trainee", text=line), *([got.turn] if got.turn else [])]
            assert got.state.revealed_needs == ref.state.revealed_needs
            assert (got.state.mood, got.state.clock, got.state.ended) == (ref.state.mood, ref.state.clock, ref.state.ended)
            if ref.turn is not None:
                assert got.turn.source == "llm", f"{sid}: {ref.turn.text!r} -> {got.notice}"
                assert got.turn.text == ref.turn.text
            st, sst = got.state, ref.state
        await c.aclose()

    for ex in sc.examples or []:
        asyncio.run(play([t.text for t in ex.turns if t.role == "trainee"]))


def test_the_model_reads_the_conversation_from_the_transcript_handed_in(srv: FakeOpenAI) -> None:
    """The state keeps no copy of the conversation: the caller's transcript is the context. A
    state stored by an earlier version (which kept one) still loads, and its copy is ignored."""
    sc = CATALOG.scenario("catalog-bride-en")
    c = _customer(srv)
    opening = c.start(sc)
    assert opening.turn is not None
    old = CustomerState.model_validate({**opening.state.model_dump(), "history": [{"role": "customer", "text": "stale"}]})
    talk = [opening.turn, Turn(role="trainee", text="Thank you for calling."), Turn(role="customer", text="Hello?")]
    srv.script(GOOD["en"])
    reply, _ = _say(c, sc, "Let me check that for you.", old, talk=talk)
    sent = [m["content"] for m in srv.last_request["messages"][1:]]
    assert sent[-3:] == ["Thank you for calling.", "Hello?", "Let me check that for you."]
    assert opening.turn.text in sent[1] and not any("stale" in m for m in sent)
    assert "history" not in reply.state.model_dump() and talk[-1].text == GOOD["en"]
