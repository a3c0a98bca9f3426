"""The scripted customer engine on the fixture scenario (tests/fixtures/scenarios)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from simulator.customers import ContactEndedError, ScriptedCustomer, collect, make_backend
from simulator.customers import recall
from simulator.customers.scripted import split_chunks
from simulator.loading import load_scenario
from simulator.models import CustomerState, EndRules, Scenario

FIXTURE = Path(__file__).parent / "fixtures" / "scenarios" / "fixture-gift-en.yaml"
ENGINE = ScriptedCustomer()


@pytest.fixture(scope="module")
def scn() -> Scenario:
    return load_scenario(FIXTURE)


def play(scn: Scenario, lines: list[str | tuple[int, str]], seed: int = 0) -> tuple[list[tuple[str, str, str]], CustomerState]:
    """Play lines ((hold, text) for a hold first); the transcript as (role, at, text)."""
    r = ENGINE.start(scn, seed=seed)
    state = r.state
    out = [("customer", r.turn.at, r.turn.text)]
    for item in lines:
        hold, text = item if isinstance(item, tuple) else (0, item)
        if text:
            out.append(("trainee", "", text))
        r = ENGINE.next_message(scn, text, state, hold_seconds=hold)
        state = r.state
        if r.turn is not None:
            out.append(("customer", r.turn.at, r.turn.text))
    return out, state


MODEL_PATH = [
    "Hello, thank you for calling. You must have been worried about your order.",
    "Could you tell me the order number?",
    "Is it for a special occasion?",
    "Then I will ship it today, before 10:05. It will arrive tomorrow.",
    "Thank you for waiting so patiently. Goodbye.",
]


def test_exact_transcript_model_path(scn: Scenario) -> None:
    transcript, state = play(scn, MODEL_PATH, seed=0)
    assert transcript == [
        ("customer", "10:00:00", "Hi, it's about the cake set I ordered."),
        ("trainee", "", MODEL_PATH[0]),
        ("customer", "10:01:00", "Yes... I was a little worried."),
        ("trainee", "", MODEL_PATH[1]),
        ("customer", "10:02:00", "The order number is A-100."),
        ("trainee", "", MODEL_PATH[2]),
        ("customer", "10:03:00", "Actually... it's for my daughter's birthday on Thursday."),
        ("trainee", "", MODEL_PATH[3]),
        ("customer", "10:04:00", "10:05, then… All right, I'll wait until then."),
        ("trainee", "", MODEL_PATH[4]),
        ("customer", "10:05:00", "Right..."),  # a plain goodbye: she lingers, a need is still unsaid
    ]
    assert state.revealed_needs == ["birthday"]
    assert state.volunteered_needs == []
    assert state.ended is False  # she never hangs up first and one need is still unsaid
    assert state.turn == 6 and state.trainee_turns == 5


def test_opening_and_initial_state(scn: Scenario) -> None:
    texts = {ENGINE.start(scn, seed=s).turn.text for s in range(8)}
    assert texts == set(scn.opening)  # the seed picks among every variant
    r = ENGINE.start(scn, seed=3)
    assert r.state.mood == scn.mood.initial and r.state.clock == "10:00:00"
    assert r.state.turn == 1 and r.state.seed == 3 and r.state.last_reply == r.turn.text
    assert r.turn.role == "customer" and r.turn.source == "scripted" and r.turn.at == "10:00:00"


def test_deterministic_for_a_seed(scn: Scenario) -> None:
    lines = ["ok", "hmm", "Please wait shortly.", (40, ""), "Anything else?", "ok", "ok"]
    assert play(scn, lines, seed=7) == play(scn, lines, seed=7)
    runs = {tuple(t for _, _, t in play(scn, lines, seed=s)[0]) for s in range(6)}
    assert len(runs) > 1  # ...and the seed does matter


def test_state_is_handed_back_not_mutated(scn: Scenario) -> None:
    start = ENGINE.start(scn, seed=0).state
    frozen = start.model_dump()
    r = ENGINE.next_message(scn, "Is it for a special occasion?", start)
    assert start.model_dump() == frozen
    assert r.state is not start and r.state.revealed_needs == ["birthday"]
    # The same input state gives the same answer again: nothing hidden in the engine.
    again = ENGINE.next_message(scn, "Is it for a special occasion?", start)
    assert again.model_dump() == r.model_dump()


@pytest.mark.parametrize("seed", range(5))
def test_never_repeats_verbatim_twice_in_a_row(scn: Scenario, seed: int) -> None:
    transcript, _ = play(scn, ["ok"] * 10, seed=seed)
    said = [t for role, _, t in transcript if role == "customer"]
    assert all(a != b for a, b in zip(said, said[1:])), said


def test_single_variant_lists_still_never_repeat(scn: Scenario) -> None:
    one = scn.replies.model_copy(update={"filler": ["Yes..."], "question": ["Hmm."]})
    s = scn.model_copy(update={"replies": one})
    transcript, _ = play(s, ["ok", "ok", "ok", "Anything else?", "Anything else?"], seed=0)
    said = [t for role, _, t in transcript if role == "customer"]
    assert all(a != b for a, b in zip(said, said[1:])), said
    # Asking the same fact twice in a row: the second answer is not the same sentence again.
    transcript, _ = play(s, ["What is the order number?", "And the order number again?"])
    said = [t for role, _, t in transcript if role == "customer"]
    assert said[1] == "The order number is A-100." and said[2] != said[1]


def test_clock_advances_and_events_pass_once(scn: Scenario) -> None:
    transcript, state = play(scn, ["ok", "ok", "ok", "ok"])
    assert [at for role, at, _ in transcript if role == "customer"] == [
        "10:00:00", "10:01:00", "10:02:00", "10:03:00", "10:04:00"]
    assert state.passed_events == []
    r = ENGINE.next_message(scn, "ok", state)  # said at 10:04:00: still before the cut-off
    assert r.state.passed_events == []
    r = ENGINE.next_message(scn, "ok", r.state)  # said at 10:05:00: the cut-off has come
    assert r.state.passed_events == ["cutoff"]
    assert r.turn.text.startswith("Oh, it's already five past ten. ")
    r2 = ENGINE.next_message(scn, "ok", r.state)
    assert r2.state.passed_events == ["cutoff"] and "five past ten" not in r2.turn.text


def test_hold_thresholds(scn: Scenario) -> None:
    s0 = ENGINE.start(scn).state
    short = ENGINE.next_message(scn, "", s0, hold_seconds=20)
    assert short.turn is None  # a short hold in silence: the customer just waits
    assert short.state.clock == "10:00:20" and short.state.turn == 1 and short.state.hold_seconds == 20
    uneasy = ENGINE.next_message(scn, "", s0, hold_seconds=30)
    assert uneasy.turn.text in scn.replies.hold_uneasy and uneasy.state.clock == "10:00:30"
    long = ENGINE.next_message(scn, "", s0, hold_seconds=60)
    assert long.turn.text in scn.replies.hold_long and long.turn.at == "10:01:00"
    # Coming back with a message: she was uneasy during the hold (the hold-only call); now the
    # trainee is back, so the reply answers the message and the hold only moved the clock.
    back = ENGINE.next_message(scn, "Could you tell me the order number?", long.state, hold_seconds=0)
    assert back.turn.text == "The order number is A-100." and back.turn.at == "10:02:00"
    both = ENGINE.next_message(scn, "Could you tell me the order number?", s0, hold_seconds=45)
    assert both.turn.text == "The order number is A-100." and both.turn.at == "10:01:45"


def test_lingering_customer_closes_only_properly(scn: Scenario) -> None:
    s = ENGINE.start(scn).state
    r = ENGINE.next_message(scn, "Thank you for calling. Goodbye.", s)
    assert not r.state.ended and r.turn.text in scn.replies.waiting_for_close
    r = ENGINE.next_message(scn, "May I hang up first?", r.state)
    assert r.state.ended and r.state.ended_by == "trainee" and r.turn.text in scn.replies.closing


def test_lingering_customer_closes_when_every_need_is_out(scn: Scenario) -> None:
    _, s = play(scn, ["Is it for a special occasion?", "Will you be home on Friday?"])
    assert s.revealed_needs == ["birthday", "away-friday"]
    r = ENGINE.next_message(scn, "Thank you. Goodbye.", s)
    assert r.state.ended and r.state.ended_by == "trainee"


def test_customer_who_hangs_up_first_ends_on_goodbye(scn: Scenario) -> None:
    s = scn.model_copy(update={"end": EndRules(customer_hangs_up_first=True, max_turns=12)})
    r = ENGINE.next_message(s, "Goodbye.", ENGINE.start(s).state)
    assert r.state.ended and r.turn.text in s.replies.closing


def test_messages_after_the_end_are_refused_clearly(scn: Scenario) -> None:
    r = ENGINE.next_message(scn, "May I hang up first?", ENGINE.start(scn).state)
    with pytest.raises(ContactEndedError, match="already ended"):
        ENGINE.next_message(scn, "Hello?", r.state)


def test_bad_input_is_refused_clearly(scn: Scenario) -> None:
    s = ENGINE.start(scn).state
    with pytest.raises(ValueError, match="message is empty"):
        ENGINE.next_message(scn, "   ", s)
    with pytest.raises(ValueError, match="hold_seconds"):
        ENGINE.next_message(scn, "ok", s, hold_seconds=-5)
    with pytest.raises(ValueError, match="at most 86400"):
        ENGINE.next_message(scn, "ok", s, hold_seconds=90_000)
    with pytest.raises(ValueError, match="6000 characters; the limit is 5000"):
        ENGINE.next_message(scn, "x" * 6000, s)


def test_greeting_thanks_is_no_goodbye(scn: Scenario) -> None:
    s = scn.model_copy(update={"end": EndRules(customer_hangs_up_first=True)})
    r = ENGINE.next_message(s, "Hello, thank you for calling ABC Sweets.", ENGINE.start(s).state)
    assert not r.state.ended
    assert ENGINE.next_message(s, "Thank you for calling. Goodbye.", ENGINE.start(s).state).state.ended


def test_max_turns_ends_the_contact(scn: Scenario) -> None:
    s = scn.model_copy(update={"end": EndRules(max_turns=3, customer_hangs_up_first=False)})
    _, state = play(s, ["ok", "ok"])
    assert state.ended and state.ended_by == "max_turns" and state.turn == 3


def test_mood_rules_clamp_and_hang_up(scn: Scenario) -> None:
    _, state = play(scn, ["You must have been worried."] * 5)
    assert state.mood == 1.0  # 5 x 0.3, clamped
    s = scn.model_copy(update={"end": EndRules(ends_when_mood_below=-0.5, customer_hangs_up_first=False)})
    transcript, state = play(s, ["Please wait shortly.", "Please wait a moment."])
    assert state.ended and state.ended_by == "customer" and state.mood == -0.6
    # At mood -0.6 she does not close with "thanks so much": a curt goodbye.
    assert transcript[-1][2] in recall.lines("cold_closing", "en")


def test_reveal_condition_needs_mood(scn: Scenario) -> None:
    s = ENGINE.start(scn).state
    r = ENGINE.next_message(scn, "By when do you need it?", s)
    assert r.state.revealed_needs == []  # asks_deadline alone needs mood >= 0.1
    r = ENGINE.next_message(scn, "You must have been worried. By when do you need it?", s)
    assert r.state.revealed_needs == ["birthday"] and r.turn.text in scn.hidden_needs[0].disclosure


def test_volunteers_after_enough_turns(scn: Scenario) -> None:
    transcript, state = play(scn, ["ok"] * 4)
    assert state.revealed_needs == ["away-friday"] and state.volunteered_needs == ["away-friday"]
    assert transcript[-1][2] == "Oh, and I won't be home on Friday."


def test_late_offer_gets_the_late_reply(scn: Scenario) -> None:
    _, state = play(scn, ["ok", "hmm", "right", "I see", "yes"])  # now past 10:05
    r = ENGINE.next_message(scn, "I can ship it today for you.", state)
    assert r.turn.text in scn.hidden_needs[0].late_reply
    assert "birthday" in r.state.revealed_needs  # "today's shipping is over" gives the need away
    early = ENGINE.next_message(scn, "I can ship it today for you.", ENGINE.start(scn).state)
    assert early.turn.text not in scn.hidden_needs[0].late_reply


def test_facts_and_custom_patterns(scn: Scenario) -> None:
    s = ENGINE.start(scn).state
    assert ENGINE.next_message(scn, "May I have your order number?", s).turn.text == "The order number is A-100."
    assert ENGINE.next_message(scn, "Shall I wrap it in paper?", s).turn.text == "Oh, it doesn't need gift wrap, thanks."


def test_promises_are_recorded(scn: Scenario) -> None:
    _, state = play(scn, ["Please wait shortly.", "I will call you back within 30 minutes."])
    vague, concrete = state.promises
    assert (vague.turn, vague.concrete, vague.due) == (1, False, None)
    assert concrete.turn == 3 and concrete.concrete and concrete.due == "10:31:00"


def test_stream_yields_chunks_then_the_reply(scn: Scenario) -> None:
    s = ENGINE.start(scn).state

    async def run() -> tuple[list[str], object]:
        deltas: list[str] = []
        final = None
        async for ev in ENGINE.stream(scn, "Is it for a special occasion?", s):
            if ev.done is None:
                deltas.append(ev.delta)
            else:
                final = ev.done
        return deltas, final

    deltas, final = asyncio.run(run())
    assert len(deltas) >= 2 and "".join(deltas) == final.turn.text
    assert final.model_dump() == ENGINE.next_message(scn, "Is it for a special occasion?", s).model_dump()
    assert asyncio.run(collect(ENGINE.stream(scn, "ok", s))).turn is not None


def test_split_chunks_is_lossless() -> None:
    for text in ["あの…はい。そうです。", "Yes.", "Okay, thank you. Bye!", "x"]:
        assert "".join(split_chunks(text)) == text


def test_make_backend() -> None:
    assert make_backend("scripted").name == "scripted"
    with pytest.raises(ValueError, match="unknown customer backend 'gpt'"):
        make_backend("gpt")


def test_a_cut_off_passing_during_a_hold_is_announced(scn: Scenario) -> None:
    s0 = ENGINE.start(scn).state  # 10:00:00; the cut-off event is at 10:05
    quiet = ENGINE.next_message(scn, "", s0, hold_seconds=20)
    assert quiet.turn is None
    r = ENGINE.next_message(scn, "", s0.model_copy(update={"clock": "10:04:50"}), hold_seconds=20)
    assert r.turn.text == "Oh, it's already five past ten." and r.state.passed_events == ["cutoff"]
    r = ENGINE.next_message(scn, "", s0.model_copy(update={"clock": "10:04:00"}), hold_seconds=70)
    assert r.turn.text.startswith("Oh, it's already five past ten. ")
    assert r.turn.text.split(". ", 1)[1] in scn.replies.hold_long


@pytest.mark.parametrize("language,text,question,vague,concrete,rote", [
    ("ja", "状況を教えてください。", True, False, False, False),
    ("ja", "こちらのご住所でよろしいでしょうか。", True, False, False, False),
    ("ja", "少々お待ちください。", False, True, False, False),
    ("ja", "少々お待ちください。1分ほどで戻ります。", False, False, True, False),
    ("ja", "ご迷惑をおかけし申し訳ございません。", False, False, False, True),
    ("ja", "ご心配をおかけして申し訳ございません。", False, False, False, False),
    ("en", "Please tell me what happened.", True, False, False, False),
    ("en", "I'll call you back within 30 minutes.", False, False, True, False),
    ("en", "Please wait a moment.", False, True, False, False),
    ("en", "I'm sorry for the inconvenience.", False, False, False, True),
])
def test_reading_of_a_message(scn: Scenario, language: str, text: str, question: bool, vague: bool,
                              concrete: bool, rote: bool) -> None:
    from simulator.customers.rules import read_message

    s = scn.model_copy(update={"language": language, "id": f"fixture-gift-{language}"})
    r = read_message(s, text, "10:00:00")
    assert (r.question, r.vague_wait, r.concrete_time, r.rote_apology) == (question, vague, concrete, rote)


SEED_IDS = [f"{n}-{lang}" for n in ("catalog-bride", "sim-activation", "morning-delivery", "apple-email",
                                     "order-inquiry") for lang in ("ja", "en")]


@pytest.mark.parametrize("sid", SEED_IDS)
def test_invariants_over_random_conversations(sid: str) -> None:
    """Random walks through every seed scenario: no crash, no verbatim repeat, state stays sane."""
    import random

    from simulator.loading import default_catalog
    from simulator.models import parse_clock

    s = default_catalog().scenario(sid)
    pool = [t.text for ex in s.examples for t in ex.turns if t.role == "trainee"]
    pool += ["はい。", "少々お待ちください。"] if s.language == "ja" else ["Okay.", "Please hold on."]
    need_ids = {n.id for n in s.hidden_needs}
    for seed in range(4):
        rnd = random.Random(f"{sid}:{seed}")
        r = ENGINE.start(s, seed=seed)
        state, last, said = r.state, r.turn.text, 1
        for _ in range(40):
            if state.ended:
                with pytest.raises(ContactEndedError):
                    ENGINE.next_message(s, "hello", state)
                break
            hold = rnd.choice([0, 0, 0, 20, 45, 90])
            msg = "" if hold and rnd.random() < 0.5 else rnd.choice(pool)
            before = parse_clock(state.clock)
            r = ENGINE.next_message(s, msg, state, hold_seconds=hold)
            new = r.state
            assert -1 <= new.mood <= 1
            assert parse_clock(new.clock) >= before + hold  # the clock never runs backwards
            assert set(new.revealed_needs) <= need_ids and len(set(new.revealed_needs)) == len(new.revealed_needs)
            assert set(new.volunteered_needs) <= set(new.revealed_needs)
            assert new.revealed_needs[:len(state.revealed_needs)] == state.revealed_needs  # never forgotten
            if r.turn is not None:
                said += 1
                assert r.turn.text and r.turn.text != last, (sid, seed, r.turn.text)
                last = r.turn.text
            assert new.turn == said <= s.end.max_turns
            state = new


def test_a_hold_reaction_can_be_the_last_turn(scn: Scenario) -> None:
    s = scn.model_copy(update={"end": EndRules(max_turns=3, customer_hangs_up_first=False)})
    _, state = play(s, ["ok"])
    r = ENGINE.next_message(s, "", state, hold_seconds=45)
    assert r.state.ended and r.state.ended_by == "max_turns" and r.state.turn == 3
    assert r.turn.text in s.replies.closing


@pytest.mark.parametrize("sid", ["order-inquiry-ja", "order-inquiry-en"])
def test_upset_caller_hangs_up_with_a_hang_up_line_not_a_thank_you(sid: str) -> None:
    from simulator.loading import default_catalog

    scenario = default_catalog().scenario(sid)
    engine = ScriptedCustomer()
    reply = engine.start(scenario)
    vague = "規則ですので、少々お待ちください。" if sid.endswith("ja") else "It's our policy. Please wait a little longer."
    for _ in range(12):
        reply = engine.next_message(scenario, vague, reply.state)
        if reply.state.ended:
            break
    assert reply.state.ended and reply.state.ended_by == "customer"
    assert reply.turn is not None and reply.turn.text in scenario.replies.hangs_up
