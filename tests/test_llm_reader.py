"""The LLM reader against FakeOpenAI: a real loopback HTTP server and the real (sync) openai client.

The model's labels are used when they pass the checks; any fault gives the offline reading
unchanged, with the cause named; the response format steps down when the server refuses it;
readings are cached per text; the prompt carries the intent vocabulary, never a hidden need.
"""

from __future__ import annotations

import json

import openai
import pytest

from simulator.language.intents import detector_for
from simulator.language.llm_reader import LLMReader, llm_reader_for
from simulator.language.reader import Reader, generic_reader
from simulator.llm import LLMConfigError, LLMSettings
from simulator.loading import default_catalog
from tests.fake_openai import FakeOpenAI, Fault

TEXT = "I'm so sorry for the wait. I will call you back by 3 pm today. Is the parcel a gift?"


def answer(*sentences: tuple[str, list[str]]) -> str:
    return json.dumps({"sentences": [{"index": i, "act": a, "intents": ints} for i, (a, ints) in enumerate(sentences)]})


GOOD = answer(("apology", ["apologises"]), ("commitment", ["offers_callback"]), ("question", ["asks_occasion"]))


@pytest.fixture()
def srv():
    with FakeOpenAI() as s:
        yield s


def reader(srv: FakeOpenAI, offline: Reader | None = None, deadline: float = 5.0) -> LLMReader:
    # a fresh client per test: the format a client settled on is remembered per client
    client = openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
    return LLMReader(offline or generic_reader("en"), client, "reader-model", deadline=deadline)


def test_the_models_reading_is_used_with_exact_spans(srv: FakeOpenAI) -> None:
    srv.script(GOOD)
    r = reader(srv)
    got = r.read(TEXT, now="10:00")
    assert [s.act for s in got.sentences] == ["apology", "commitment", "question"]
    for s in got.sentences:
        assert TEXT[s.start:s.end] == s.text
    assert [s.text for s in got.sentences] == ["I'm so sorry for the wait.", "I will call you back by 3 pm today.",
                                               "Is the parcel a gift?"]
    first, second, third = got.sentences
    assert [(h.id, h.source, h.because) for h in first.intents] == [("apologises", "llm", "model reading")]
    # the act decides what the time means (reader._gate): a commitment with 3 pm promises a concrete time
    assert {h.id for h in second.intents} == {"offers_callback", "promises_concrete_time"}
    assert next(h for h in second.intents if h.id == "offers_callback").source == "llm"
    assert [t.text for t in second.times] and got.promised_times == second.times
    assert third.has("asks_occasion") and not third.committing
    assert got.intent_ids == {"apologises", "offers_callback", "promises_concrete_time", "asks_occasion"}
    assert r.fallbacks == 0 and r.last_fault is None
    sent = srv.last_request
    assert sent["model"] == "reader-model" and sent["response_format"]["type"] == "json_schema"
    assert json.loads(sent["messages"][1]["content"])["sentences"][1]["text"] == "I will call you back by 3 pm today."


def test_a_time_in_a_question_promises_nothing_even_if_the_model_says_so(srv: FakeOpenAI) -> None:
    srv.script(answer(("question", ["promises_concrete_time", "asks_availability"])))
    got = reader(srv).read("Would 3 pm suit you?", now="10:00")
    assert got.intent_ids == {"asks_availability"}


@pytest.mark.parametrize("fault, cause", [
    (Fault.status(500), "http 500"),
    ("this is not json", "invalid json"),
    (answer(("apology", ["apologises"]), ("commitment", ["reads_minds"]), ("question", [])), "unknown intent"),
    (answer(("apology", ["apologises"]), ("commitment", [])), "sentences 0..2"),
    (answer(("apology", []), ("shrug", []), ("question", [])), "validation"),
])
def test_any_fault_gives_the_offline_reading_unchanged(srv: FakeOpenAI, fault: object, cause: str) -> None:
    srv.script(fault)  # type: ignore[arg-type]
    r = reader(srv)
    got = r.read(TEXT, now="10:00")
    assert got == generic_reader("en").read(TEXT, now="10:00")
    assert r.fallbacks == 1 and r.last_fault is not None and cause in r.last_fault


