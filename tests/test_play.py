"""`simulator play`: batch replay to Session JSON, errors, the interactive loop, the real CLI."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.customers.play import cmd_play
from simulator.models import Session, parse_clock

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = str(Path(__file__).parent / "fixtures" / "scenarios" / "fixture-gift-en.yaml")


def args(scenario: str = FIXTURE, lines: str | None = None, seed: int = 0, trainee: str | None = None,
         backend: str = "scripted", rubric: str = "default") -> argparse.Namespace:
    return argparse.Namespace(scenario=scenario, backend=backend, trainee_lines=lines, trainee=trainee, seed=seed,
                              rubric=rubric)


def run(a: argparse.Namespace, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cmd_play(a, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, *lines: str) -> str:
    p = tmp_path / "lines.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(p)


def test_lines_file_gives_session_json(tmp_path: Path) -> None:
    f = write(tmp_path, "You must have been worried about your order.", "",
              "Is it for a special occasion?", "/hold 45", "May I hang up first?")
    code, out, err = run(args(lines=f))
    assert code == 0 and err == ""
    data = json.loads(out)
    session = Session.model_validate(data)
    assert data["scenario"] == "fixture-gift-en" and data["backend"] == "scripted"
    roles = [t["role"] for t in data["turns"]]
    assert roles == ["customer", "trainee", "customer", "trainee", "customer", "customer", "trainee", "customer"]
    assert [t["at"] for t in data["turns"]] == ["10:00:00", "10:00:00", "10:01:00", "10:01:00", "10:02:00",
                                                "10:02:45", "10:02:45", "10:03:45"]
    assert data["turns"][5]["text"] == "Um... hello? Are you still there?"  # the 45 s hold is felt
    assert session.turns[1].source == "trainee" and session.turns[2].source == "scripted"
    st = data["state"]
    assert st["revealed_needs"] == ["birthday"] and st["ended"] is True and st["clock"] == "10:03:45"
    assert -1 <= st["mood"] <= 1
    assert {"revealed_needs", "mood", "clock", "ended"} <= set(st)


def test_stdin_dash(tmp_path: Path) -> None:
    code, out, _ = run(args(lines="-"), stdin="Could you tell me the order number?\n")
    assert code == 0
    turns = json.loads(out)["turns"]
    assert turns[-1]["text"] == "The order number is A-100."


def test_unknown_scenario_is_one_line_exit_1(tmp_path: Path) -> None:
    code, out, err = run(args(scenario="no-such-scenario", lines=write(tmp_path, "hi")))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "unknown scenario 'no-such-scenario'" in err


def test_unreadable_lines_file_exit_1(tmp_path: Path) -> None:
    code, out, err = run(args(lines=str(tmp_path / "missing.txt")))
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "cannot read trainee lines" in err and "missing.txt" in err
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9\n".encode("latin-1"))
    code, _, err = run(args(lines=str(bad)))
    assert code == 1 and "not valid UTF-8" in err


def test_bad_command_names_its_line(tmp_path: Path) -> None:
    code, _, err = run(args(lines=write(tmp_path, "hello", "/hold soon")))
    assert code == 1 and "lines.txt:2:" in err and "/hold SECONDS" in err
    code, _, err = run(args(lines=write(tmp_path, "/jump 3")))
    assert code == 1 and "unknown command '/jump'" in err


def test_empty_lines_file(tmp_path: Path) -> None:
    code, _, err = run(args(lines=write(tmp_path, "", "  ")))
    assert code == 1 and "holds no trainee lines" in err


def test_lines_after_the_end_are_reported(tmp_path: Path) -> None:
    code, out, err = run(args(lines=write(tmp_path, "May I hang up first?", "hello?", "anyone?")))
    assert code == 0 and json.loads(out)["state"]["ended"] is True
    assert "before line 2; 2 line(s) not played" in err


def test_quit_stops_the_batch(tmp_path: Path) -> None:
    code, out, _ = run(args(lines=write(tmp_path, "ok", "/quit", "never said")))
    assert code == 0 and "never said" not in out


def test_interactive_loop_prints_the_clock() -> None:
    code, out, err = run(args(), stdin="Is it for a special occasion?\n/hold 65\n/oops\nMay I hang up first?\n")
    assert code == 0 and err == ""
    assert "[10:00:00] Customer:" in out and "[10:00:00] > " in out
    assert "birthday" in out and "[10:01:00] > " in out
    assert "unknown command '/oops'" in out
    assert "―― You ended the contact · simulated clock " in out
    assert "mood" not in out and "needs out" not in out  # no engine internals for the trainee


def test_interactive_play_shows_brief_first_and_score_card_last() -> None:
    """A scenario file outside scenarios/ (the fixture), played in the terminal like a trainee would."""
    code, out, err = run(args(), stdin="You must have been worried. Is it for a special occasion?\n/quit\n")
    assert code == 0 and err == ""
    brief, rest = out.split("Commands: /hold SECONDS [message] (hold), /quit (stop)", 1)
    assert brief.startswith("== Brief ==") and "Summary:" in brief
    talk, card = rest.split("―― Stopped with /quit (the contact was not finished) · simulated clock ", 1)
    assert "Customer:" in talk
    assert "== Score card ==" in card and "Total: " in card and "/ 100" in card
    assert "Scored by: Heuristic scorer (rules); Rubric: default" in card
    assert "Empathy" in card and ("What went well:" in card or "What to try next:" in card)


def test_interactive_play_in_japanese_scores_with_the_chosen_rubric() -> None:
    code, out, _ = run(args(scenario="catalog-bride-ja", rubric="extended"),
                       stdin="ご心配でしたよね。本日16時までに発送いたします。\n")  # input ends: stopped
    assert code == 0
    assert out.startswith("== ブリーフィング ==") and "概要:" in out and "コマンド: /hold 秒数" in out
    assert "―― 入力が終わったため中断しました · シミュレーション時刻 " in out
    assert "== 採点結果 ==" in out and "ルーブリック: extended" in out and "良かった点:" in out
    # wide characters count twice: no line runs past the terminal width
    from simulator.terminal import WIDTH, cells
    assert max(cells(ln) for ln in out.split("== 採点結果 ==")[1].splitlines()) <= WIDTH


def test_nothing_said_is_not_scored_and_a_bad_rubric_is_named() -> None:
    code, out, _ = run(args(), stdin="/quit\n")
    assert code == 0 and "Nothing to score: you did not say anything." in out
    code, _, err = run(args(rubric="no-such-rubric"), stdin="/quit\n")
    assert code == 1 and "unknown rubric 'no-such-rubric'" in err


def test_play_help_documents_every_argument() -> None:
    p = subprocess.run([sys.executable, "-m", "simulator", "play", "--help"], capture_output=True, text=True,
                       cwd=ROOT, timeout=60)
    assert p.returncode == 0
    text = " ".join(p.stdout.split())  # argparse wraps to the terminal width
    for words in ("SCENARIO", "path of a scenario .yaml file anywhere", "--seed", "same seed", "--rubric",
                  "heuristic scorer", "--trainee-lines", "--trainee NAME", "--backend", "examples:"):
        assert words in text, words


def test_openai_backend_without_settings_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("SIMULATOR_LLM_BASE_URL", "SIMULATOR_LLM_MODEL"):
        monkeypatch.delenv(k, raising=False)
    code, _, err = run(args(lines=write(tmp_path, "hi"), backend="openai"))
    assert code == 1 and "SIMULATOR_LLM_BASE_URL" in err


def test_real_cli_is_deterministic_across_processes(tmp_path: Path) -> None:
    f = write(tmp_path, "ok", "hmm", "Anything else?", "/hold 40", "ok")
    outs = []
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        p = subprocess.run([sys.executable, "-m", "simulator", "play", FIXTURE, "--trainee-lines", f, "--seed", "4"],
                           capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    assert outs[0] == outs[1] and json.loads(outs[0])["turns"]


# ------------------------------------------------------------ the seed pack (domain.md behaviour)

SEED_IDS = [f"{name}-{lang}" for name in ("catalog-bride", "sim-activation", "morning-delivery", "apple-email",
                                          "order-inquiry") for lang in ("ja", "en")]

# Per hidden need of every seed scenario: trainee lines whose LAST line draws the need out.
DRAW_OUT: dict[tuple[str, str], list[str]] = {
    ("catalog-bride-ja", "needs-it-sooner"): ["もしかして、お急ぎでいらっしゃいますか。"],
    ("catalog-bride-ja", "wedding-deadline"): ["お日にちに、何かご予定がおありですか。"],
    ("catalog-bride-en", "needs-it-sooner"): ["Is there a date you need it by?"],
    ("catalog-bride-en", "wedding-deadline"): ["Is it for an important day?"],
    ("sim-activation-ja", "reassurance-first"): ["お申し込みが届いているかご心配でしたよね。"],
    ("sim-activation-ja", "wants-sim-soon"): ["いつまでにお使いになりたいですか。"],
    ("sim-activation-ja", "away-on-delivery"): ["お届けの日はご在宅でしょうか。"],
    ("sim-activation-en", "reassurance-first"): ["You must have been worried that your application didn't go through."],
    ("sim-activation-en", "wants-sim-soon"): ["When would you like to start using it?"],
    ("sim-activation-en", "away-on-delivery"): ["Will you be home on the delivery day?"],
    ("morning-delivery-ja", "birthday-tonight"): ["何時までにお手元にあればよろしいでしょうか。"],
    ("morning-delivery-ja", "out-in-afternoon"): ["午後はご在宅でいらっしゃいますか。"],
    ("morning-delivery-en", "birthday-tonight"): ["Do you need it by a particular time today?"],
    ("morning-delivery-en", "out-in-afternoon"): ["Will you be home all afternoon?"],
    ("apple-email-ja", "add-to-existing-order"): ["以前のご注文に追加でしょうか。"],
    ("apple-email-ja", "variety-and-quantity"): ["品種と数量をお知らせいただけますか。"],
    ("apple-email-ja", "birthday-deadline"): ["お届け希望日はございますか。"],
    ("apple-email-en", "add-to-existing-order"): ["Is this to be added to an existing order?"],
    ("apple-email-en", "variety-and-quantity"): ["Which variety and how many would you like?"],
    ("apple-email-en", "birthday-deadline"): ["Is there a date you need them by?"],
    ("order-inquiry-ja", "away-on-delivery-day"): ["お届け予定日はご在宅でいらっしゃいますか。"],
    ("order-inquiry-ja", "short-break"): ["承知しました。", "お忙しいところ恐れ入ります。"],
    ("order-inquiry-en", "away-on-delivery-day"): ["Will you be home on the delivery day?"],
    ("order-inquiry-en", "short-break"): ["Understood.", "I know you're short on time, so I'll be quick."],
}

# Only identification and paperwork: no question about context, so nothing unspoken comes out.
PAPERWORK = {
    "ja": ["お名前をお伺いしてもよろしいでしょうか。", "ご連絡先のお電話番号をお願いできますか。"],
    "en": ["May I have your name, please?", "Could you give me a contact phone number?"],
}

# Offers of each expiring need's solution (matching its acted_on_by), said after the expiry.
LATE_OFFER: dict[tuple[str, str], str] = {
    ("catalog-bride-ja", "needs-it-sooner"): "本日、宅配便で発送いたします。",
    ("catalog-bride-en", "needs-it-sooner"): "I can ship it today by courier.",
    ("morning-delivery-ja", "birthday-tonight"): "進展がなくても30分ごとにご連絡いたします。",
    ("morning-delivery-en", "birthday-tonight"): "I'll update you every 30 minutes.",
    ("apple-email-ja", "birthday-deadline"): "28日に発送いたします。",
    ("apple-email-en", "birthday-deadline"): "We can ship on the 28th.",
    ("order-inquiry-ja", "away-on-delivery-day"): "お届け日を変更いたしましょうか。",
    ("order-inquiry-en", "away-on-delivery-day"): "Shall I change the delivery date?",
}


def seed_session(tmp_path: Path, sid: str, lines: list[str], seed: int = 0) -> Session:
    code, out, err = run(args(scenario=sid, lines=write(tmp_path, *lines), seed=seed))
    assert code == 0, err
    return Session.model_validate_json(out)


def catalog():
    from simulator.loading import default_catalog
    return default_catalog()


def test_seed_tables_cover_every_hidden_need() -> None:
    cat = catalog()
    assert set(SEED_IDS) <= set(cat.scenarios), cat.problems
    for sid in SEED_IDS:
        s = cat.scenario(sid)
        assert {n.id for n in s.hidden_needs} == {n for (x, n) in DRAW_OUT if x == sid}, sid
        assert {n.id for n in s.hidden_needs if n.expires_at and n.late_reply} == \
            {n for (x, n) in LATE_OFFER if x == sid}, sid


@pytest.mark.parametrize("sid,need", sorted(DRAW_OUT))
def test_seed_need_is_drawn_out_by_asking(tmp_path: Path, sid: str, need: str) -> None:
    session = seed_session(tmp_path, sid, DRAW_OUT[(sid, need)])
    hidden = next(n for n in catalog().scenario(sid).hidden_needs if n.id == need)
    assert need in session.state.revealed_needs and need not in session.state.volunteered_needs
    # (an e-mail reply may answer several questions at once: the disclosure is part of it)
    assert session.turns[-1].role == "customer" and any(d in session.turns[-1].text for d in hidden.disclosure)


@pytest.mark.parametrize("sid", SEED_IDS)
def test_seed_paperwork_only_keeps_needs_hidden(tmp_path: Path, sid: str) -> None:
    if sid == "order-inquiry-en":  # known miss of the trained reader (issue 11 note)
        pytest.xfail("the reader hears 'Could you give me a contact phone number?' as offers_callback too (0.76), "
                     "which this scenario reveals a need on")
    s = catalog().scenario(sid)
    session = seed_session(tmp_path, sid, PAPERWORK[s.language])
    assert session.state.revealed_needs == [] and not session.state.ended
    disclosures = {d for n in s.hidden_needs for d in n.disclosure}
    assert not any(t.text in disclosures for t in session.turns)


@pytest.mark.parametrize("sid,need", sorted(LATE_OFFER))
def test_seed_late_offer_gets_the_late_reply(tmp_path: Path, sid: str, need: str) -> None:
    s = catalog().scenario(sid)
    hidden = next(n for n in s.hidden_needs if n.id == need)
    jump = parse_clock(hidden.expires_at) - parse_clock(s.clock.start) + 60
    session = seed_session(tmp_path, sid, [f"/hold {jump}", LATE_OFFER[(sid, need)]])
    assert session.turns[-1].text in hidden.late_reply
    # Before the expiry the very same offer is no late reply.
    early = seed_session(tmp_path, sid, [LATE_OFFER[(sid, need)]])
    assert early.turns[-1].text not in hidden.late_reply


BRIDE_PAPERWORK = {
    "ja": ["はい、高野様ですね。お名前を確認させてください。", "ご住所はお届け先のとおりでよろしいでしょうか。",
           "再手配は完了しております。明日発送、明後日のお届けです。", "他にご不明な点はございますか。",
           "お電話ありがとうございました。失礼いたします。"],
    "en": ["Ms. Ward, may I have your full name to confirm?", "Is the delivery address the one on the postcard?",
           "The catalogue was re-ordered this morning. It ships tomorrow and arrives the day after.",
           "Is there anything else I can help with?", "Thank you for calling. Goodbye."],
}
BRIDE_GENTLE_ASK = {"ja": "お日にちに、何かご予定がおありですか。", "en": "Is it for an important day?"}
BRIDE_HANG_UP_FIRST = {"ja": "それでは、お先に失礼してもよろしいでしょうか。", "en": "May I hang up first?"}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_bride_keeps_the_wedding_to_herself_until_gently_asked(tmp_path: Path, lang: str) -> None:
    sid = f"catalog-bride-{lang}"
    bride = catalog().scenario(sid)
    wedding = next(n for n in bride.hidden_needs if n.id == "wedding-deadline")
    quiet = seed_session(tmp_path, sid, BRIDE_PAPERWORK[lang])
    assert "wedding-deadline" not in quiet.state.revealed_needs
    assert not any(t.text in wedding.disclosure for t in quiet.turns)
    # She does not hang up first: a plain goodbye leaves her on the line.
    assert quiet.state.ended is False and quiet.turns[-1].text in bride.replies.waiting_for_close
    told = seed_session(tmp_path, sid, [*BRIDE_PAPERWORK[lang][:4], BRIDE_GENTLE_ASK[lang],
                                        BRIDE_HANG_UP_FIRST[lang]])
    assert "wedding-deadline" in told.state.revealed_needs
    assert told.turns[-3].text in wedding.disclosure
    assert told.state.ended and told.state.ended_by == "trainee" and told.turns[-1].text in bride.replies.closing


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_bride_never_volunteers_and_never_hangs_up(tmp_path: Path, lang: str) -> None:
    filler = {"ja": "はい。", "en": "I see."}[lang]
    session = seed_session(tmp_path, f"catalog-bride-{lang}", [filler] * 20)
    assert session.state.revealed_needs == [] and not session.state.ended


@pytest.mark.parametrize("sid", ["morning-delivery-ja", "morning-delivery-en", "sim-activation-ja",
                                 "sim-activation-en", "order-inquiry-ja", "order-inquiry-en"])
def test_seed_vague_wait_gets_how_long_pushback(tmp_path: Path, sid: str) -> None:
    s = catalog().scenario(sid)
    assert "asks_how_long" in s.persona.traits
    line = "少々お待ちください。" if s.language == "ja" else "Please wait a moment."
    session = seed_session(tmp_path, sid, [line])
    assert session.turns[-1].text in s.replies.vague_wait
    assert session.state.mood < s.mood.initial


@pytest.mark.parametrize("sid", [s for s in SEED_IDS if not s.startswith("apple-email")])
def test_seed_phone_holds_are_felt(tmp_path: Path, sid: str) -> None:
    s = catalog().scenario(sid)
    session = seed_session(tmp_path, sid, ["/hold 20", "/hold 40", "/hold 70"])
    said = [t.text for t in session.turns[1:]]
    assert len(said) == 2  # 20 s: silence; 40 s: uneasy; 70 s: the customer asks
    assert said[0] in s.replies.hold_uneasy and said[1] in s.replies.hold_long


def test_morning_delivery_parent_volunteers_the_birthday_eventually(tmp_path: Path) -> None:
    s = catalog().scenario("morning-delivery-ja")
    need = next(n for n in s.hidden_needs if n.id == "birthday-tonight")
    session = seed_session(tmp_path, "morning-delivery-ja", ["はい。"] * need.volunteer_after_turn)
    assert session.state.volunteered_needs == ["birthday-tonight"]
    assert session.turns[-1].text in need.disclosure


def test_trainee_name_records_the_session_in_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.store import Store

    url = f"sqlite:///{tmp_path / 'sim.db'}"
    monkeypatch.setenv("SIMULATOR_DATABASE_URL", url)
    f = write(tmp_path, "Is it for a special occasion?", "/hold 40", "May I hang up first?")
    code, out, err = run(args(lines=f, trainee="aiko"))
    assert code == 0, err
    session = Session.model_validate_json(out)
    sid = err.split("recorded as session ")[1].split()[0]
    with Store(url) as store:
        stored = store.get_session(sid)
    assert stored.trainee == "aiko" and stored.scenario == "fixture-gift-en" and stored.language == "en"
    assert [(t.role, t.text, t.at) for t in stored.turns] == [(t.role, t.text, t.at) for t in session.turns]
    assert stored.ended_at is not None and stored.state == session.state
    # scored at the end, so exports and coaching reports show the scores
    assert stored.card is not None and stored.card.judge == "heuristic" and stored.card.scenario == "fixture-gift-en"


def test_bad_store_url_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMULATOR_DATABASE_URL", "mysql://u:secret@localhost/x")
    code, out, err = run(args(lines=write(tmp_path, "ok"), trainee="aiko"))
    assert code == 1 and out == "" and "session store" in err and "secret" not in err


def _strong_examples() -> list[tuple[str, str]]:
    cat = catalog()
    return [(sid, ex.id) for sid in SEED_IDS for ex in cat.scenario(sid).examples if ex.label == "strong"]


@pytest.mark.parametrize("sid,example", _strong_examples())
def test_seed_strong_example_draws_out_every_need(tmp_path: Path, sid: str, example: str) -> None:
    """Replaying a strong calibration transcript's trainee turns brings every need out by asking."""
    s = catalog().scenario(sid)
    ex = next(e for e in s.examples if e.id == example)
    lines = [t.text.replace("\n", " ") for t in ex.turns if t.role == "trainee"]
    session = seed_session(tmp_path, sid, lines)
    assert sorted(session.state.revealed_needs) == sorted(n.id for n in s.hidden_needs)
    assert session.state.volunteered_needs == []


