"""The web app through its API (gradio_client) against a real server on loopback: scripted
engine, heuristic scorer, SQLite store in a temp dir. No browser, no internet."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from simulator.loading import load_scenario
from simulator.scoring.card import final_total
from simulator.web.render import safe as render_safe
from tests.web_server import SUPERVISOR, RunningApp, start_app

# /start, /end, /try_again, /resume return these outputs, in this order.
BRIEF, CLOCK, NOTICE, CHAT, MSG, EMAIL, CARD, CHART, TRANSCRIPT, HISTORY, TREND = range(11)
# /send, /send_email and /hold stream only these (the page then renders the rest once per turn).
T_CLOCK, T_NOTICE, T_CHAT = range(3)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> RunningApp:
    running = start_app(tmp_path_factory.mktemp("web"))
    yield running
    running.close()


def client(app: RunningApp) -> Client:
    return Client(app.url, verbose=False, download_files=False)


def texts(chat: list[dict]) -> list[str]:
    out = []
    for m in chat:
        content = m["content"]
        if isinstance(content, list):
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        out.append(content)
    return out


def clock_of(html: str) -> str:
    m = re.search(r"id='sim-clock-time'>([0-9:]+)<", html)
    assert m, html
    return m.group(1)


def test_trainee_plays_scores_and_sees_own_history(app: RunningApp) -> None:
    c = client(app)
    out = c.predict("佐藤 花子", "catalog-bride-ja", "ja", api_name="/start")
    scenario = app.services.catalog.scenario("catalog-bride-ja")
    assert scenario.title in out[BRIEF]
    for need in scenario.hidden_needs:  # the brief never gives away the hidden needs
        assert need.description not in out[BRIEF]
        assert all(d not in out[BRIEF] for d in need.disclosure)
    assert clock_of(out[CLOCK]) == "15:52:00"
    assert len(out[CHAT]) == 1
    assert any(texts(out[CHAT])[0].endswith(render_safe(o)) for o in scenario.opening)

    out = c.predict("二度もお電話をいただき、ご心配をおかけしました。私が確認いたします。", "ja", api_name="/send")
    assert len(out[T_CHAT]) == 3 and out[T_NOTICE] == ""
    after_first = clock_of(out[T_CLOCK])
    assert after_first > "15:52:00"

    out = c.predict(65, "ja", api_name="/hold")  # past a minute the customer asks
    chat = texts(out[T_CHAT])
    assert any(line in chat[-1] for line in scenario.replies.hold_long), chat[-1]
    assert clock_of(out[T_CLOCK]) >= "15:53:"

    out = c.predict("本日16時までに宅配便で発送いたします。大切なご予定にお使いですか？", "ja", api_name="/send")
    out = c.predict("ja", api_name="/end")
    assert "id='sim-total'" in out[CARD]
    total = float(re.search(r"id='sim-total'>([0-9.]+)<", out[CARD]).group(1))
    assert 0 <= total <= 100
    assert "sim-transcript" in out[TRANSCRIPT]
    assert out[HISTORY]["data"] and out[HISTORY]["data"][0][1] == "catalog-bride-ja"
    assert out[HISTORY]["headers"] == ["日時", "シナリオ", "合計"]
    # charts in the UI language; a lone first attempt is still a point on the trend
    assert "<svg" in out[CHART] and "レベル（0〜4）" in out[CHART] and "共感" in out[CHART]
    assert "受講回（回目）" in out[TREND] and "合計点" in out[TREND]
    assert out[TREND].count('id="sim-line-0"') == 1 and "<use" in out[TREND]
    assert "良かった点" in out[CARD] or "次に試すこと" in out[CARD]
    assert "ルールベース採点" in out[CARD] and "heuristic" not in out[CARD]

    sessions = app.services.store.list_sessions(trainee="佐藤 花子")
    assert len(sessions) == 1 and sessions[0].total == pytest.approx(total, abs=0.05)
    stored = app.services.store.get_session(sessions[0].id)
    assert [t.role for t in stored.turns][:3] == ["customer", "trainee", "customer"]
    assert stored.ended_at is not None and stored.card is not None

    # ended: further messages get a clear message, not a crash
    out = c.predict("もしもし", "ja", api_name="/send")
    assert "終了" in out[T_NOTICE]


def test_bad_input_gets_clear_messages(app: RunningApp) -> None:
    c = client(app)
    out = c.predict("こんにちは", "ja", api_name="/send")
    assert "先にシナリオを開始" in out[T_NOTICE]
    out = c.predict("", "catalog-bride-en", "en", api_name="/start")
    assert "Please enter your name" in out[NOTICE]
    out = c.predict("Alex", "no-such-scenario", "en", api_name="/start")
    assert "no-such-scenario" in out[NOTICE] and "not found" in out[NOTICE]
    out = c.predict("Alex", "catalog-bride-en", "en", api_name="/start")
    out = c.predict("x" * 2001, "en", api_name="/send")
    assert "2001" in out[T_NOTICE] and "2000" in out[T_NOTICE]
    assert len(out[T_CHAT]) == 1  # nothing was sent
    out = c.predict(0, "en", api_name="/hold")
    assert "between 1 and 600" in out[T_NOTICE]


def test_chat_is_escaped(app: RunningApp) -> None:
    c = client(app)
    c.predict("Mallory", "morning-delivery-en", "en", api_name="/start")
    evil = '<script>alert(1)</script><img src="http://example.invalid/x.png"> ![x](http://example.invalid/y.png)'
    out = c.predict(evil, "en", api_name="/send")
    mine = texts(out[T_CHAT])[1]
    assert "<script" not in mine and "<img" not in mine
    assert "&lt;script&gt;" in mine and "&lt;img" in mine
    out = c.predict("en", api_name="/end")
    assert "<script" not in out[TRANSCRIPT] and "<img" not in out[TRANSCRIPT]


def test_trainee_resumes_after_closing_the_tab(app: RunningApp) -> None:
    first = client(app)
    first.predict("Resumer", "order-inquiry-ja", "ja", api_name="/start")
    before = first.predict("お電話ありがとうございます。ご注文番号を伺えますか？", "ja", api_name="/send")
    second = client(app)  # a new browser session: nothing in its state
    out = second.predict("Resumer", "ja", api_name="/resume")
    assert texts(out[CHAT]) == texts(before[T_CHAT]) and "再開" in out[NOTICE]
    assert clock_of(out[CLOCK]) == clock_of(before[T_CLOCK])
    out = second.predict("確認いたします。本日15時までにお電話いたします。", "ja", api_name="/send")
    assert len(out[T_CHAT]) == 5
    out = second.predict("Nobody", "en", api_name="/resume")
    assert "No unfinished contact for Nobody" in out[NOTICE]


def test_email_scenario_uses_composer_and_has_no_hold(app: RunningApp) -> None:
    c = client(app)
    c.predict("Kim", "apple-email-en", "en", api_name="/start")
    out = c.predict(45, "en", api_name="/hold")
    assert "only available on phone" in out[T_NOTICE]
    body = ("Thank you for your message.\nCould you tell me how many apples and which variety?\n"
            "I will confirm your order by 17:00 today.")
    out = c.predict(body, "en", api_name="/send_email")
    assert texts(out[T_CHAT])[1].endswith("by 17:00 today.")


def test_sessions_are_isolated(app: RunningApp) -> None:
    a, b = client(app), client(app)
    a.predict("Aiko", "sim-activation-ja", "ja", api_name="/start")
    out_b = b.predict("もしもし", "ja", api_name="/send")
    assert "先にシナリオを開始" in out_b[T_NOTICE]
    out_a = a.predict("お申し込みはきちんと届いておりました。ご安心ください。", "ja", api_name="/send")
    assert len(out_a[T_CHAT]) == 3


def test_supervisor_endpoints_need_login(app: RunningApp) -> None:
    c = client(app)
    for api, args in [("/validate_scenario", ("id: x\n", "x.yaml", "ja")), ("/dashboard", ("", "", "", "", "ja")),
                      ("/editor_save_new", ("id: x\n", "x.yaml", "ja")), ("/open_session", ("x", "ja")),
                      ("/export", ("csv", "", "", "", "", "ja"))]:
        with pytest.raises(AppError, match="ログインが必要"):
            c.predict(*args, api_name=api)
    c.predict(SUPERVISOR[0], "wrong", "ja", api_name="/supervisor_login")
    with pytest.raises(AppError, match="ログインが必要"):
        c.predict("id: x\n", "x.yaml", "ja", api_name="/validate_scenario")


def login(app: RunningApp) -> Client:
    c = client(app)
    c.predict(SUPERVISOR[0], SUPERVISOR[1], "en", api_name="/supervisor_login")
    return c


def test_supervisor_validation_gives_line_numbers(app: RunningApp) -> None:
    c = login(app)
    good = (app.root / "scenarios" / "catalog-bride-en.yaml").read_text(encoding="utf-8")
    assert "Valid: catalog-bride-en" in c.predict(good, "catalog-bride-en.yaml", "en", api_name="/validate_scenario")
    broken = good.replace("channel: phone", "channel: fax", 1)
    line = next(i for i, ln in enumerate(broken.splitlines(), 1) if ln.startswith("channel:"))
    html = c.predict(broken, "catalog-bride-en.yaml", "en", api_name="/validate_scenario")
    assert re.search(rf"catalog-bride-en\.yaml:{line}:\d+: ", html), html
    html = c.predict("id: [unclosed\n", "draft.yaml", "en", api_name="/validate_scenario")
    assert re.search(r"draft\.yaml:\d+:\d+: ", html), html


def test_supervisor_save_never_overwrites_someone_elses_edit(app: RunningApp) -> None:
    a, b = login(app), login(app)
    name = "order-inquiry-en.yaml"
    text_a = a.predict(name, "en", api_name="/editor_load")[0]
    text_b = b.predict(name, "en", api_name="/editor_load")[0]
    assert text_a == text_b
    edited_a = text_a.replace("difficulty: ", "difficulty: hard\n#", 1) if "difficulty: hard" not in text_a else \
        text_a + "\n# edited by A\n"
    msg = a.predict(edited_a, name, "en", api_name="/editor_save")[0]
    assert "Saved to" in msg, msg
    msg = b.predict(text_b + "\n# edited by B\n", name, "en", api_name="/editor_save")[0]
    assert "changed by someone else" in msg
    assert (app.root / "scenarios" / name).read_text(encoding="utf-8") == edited_a
    # save as new: refuses an existing file name, accepts a new file with a new id
    msg = b.predict(text_b, name, "en", api_name="/editor_save_new")[0]
    assert "already" in msg
    new_text = text_b.replace("id: order-inquiry-en", "id: order-inquiry-en-v2", 1)
    msg = b.predict(new_text, "order-inquiry-en-v2.yaml", "en", api_name="/editor_save_new")[0]
    assert "Saved to" in msg, msg
    assert load_scenario(app.root / "scenarios" / "order-inquiry-en-v2.yaml").id == "order-inquiry-en-v2"
    assert "order-inquiry-en-v2" in app.services.catalog.scenarios
    msg = b.predict(new_text, "../evil.yaml", "en", api_name="/editor_save_new")[0]
    assert "File names may use" in msg


def test_supervisor_dashboard_override_and_export(app: RunningApp) -> None:
    t = client(app)
    t.predict("Dana", "morning-delivery-en", "en", api_name="/start")
    t.predict("I'm so sorry, you must be worried. I will call the carrier now and update you by 12:30.", "en",
              api_name="/send")
    t.predict("en", api_name="/end")
    s = login(app)
    table, avg, trend = s.predict("Dana", "", "", "", "en", api_name="/dashboard")[:3]
    assert table["data"] and table["data"][0][1] == "Dana"
    assert table["data"][0][6] == "Heuristic scorer (rules)"  # named for what it is, not "AI"
    # charts are SVG with English axis titles, one point for Dana's single attempt
    assert "<svg" in avg and "Average level (0-4)" in avg and "Empathy" in avg
    assert "<svg" in trend and "Attempt" in trend and "Total score" in trend and "Dana" in trend
    assert trend.count('id="sim-line-') == 1
    sid = table["data"][0][-1]
    card, transcript = s.predict(sid, "en", api_name="/open_session")[:2]
    assert "sim-total" in card and "call the carrier" in transcript
    msg = s.predict(sid, "empathy", 4, "", "en", api_name="/override_score")[0]
    assert "comment" in msg
    msg = s.predict(sid, "empathy", 4, "Named the worry first; full marks.", "en", api_name="/override_score")[0]
    assert "Overrode Empathy (feelings before procedure) to 4" in msg  # the rubric's name, not the id
    assert app.services.store.get_session(sid).latest_overrides()["empathy"].supervisor == SUPERVISOR[0]
    # the dashboard shows the AI's total and the final one, the supervisor's level weighed in
    table = s.predict("Dana", "", "", "", "en", api_name="/dashboard")[0]
    row = dict(zip(table["headers"], table["data"][0]))
    card = app.services.store.get_session(sid).card
    assert row["Total"] == round(card.total, 1)
    assert row["Final (supervisor first)"] == round(final_total(card, {"empathy": 4}, app.services.catalog.rubrics["default"]), 1)
    file = s.predict("csv", "Dana", "", "", "", "en", api_name="/export")[0]
    with urllib.request.urlopen(file["url"], timeout=10) as r:  # downloaded like a browser would
        data = r.read().decode("utf-8-sig")
    assert sid in data and "Dana" in data
    with pytest.raises(AppError, match="YYYY-MM-DD"):
        s.predict("Dana", "", "yesterday", "", "en", api_name="/dashboard")


def test_files_outside_the_app_are_not_served(app: RunningApp) -> None:
    for target in [app.root / "sim.db", Path(__file__).resolve().parent.parent / "pyproject.toml"]:
        url = f"{app.url.rstrip('/')}/gradio_api/file={target}"
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(url, timeout=10)
        assert e.value.code in (403, 404)


def test_supervisor_page_disabled_without_credentials(tmp_path: Path) -> None:
    running = start_app(tmp_path, supervisor=None)
    try:
        c = client(running)
        c.predict("anyone", "anything", "ja", api_name="/supervisor_login")
        with pytest.raises(AppError, match="ログインが必要"):
            c.predict("id: x\n", "x.yaml", "ja", api_name="/validate_scenario")
    finally:
        running.close()


def test_concurrent_trainees_stay_isolated(app: RunningApp) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def play(i: int) -> tuple[str, list[str]]:
        c = client(app)
        name = f"concurrent-{i}"
        c.predict(name, "order-inquiry-en", "en", api_name="/start")
        c.predict(f"Thank you for calling, this is agent {i}. May I have your order number?", "en", api_name="/send")
        out = c.predict(f"I will check it now and call you back by 15:{10 + i:02d}.", "en", api_name="/send")
        out = c.predict("en", api_name="/end")
        return name, texts(out[CHAT])

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(play, range(8)))
    for i, (name, chat) in enumerate(results):
        assert any(f"agent {i}." in line for line in chat)
        assert not any(f"agent {j}." in line for j in range(8) if j != i for line in chat)
        stored = app.services.store.list_sessions(trainee=name)
        assert len(stored) == 1 and stored[0].total is not None and stored[0].turns >= 5


def test_serve_command_prints_url_and_serves(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    import time

    from tests.web_server import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SIMULATOR_LLM_", "SIMULATOR_SUPERVISOR_"))}
    env.pop("SIMULATOR_DATABASE_URL", None)  # the default: ./data/simulator.db under the cwd
    env.update(PYTHONUNBUFFERED="1", GRADIO_ANALYTICS_ENABLED="False")
    (tmp_path / ".env").write_text("SIMULATOR_LLM_API_KEY=secret\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--port", str(port)], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        seen = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
            if f"http://127.0.0.1:{port}" in line and "Simulator web app" in line:
                break
        assert f"Simulator web app: http://127.0.0.1:{port}" in seen, seen + proc.stderr.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=20) as r:
            assert r.status == 200
        c = Client(f"http://127.0.0.1:{port}/", verbose=False)
        out = c.predict("serve-test", "catalog-bride-en", "en", api_name="/start")
        assert len(out[CHAT]) == 1
        db = tmp_path / "data" / "simulator.db"
        assert db.exists()
        for target in ["data/simulator.db", str(db), ".env", str(tmp_path / ".env")]:
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/gradio_api/file={target}", timeout=10)
            assert e.value.code in (403, 404), target
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert "supervisor page disabled" in proc.stderr.read()


def test_upload_size_is_capped(app: RunningApp) -> None:
    import httpx
    url = f"{app.url.rstrip('/')}/gradio_api/upload"
    small = httpx.post(url, files={"files": ("ok.yaml", b"id: x\n")}, timeout=20)
    assert small.status_code == 200
    big = httpx.post(url, files={"files": ("big.yaml", b"#" * 600_000)}, timeout=20)
    assert big.status_code == 413


def test_report_export_html(app: RunningApp) -> None:
    t = client(app)
    t.predict("Report Reader", "sim-activation-en", "en", api_name="/start")
    t.predict("Good news: your application did arrive. You must have been worried.", "en", api_name="/send")
    t.predict("en", api_name="/end")
    s = login(app)
    file = s.predict("html", "Report Reader", "", "", "", "en", api_name="/export")[0]
    with urllib.request.urlopen(file["url"], timeout=10) as r:
        html = r.read().decode("utf-8")
    assert "Report Reader" in html and "<html" in html.lower()
    file, msg = s.predict("pdf", "nobody-has-this-name", "", "", "", "en", api_name="/export")
    assert file is None and "no session matches" in msg.lower()


def test_supervisor_tries_a_draft(app: RunningApp) -> None:
    s = login(app)
    draft = (app.root / "scenarios" / "morning-delivery-en.yaml").read_text(encoding="utf-8")
    chat = s.predict(draft, "morning-delivery-en.yaml", "en", api_name="/editor_try_start")[0]
    assert len(chat) == 1
    chat, err, _ = s.predict("I'm sorry, you must be worried. I'll call the carrier and update you by 12:30.",
                             "en", api_name="/editor_try_send")
    assert len(chat) == 3 and err == ""
    assert app.services.store.list_sessions(trainee=SUPERVISOR[0]) == []  # trials are not stored
    broken = draft.replace("channel: phone", "channel: pager", 1)
    chat, err = s.predict(broken, "morning-delivery-en.yaml", "en", api_name="/editor_try_start")
    assert "morning-delivery-en.yaml:" in err


def test_llm_customer_streams_into_the_chat(tmp_path: Path) -> None:
    """The OpenAI backend against the loopback fake: sentences appear as typing, then the reply;
    when the endpoint fails, the scripted line takes over with a notice the trainee can read."""
    from simulator.customers import make_backend
    from simulator.llm import LLMSettings
    from tests.fake_openai import Fault, FakeOpenAI

    with FakeOpenAI(default="はい、そうなんです。実は急いでいて…", chunk_chars=4, chunk_delay=0.05) as srv:
        settings = LLMSettings(base_url=srv.base_url, model="fake-model", timeout=5, max_retries=0)
        running = start_app(tmp_path, backend=make_backend("openai", settings))
        try:
            c = client(running)
            c.predict("LLM trainee", "catalog-bride-ja", "ja", api_name="/start")
            job = c.submit("ご心配をおかけしております。私が確認いたします。", "ja", api_name="/send")
            final = job.result(timeout=60)
            partials = [texts(o[T_CHAT])[-1] for o in job.outputs() if o and o[T_CHAT]]
            assert texts(final[T_CHAT])[-1].endswith("はい、そうなんです。実は急いでいて…")
            # sentence by sentence: the first sentence alone, marked as still typing, then the rest
            assert any(p.endswith("はい、そうなんです。 ▌") for p in partials), partials
            stored = running.services.store.list_sessions(trainee="LLM trainee")
            assert stored[0].backend == "openai" and stored[0].turns == 3

            srv.script(Fault.status(500))
            out = c.predict("16時までに発送いたします。", "ja", api_name="/send")
            assert len(out[T_CHAT]) == 5 and out[T_NOTICE]  # scripted fallback line plus a notice
        finally:
            running.close()


# ------------------------------------------------------------------ pure parts, no server


def test_render_escapes_and_highlights_evidence() -> None:
    from simulator.models import CriterionScore, Evidence, ScoreCard, Turn
    from simulator.web import render

    turns = [Turn(role="customer", text="<b>hi</b>"),
             Turn(role="trainee", text="ご心配でしたよね。<img src=x> 16時までに発送します。")]
    card = ScoreCard(scenario="s", rubric="default", judge="heuristic", total=50, criteria=[
        CriterionScore(id="empathy", score=3, evidence=[Evidence(turn=1, quote="ご心配でしたよね")]),
        CriterionScore(id="wait_time", score=2, evidence=[Evidence(turn=1, quote="16時までに発送します"),
                                                          Evidence(turn=1, quote="心配")])])  # overlap: dropped
    html = render.transcript_html(turns, card, None, "ja")
    assert "<b>" not in html and "<img" not in html and "&lt;img src=x&gt;" in html
    assert html.count("<mark") == 2
    assert "<mark class='sim-evidence' title='empathy'>ご心配でしたよね</mark>" in html
    assert render.safe("a\x00b\x1bc\n") == "abc\n"
    assert render.short_title("共感（手続きより先に気持ち）") == "共感"
    assert render.short_title("Clear wait times (promises)") == "Clear wait times"
    msgs = render.chat_messages([render.ChatLine(role="customer", text="<script>x</script>", at="15:52:00")])
    assert msgs == [{"role": "assistant", "content": "[15:52] &lt;script&gt;x&lt;/script&gt;"}]


def test_supervisor_auth_tokens() -> None:
    from simulator.web.auth import Auth, NotAuthorised, SupervisorCredentials

    auth = Auth(SupervisorCredentials(user="coach", password="pw"))
    assert auth.login("coach", "nope") is None and auth.login("other", "pw") is None
    token = auth.login(" coach ", "pw")
    assert token and auth.require(token) == "coach"
    with pytest.raises(NotAuthorised):
        auth.require("forged-token")
    auth.logout(token)
    with pytest.raises(NotAuthorised):
        auth.require(token)
    disabled = Auth(None)
    assert not disabled.enabled and disabled.login("", "") is None


def test_credentials_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.web.auth import ConfigError, SupervisorCredentials

    monkeypatch.delenv("SIMULATOR_SUPERVISOR_USER", raising=False)
    monkeypatch.delenv("SIMULATOR_SUPERVISOR_PASSWORD", raising=False)
    assert SupervisorCredentials.from_env() is None  # neither set: no bootstrap supervisor
    monkeypatch.setenv("SIMULATOR_SUPERVISOR_PASSWORD", "a long passphrase")
    with pytest.raises(ConfigError, match="SIMULATOR_SUPERVISOR_USER is blank"):
        SupervisorCredentials.from_env()
    monkeypatch.setenv("SIMULATOR_SUPERVISOR_USER", "coach")
    assert SupervisorCredentials.from_env() == SupervisorCredentials(user="coach", password="a long passphrase")
    for weak, why in (("   ", "is blank"), ("", "is blank"), ("short-pw", "8 characters long; use at least 12")):
        monkeypatch.setenv("SIMULATOR_SUPERVISOR_PASSWORD", weak)
        with pytest.raises(ConfigError, match=why):
            SupervisorCredentials.from_env()


def test_every_ui_string_has_both_languages() -> None:
    from simulator.web.i18n import STRINGS, t

    for key, (ja, en) in STRINGS.items():
        assert ja.strip() and en.strip(), key
        assert ja.count("{") == en.count("{"), key  # same placeholders
    assert t("err_too_long", "en", n=5, max=4).startswith("The message is too long (5")


def test_a_turn_streams_few_outputs_and_its_follow_up_never_rewrites_the_conversation(app: RunningApp) -> None:
    """Send streams 4 plain outputs; the page's one follow-up per turn sends the rest but never
    the state, the chat or the clock, so a late follow-up cannot roll a newer turn back."""
    import json

    with urllib.request.urlopen(app.url + "config", timeout=10) as r:
        config = json.loads(r.read())
    by_elem = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    deps = {d["id"]: d for d in config["dependencies"]}
    send = next(d for d in deps.values() if d.get("api_name") == "send")
    assert [by_elem[o] for o in send["outputs"]][1:] == ["sim-clock", "sim-notice", "sim-chat"]
    follow = [d for d in deps.values() if d.get("trigger_after") == send["id"]]
    assert len(follow) == 1
    ids = {by_elem[o] for o in follow[0]["outputs"]}
    assert {"sim-chat", "sim-clock", "sim-notice", "sim-brief"}.isdisjoint(ids) and "sim-card" in ids
    assert len(follow[0]["outputs"]) < 17 and send["outputs"][0] not in follow[0]["outputs"]  # not the state
