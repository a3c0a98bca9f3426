"""Content QA of the seed pack, played through the real scripted engine: each identification
question gets its own answer, the clock's cut-offs matter, and natural phrasings are understood."""

from __future__ import annotations

import pytest

from simulator.customers.scripted import ScriptedCustomer
from simulator.loading import default_catalog

ENGINE = ScriptedCustomer()


def play(sid: str, lines: list[str]) -> tuple[list[str], object]:
    """Customer replies (opening first) and the final state; '/hold N text' holds first."""
    s = default_catalog().scenario(sid)
    r = ENGINE.start(s)
    said, state = [r.turn.text], r.state
    for line in lines:
        hold = 0
        if line.startswith("/hold "):
            _, n, line = line.split(" ", 2)
            hold = int(n)
        r = ENGINE.next_message(s, line, state, hold_seconds=hold)
        state = r.state
        if r.turn is not None:
            said.append(r.turn.text)
    return said, state


# (scenario, name question, other identification questions, the customer's surname)
IDENT = [
    ("catalog-bride-ja", "お名前を伺えますか。", ["ご注文番号はお手元にございますか。", "お電話番号をお願いできますか。",
                                                  "生年月日をお願いします。"], "高野"),
    ("catalog-bride-en", "Could I take your full name?", ["Do you have an order number?", "What's the best phone number to reach you?",
                                                          "Can I have your date of birth?"], "Ward"),
    ("sim-activation-ja", "お名前をお願いします。", ["お申込番号はお手元にございますか。", "お電話番号をお願いします。",
                                                 "生年月日をお願いします。"], "森本"),
    ("sim-activation-en", "May I have your full name?", ["And the application number?", "What's the best phone number to reach you?",
                                                         "Can I have your email address?"], "Moore"),
    ("morning-delivery-ja", "お名前をお願いします。", ["ご注文番号をお願いします。", "ご連絡先のお電話番号をお願いできますか。",
                                                   "生年月日をお願いします。"], "小川"),
    ("morning-delivery-en", "Could I have your full name, please?", ["And the order number?", "What's the best number to reach you on?",
                                                                     "What's your date of birth?"], "Mitchell"),
    ("order-inquiry-ja", "お名前をお願いします。", ["ご注文番号はお手元にございますか。", "生年月日をお願いします。"], "中村"),
    ("order-inquiry-en", "Can I take your full name?", ["And your order number?", "Can I have your date of birth?"], "Collins"),
]


@pytest.mark.parametrize("sid,name_q,others,surname", IDENT)
def test_each_identification_question_gets_its_own_answer(sid: str, name_q: str, others: list[str],
                                                          surname: str) -> None:
    said, _ = play(sid, [name_q, *others])
    assert surname in said[1]
    for question, reply in zip(others, said[2:]):
        assert surname not in reply, (question, reply)  # no repeating her name for a number
    assert len(set(said[2:])) == len(others)  # and every question a different answer


@pytest.mark.parametrize("sid", ["order-inquiry-ja", "order-inquiry-en"])
def test_putting_the_date_change_off_to_a_call_back_misses_the_cut_off(sid: str) -> None:
    s = default_catalog().scenario(sid)
    need = next(n for n in s.hidden_needs if n.id == "away-on-delivery-day")
    ask, offer = {"order-inquiry-ja": ("お届け日はご在宅でいらっしゃいますか。", "お届け日を5日に変更いたしましょうか。"),
                  "order-inquiry-en": ("Will you be home on the delivery day?", "Shall I change the delivery date to the 5th?")}[sid]
    on_the_spot, _ = play(sid, [ask, offer])
    assert on_the_spot[-1] not in need.late_reply
    deferred, state = play(sid, [ask, f"/hold 1800 {offer}"])  # the promised call-back, 30 min later
    assert deferred[-1] in need.late_reply and "change-cutoff" in state.passed_events


@pytest.mark.parametrize("sid", ["morning-delivery-ja", "morning-delivery-en"])
def test_a_call_back_after_the_promised_time_hears_about_it(sid: str) -> None:
    s = default_catalog().scenario(sid)
    event = next(e for e in s.clock.events if e.id == "first-update-due")
    said, state = play(sid, ["/hold 1800 " + ("お待たせいたしました。" if s.language == "ja" else "Thank you for waiting.")])
    assert "first-update-due" in state.passed_events and said[-1].startswith(event.announce)


@pytest.mark.parametrize("sid,line", [
    ("catalog-bride-ja", "こちらから失礼してもよろしいでしょうか。"),
    ("catalog-bride-ja", "お電話を切らせていただいてもよろしいでしょうか。"),
    ("catalog-bride-en", "Would you mind if I ended the call now?"),
    ("catalog-bride-en", "I'll hang up now, if that's okay."),
])
def test_the_bride_lets_go_when_asked_leave_to_hang_up_first(sid: str, line: str) -> None:
    _, state = play(sid, [line])
    assert state.ended and state.ended_by == "trainee"


@pytest.mark.parametrize("sid,line,need", [
    ("catalog-bride-ja", "結婚式か何かでしょうか。", "wedding-deadline"),
    ("catalog-bride-en", "Is there something special coming up?", "wedding-deadline"),
    ("catalog-bride-en", "Who is the catalogue for?", None),
    ("sim-activation-ja", "発送はいつ頃がよろしいですか。", "wants-sim-soon"),
    ("sim-activation-en", "Do you have the phone already?", "wants-sim-soon"),
    ("morning-delivery-ja", "お出かけのご予定はございますか。", "out-in-afternoon"),
    ("morning-delivery-en", "Is there a reason you need it today?", "birthday-tonight"),
])
def test_natural_phrasings_draw_the_need_out(sid: str, line: str, need: str | None) -> None:
    s = default_catalog().scenario(sid)
    said, state = play(sid, [line])
    if need is None:  # a plain answer (a fact), not the generic "I'm not sure"
        assert said[-1] not in s.replies.question
    else:
        assert need in state.revealed_needs