def test_email_reply_answers_every_question_at_once(tmp_path: Path) -> None:
    s = catalog().scenario("apple-email-ja")
    ex = next(e for e in s.examples if e.label == "strong")
    first = ex.turns[1].text.replace("\n", " ")
    session = seed_session(tmp_path, "apple-email-ja", [first])
    reply = session.turns[-1].text
    assert sorted(session.state.revealed_needs) == sorted(n.id for n in s.hidden_needs)
    for need in s.hidden_needs:
        assert any(d in reply for d in need.disclosure), need.id


def test_hold_longer_than_a_day_names_its_line(tmp_path: Path) -> None:
    code, _, err = run(args(lines=write(tmp_path, "ok", "/hold 90000")))
    assert code == 1 and "lines.txt:2: a hold is at most 86400 seconds" in err


def test_openai_backend_plays_through_the_fake_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--backend openai: same session shape, the model's words, the scripted engine's state."""
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI(default="Oh... actually, it's for my daughter's birthday on Thursday.") as srv:
        monkeypatch.setenv("SIMULATOR_LLM_BASE_URL", srv.base_url)
        monkeypatch.setenv("SIMULATOR_LLM_MODEL", "fake-model")
        code, out, err = run(args(lines=write(tmp_path, "Is it for a special occasion?"), backend="openai"))
    assert code == 0, err
    session = Session.model_validate_json(out)
    assert session.backend == "openai" and session.state.revealed_needs == ["birthday"]
    assert session.turns[-1].role == "customer" and session.turns[-1].source == "llm"


def test_exact_session_json_on_the_fixture(tmp_path: Path) -> None:
    """The whole output of `play --trainee-lines`, asserted in full (simonw/llm style)."""
    f = write(tmp_path, "Hello, thank you for calling. You must have been worried.", "Please wait a moment.",
              "/hold 45 Thank you for waiting. I will ship it today by 10:04.", "May I hang up first?")
    code, out, err = run(args(lines=f, seed=3))
    assert (code, err) == (0, "")

    def c(text: str, at: str) -> dict:
        return {"role": "customer", "text": text, "at": at, "source": "scripted"}

    def t(text: str, at: str) -> dict:
        return {"role": "trainee", "text": text, "at": at, "source": "trainee"}

    assert json.loads(out) == {
        "scenario": "fixture-gift-en",
        "backend": "scripted",
        "turns": [
            c("Hello... I'm calling about my order.", "10:00:00"),
            t("Hello, thank you for calling. You must have been worried.", "10:00:00"),
            c("Thank you. I was anxious about it.", "10:01:00"),
            t("Please wait a moment.", "10:01:00"),
            c("How long will that be?", "10:02:00"),
            c("Um... hello? Are you still there?", "10:02:45"),  # said during the 45 s hold
            t("Thank you for waiting. I will ship it today by 10:04.", "10:02:45"),
            c("By 10:04… All right, I'll wait until then.", "10:03:45"),  # the promise acknowledged with its time
            t("May I hang up first?", "10:03:45"),
            c("I'll expect it by 10:04. Thanks so much. Bye.", "10:04:45"),
        ],
        "state": {
            "revealed_needs": [], "mood": 0.2, "clock": "10:04:45", "turn": 6,
            "ended": True, "ended_by": "trainee",
            "promises": [{"turn": 3, "text": "a moment", "due": None, "concrete": False},
                         {"turn": 6, "text": "today by 10:04", "due": "10:04:00", "concrete": True}],
            "volunteered_needs": [], "passed_events": [],
            "last_reply": "I'll expect it by 10:04. Thanks so much. Bye.",
            "seed": 3, "hold_seconds": 45, "trainee_turns": 4,
            "memory": {
                "asked": [{"turn": 8, "act": "question", "intent": None}], "offered": [], "confirmed": [],
                "told_facts": [],
                "said": ["Thank you. I was anxious about it.", "How long will that be?",
                         "Um... hello? Are you still there?", "By 10:04…", "All right, I'll wait until then.",
                         "By 10:04… All right, I'll wait until then.",
                         "I'll expect it by 10:04. Thanks so much. Bye."],
                "acknowledged": [6], "overdue_noted": [], "congratulated": False,
            },
        },
    }


def test_unknown_scenario_mentions_broken_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.loading import default_catalog

    scen = tmp_path / "scenarios"
    scen.mkdir()
    (scen / "broken.yaml").write_text("id: broken-en\nlanguage: en\ntitel: x\n", encoding="utf-8")
    monkeypatch.setenv("SIMULATOR_SCENARIOS_DIR", str(scen))
    default_catalog.cache_clear()
    try:
        code, _, err = run(args(scenario="broken-en", lines=write(tmp_path, "hi")))
    finally:
        default_catalog.cache_clear()
    assert code == 1 and err.count("\n") == 1
    assert "unknown scenario 'broken-en'" in err and "broken.yaml:" in err and "simulator validate" in err