def test_a_hang_past_the_deadline_falls_back(srv: FakeOpenAI) -> None:
    srv.script(Fault.hang(5))
    r = reader(srv, deadline=0.3)
    got = r.read(TEXT, now="10:00")
    assert got == generic_reader("en").read(TEXT, now="10:00")
    assert r.fallbacks == 1 and r.last_fault is not None and r.last_fault.startswith("timeout")
    srv.script(GOOD)  # the next message tries the model again
    assert reader_acts(r.read(TEXT + " ")) == ["apology", "commitment", "question"]
    assert r.last_fault is None


def reader_acts(reading) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.act for s in reading.sentences]


def test_json_schema_refused_steps_down_to_json_object_and_remembers(srv: FakeOpenAI) -> None:
    refusal = {"error": {"message": "response_format json_schema is not supported", "type": "invalid_request"}}
    srv.script(Fault.status(400, refusal), GOOD, GOOD)
    r = reader(srv)
    assert reader_acts(r.read(TEXT)) == ["apology", "commitment", "question"]
    assert [q["response_format"]["type"] for q in srv.requests] == ["json_schema", "json_object"]
    assert r.fallbacks == 0
    r.read("I am sorry. I will call you back. Is it a gift?")
    assert srv.requests[-1]["response_format"]["type"] == "json_object"  # not json_schema again on this client


def test_every_format_refused_ends_in_plain_json_in_the_prompt(srv: FakeOpenAI) -> None:
    refusal = {"error": {"message": "unsupported response_format", "type": "invalid_request"}}
    srv.script(Fault.status(400, refusal), Fault.status(400, refusal), GOOD)
    r = reader(srv)
    assert reader_acts(r.read(TEXT)) == ["apology", "commitment", "question"]
    assert "response_format" not in srv.last_request
    assert '"sentences"' in srv.system_prompt()


def test_readings_are_cached_per_text(srv: FakeOpenAI) -> None:
    srv.script(GOOD)
    r = reader(srv)
    first = r.read(TEXT, now="10:00")
    again = r.read(TEXT, now="10:00")
    assert again == first and len(srv.requests) == 1
    later = r.read(TEXT, now="15:30")  # the labels are cached; the times are worked out for the new clock
    assert len(srv.requests) == 1 and reader_acts(later) == reader_acts(first)


def test_the_prompt_holds_the_intent_ids_but_no_hidden_need() -> None:
    catalog = default_catalog()
    for sid in ("catalog-bride-en", "apple-email-ja"):
        scenario = catalog.scenarios[sid]
        offline = detector_for(scenario).reader  # ScenarioIntents built exactly as the engines build them
        assert offline.scenario_intents.ids  # the seed scenario has intents of its own
        with FakeOpenAI() as srv:
            srv.script("not json")
            text = "Thank you for calling." if scenario.language == "en" else "お電話ありがとうございます。"
            reader(srv, offline).read(text)
            prompt = "\n".join(str(m["content"]) for m in srv.last_request["messages"])
        for intent in offline.known_intents:
            assert f"`{intent}`" in prompt
        for need in scenario.hidden_needs:
            assert need.description not in prompt
            for said in need.disclosure + need.late_reply:
                assert said not in prompt
            assert not need.solution or need.solution not in prompt


def test_the_setting_is_opt_in() -> None:
    offline = generic_reader("en")
    on = {"SIMULATOR_LLM_READER": "1"}
    configured = LLMSettings(base_url="http://127.0.0.1:9/v1", model="m", timeout=2)
    assert llm_reader_for(offline, configured, env={}) is offline
    assert llm_reader_for(offline, LLMSettings(), env=on) is offline  # on, but no LLM configured
    got = llm_reader_for(offline, configured, env=on)
    assert isinstance(got, LLMReader) and got.deadline == 2 and got.known_intents == offline.known_intents
    with pytest.raises(LLMConfigError, match="SIMULATOR_LLM_READER"):
        llm_reader_for(offline, configured, env={"SIMULATOR_LLM_READER": "maybe"})


def test_an_unreachable_endpoint_falls_back() -> None:
    with FakeOpenAI() as srv:
        url = srv.base_url
    r = LLMReader(generic_reader("en"), openai.OpenAI(base_url=url, api_key="x", max_retries=0), "m", deadline=1)
    assert r.read(TEXT) == generic_reader("en").read(TEXT)
    assert r.fallbacks == 1 and r.last_fault and "Connection" in r.last_fault
