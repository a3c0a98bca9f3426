"""The content of the apple-email / order-inquiry scenarios and the two rubrics behaves as designed:
played through the real scripted engine, a strong trainee draws every need out before the
customer volunteers it, a weak one hears it late (or is hung up on); ja/en files stay parallel;
extended.yaml keeps the default criteria's text."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.customers.scripted import ScriptedCustomer
from simulator.language import detector_for
from simulator.loading import load_rubric, load_scenario

REPO = Path(__file__).resolve().parent.parent
MINE = ["apple-email-ja", "apple-email-en", "order-inquiry-ja", "order-inquiry-en"]


def scenario(sid: str):
    return load_scenario(str(REPO / "scenarios" / f"{sid}.yaml"))


def play(sid: str, lines: list[str]):
    s = scenario(sid)
    engine = ScriptedCustomer()
    reply = engine.start(s)
    replies = [reply.turn.text]
    state = reply.state
    for line in lines:
        if state.ended:
            break
        reply = engine.next_message(s, line, state)
        state = reply.state
        if reply.turn is not None:
            replies.append(reply.turn.text)
    return state, replies


STRONG = {
    "apple-email-ja": [
        "ご連絡ありがとうございます。りんごのご追加をご希望なのですね。以前いただいたご注文への追加でしょうか。",
        "ありがとうございます。品種と、3kg／5kg／10kgのどれを何箱ご希望でしょうか。",
        "サンふじ贈答用5kgを1箱ですね。お届けのご希望日はございますか。",
        "大切な日に間に合うか、ご心配だったことと思います。28日に発送し、29日の午前中にお届けいたします。",
        "ご注文への追加を確定いたしました。ご連絡ありがとうございました。",
    ],
    "apple-email-en": [
        "Thank you for your message. You'd like to add some apples. Is this an addition to an earlier order?",
        "Thank you. Which variety would you like, and how many boxes?",
        "One 5 kg gift box of Fuji. Is there a date you need them by?",
        "You must have been anxious about it arriving in time. It will ship on the 28th and arrive on the 29th.",
        "Your addition is confirmed. Thank you for writing to us.",
    ],
    "order-inquiry-ja": [
        "お電話ありがとうございます。ご注文の件ですね。お名前とご注文番号を教えていただけますか。",
        "中村様、確認できました。まだ出荷前で、3日の午前中にお届けの予定です。その日はご在宅のご予定でしょうか。",
        "出張でご不在なのですね。私が今ここでお届け日を変更できます。5日の土曜日の午前中はいかがでしょうか。",
        "1分ほどで変更が終わります。このままお待ちいただいてもよろしいでしょうか。",
        "お待たせいたしました。5日の午前中に変更いたしました。13時30分までにショートメールでお送りします。",
        "お電話ありがとうございました。失礼いたします。",
    ],
    "order-inquiry-en": [
        "Thank you for calling. About your order — could I have your name and order number?",
        "Thank you, Mr Collins. It hasn't shipped yet; it's booked for the morning of the 3rd. Will you be home that day?",
        "You're away on business that day. I can change the date for you right now. How about Saturday the 5th?",
        "The change takes about a minute. May I put you on hold for a minute?",
        "Thank you for waiting. Delivery is now the morning of the 5th. I'll text you a confirmation by 13:30.",
        "Thank you for calling. Goodbye.",
    ],
}

WEAK = {
    "apple-email-ja": ["申し訳ございません。", "確認いたしますので、しばらくお待ちください。", "後ほどご連絡いたします。",
                       "確認中です。", "できるだけ早くご連絡いたします。", "確認いたします。", "承知しました。"],
    "apple-email-en": ["We apologise for any inconvenience.", "Please wait.", "We will get back to you shortly.",
                       "We are checking.", "As soon as possible.", "Noted.", "OK."],
    "order-inquiry-ja": ["ご迷惑をおかけし申し訳ございません。", "お名前をお願いいたします。", "ご注文番号をお願いいたします。",
                         "確認いたしますので、少々お待ちください。", "ご注文は出荷準備中です。", "はい。", "承知しました。"],
    "order-inquiry-en": ["We apologise for any inconvenience.", "May I have your name, please?",
                         "Could I have the order number?", "I'll check, please hold for a moment.",
                         "Your order is being prepared.", "Right.", "OK."],
}


@pytest.mark.parametrize("sid", MINE)
def test_strong_trainee_draws_every_need_out_before_it_is_volunteered(sid):
    state, replies = play(sid, STRONG[sid])
    assert set(state.revealed_needs) == {n.id for n in scenario(sid).hidden_needs}
    assert state.volunteered_needs == []
    assert state.ended and state.ended_by == "trainee"
    assert state.mood > 0.5
    assert all(a != b for a, b in zip(replies, replies[1:])), "the customer repeated a line verbatim"


@pytest.mark.parametrize("sid", MINE)
def test_weak_trainee_only_hears_the_main_need_late_and_unprompted(sid):
    if sid == "order-inquiry-en":  # known miss of the trained reader (issue 11 note)
        pytest.xfail("the reader hears 'Could you give me a contact phone number?' as offers_callback too (0.76), "
                     "which this scenario reveals a need on")
    state, _ = play(sid, WEAK[sid])
    main = scenario(sid).hidden_needs[0].id
    assert main in state.volunteered_needs
    assert state.mood < scenario(sid).mood.initial


def test_impatient_caller_hangs_up_on_policy_and_vague_waits():
    lines = ["申し訳ございません。少々お待ちください。", "もうしばらくお待ちください。",
             "規則ですので、日時の変更はできません。", "規則により承りかねます。配送業者にお問い合わせください。",
             "今しばらくお待ちください。", "規則ですので。"]
    state, _ = play("order-inquiry-ja", lines)
    assert state.ended and state.ended_by == "customer"


def test_answering_the_order_number_does_not_repeat_the_name():
    _, replies = play("order-inquiry-ja", ["お名前をお願いいたします。", "ご注文番号をお願いいたします。"])
    assert "中村健一" in replies[1] and "中村" not in replies[2] and "KH-55713" in replies[2]


@pytest.mark.parametrize("sid", MINE)
def test_model_phrases_fire_the_signals_the_scorer_looks_for(sid):
    s = scenario(sid)
    det = detector_for(s)
    phrases = " ".join(s.model_phrases["unspoken_needs"])
    for need in s.hidden_needs:
        assert det.match_signals(need.drawn_out_by, phrases), f"{need.id}: no drawn_out_by signal in model phrases"
    wait = " ".join(s.model_phrases["wait_time"])
    assert "promises_concrete_time" in det.intents(wait)
    assert "vague_wait" not in det.intents(wait)


@pytest.mark.parametrize("name", ["apple-email", "order-inquiry"])
def test_japanese_and_english_files_are_parallel(name):
    ja, en = scenario(f"{name}-ja"), scenario(f"{name}-en")
    assert (ja.channel, ja.difficulty) == (en.channel, en.difficulty)
    assert [f.id for f in ja.facts] == [f.id for f in en.facts]
    assert [n.id for n in ja.hidden_needs] == [n.id for n in en.hidden_needs]
    assert [(n.volunteer_after_turn, n.expires_at) for n in ja.hidden_needs] == \
           [(n.volunteer_after_turn, n.expires_at) for n in en.hidden_needs]
    assert [(e.id, e.label, e.expected) for e in ja.examples] == [(e.id, e.label, e.expected) for e in en.examples]
    assert set(ja.patterns) == set(en.patterns)
    assert ja.clock == en.clock.model_copy(update={"events": ja.clock.events}) and \
           [e.id for e in ja.clock.events] == [e.id for e in en.clock.events]


@pytest.mark.parametrize("sid", MINE)
def test_every_reply_situation_has_several_variants(sid):
    replies = scenario(sid).replies.model_dump()
    channel = scenario(sid).channel
    optional_for_email = {"hold_uneasy", "hold_long", "waiting_for_close"}
    skip = optional_for_email if channel == "email" else {"waiting_for_close"}
    for kind, lines in replies.items():
        if kind in skip:
            continue
        assert len(lines) >= 3, f"{sid}: replies.{kind} has {len(lines)} variant(s)"
    for need in scenario(sid).hidden_needs:
        assert len(need.disclosure) >= 2


def test_extended_rubric_keeps_the_default_criteria_text():
    default = load_rubric(str(REPO / "rubrics" / "default.yaml"))
    extended = load_rubric(str(REPO / "rubrics" / "extended.yaml"))
    assert [c.id for c in default.criteria] == ["empathy", "unspoken_needs", "wait_time"]
    assert [c.id for c in extended.criteria][:3] == [c.id for c in default.criteria]
    for d, e in zip(default.criteria, extended.criteria):
        assert d.model_dump(exclude={"weight"}) == e.model_dump(exclude={"weight"})
    assert {c.id: c.heuristic.analyzer for c in extended.criteria[3:]} == {
        "ownership": "signals", "clarity": "signals", "closing": "signals"}
