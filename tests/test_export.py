"""Exports against a real SQLite store: golden CSV/JSON/HTML (deterministic clock and ids),
OWASP formula-injection vectors, the PDF's embedded font and image, and `simulator export`.

Regenerate the golden files after an intended change: UPDATE_GOLDEN=1 pytest tests/test_export.py
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from test_store import Clock

from simulator.cli import main
from simulator.export import csv_rows, defuse, to_csv, to_json
from simulator.loading import default_catalog
from simulator.scoring.card import final_total, total
from simulator.models import CriterionScore, CustomerState, Evidence, ScoreCard, Turn
from simulator.report import Titles, build, to_html, to_pdf
from simulator.store import SessionFilter, Store

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).resolve().parents[1]
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
IDS = [f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 5)]
# OWASP CSV-injection payloads (plus the full-width forms a Japanese IME types).
VECTORS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "＝1+1", "＋1", "－1", "＠SUM(1)"]
TITLES = Titles(scenarios={"catalog-bride-ja": "届かなかったカタログ"},
                criteria={"empathy": {"ja": "共感", "en": "Empathy"},
                          "unspoken_needs": {"ja": "潜在ニーズ", "en": "Unspoken needs"},
                          "wait_time": {"ja": "待ち時間の明示", "en": "Clear wait times"}},
                rubrics={"default": default_catalog().rubric("default")})


def _card(scenario: str, total: float, levels: tuple[int, int, int], quotes: dict[str, tuple[int, str]],
          flags: list[str] | None = None, feedback: str = "") -> ScoreCard:
    crit = []
    for cid, lv in zip(("empathy", "unspoken_needs", "wait_time"), levels):
        ev = [Evidence(turn=quotes[cid][0], quote=quotes[cid][1])] if cid in quotes else []
        crit.append(CriterionScore(id=cid, score=lv, evidence=ev, feedback=feedback or f"{cid} feedback"))
    return ScoreCard(scenario=scenario, rubric="default", judge="heuristic", total=total, criteria=crit,
                     flags=flags or [])


def fill(store: Store) -> None:
    """Three trainees, four sessions: a good attempt and a retry, a hostile one, an open one."""
    st = CustomerState(clock="15:52:00")
    a = store.start_session("山田 花子", "catalog-bride-ja", "scripted", st, session_id=IDS[0])
    for role, text, at in [("customer", "あの…カタログの件は、もう手配済みでしょうか。", "15:52:00"),
                           ("trainee", "ご心配だったことと思います。私の手違いで発送が遅れ、申し訳ございません。", "15:52:30"),
                           ("customer", "……はい。", "15:53:00"),
                           ("trainee", "大切な日のご準備でしょうか。本日16時までに発送いたします。", "15:53:30")]:
        store.add_turn(a, Turn(role=role, text=text, at=at), st)
    store.save_score(a, _card("catalog-bride-ja", 83.3, (4, 3, 4), {
        "empathy": (1, "ご心配だったことと思います"), "unspoken_needs": (3, "大切な日のご準備でしょうか"),
        "wait_time": (3, "本日16時までに発送いたします")}))
    store.add_override(a, "unspoken_needs", 4, "用途まで確認できている", "鈴木 主任")
    store.end_session(a, CustomerState(clock="15:54:00", ended=True, ended_by="trainee", mood=0.6))

    b = store.start_session(VECTORS[0], "sim-activation-en", "openai", CustomerState(), session_id=IDS[1])
    for i, v in enumerate(VECTORS):
        store.add_turn(b, Turn(role="trainee" if i % 2 else "customer", text=f"{v} <script>alert('x')</script>",
                               at="10:00:00"), CustomerState())
    store.save_score(b, _card("sim-activation-en", 12.5, (0, 1, 0), {"empathy": (1, VECTORS[1])},
                              flags=["judge-manipulation-attempt"], feedback="=1+1 \"quoted\", comma"))
    store.add_override(b, "empathy", 1, "-bad tone", "@boss")

    c = store.start_session("山田 花子", "catalog-bride-ja", "scripted", st, session_id=IDS[2])
    store.add_turn(c, Turn(role="customer", text="あの…", at="15:52:00"), st)
    store.save_score(c, _card("catalog-bride-ja", 41.7, (2, 1, 2), {}))

    d = store.start_session("b", "apple-email-ja", "scripted", CustomerState(), session_id=IDS[3])
    store.add_turn(d, Turn(role="customer", text="りんご追加してください", source="scripted"), CustomerState())


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'sim.db'}", now=Clock())
    fill(s)
    return s


def golden(name: str, actual: str | bytes) -> None:
    path = GOLDEN / name
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    if UPDATE or not path.exists():
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} differs from the golden file (UPDATE_GOLDEN=1 to accept)"


def _no_png(html: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,PNG", html)


RUBRICS = default_catalog().rubrics


def test_csv_golden(store: Store) -> None:
    golden("export.csv", to_csv(store.sessions(turns=False), RUBRICS))


# CustomerState grows as the engine does; the golden file pins the contract's state fields only.
STATE_KEYS = ("revealed_needs", "mood", "clock", "ended", "ended_by")


def test_json_golden(store: Store) -> None:
    doc = json.loads(to_json(store.sessions(), SessionFilter()))
    for s in doc["sessions"]:
        s["state"] = {k: s["state"][k] for k in STATE_KEYS}
    golden("export.json", json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def test_html_golden_for_a_session_and_a_trainee(store: Store) -> None:
    one = store.sessions(SessionFilter(session=IDS[0]))
    history = store.sessions(SessionFilter(trainee="山田 花子"), turns=False)
    golden("session_report.html", _no_png(to_html(build(one, history, TITLES))))
    golden("trainee_report.html", _no_png(to_html(build(store.sessions(SessionFilter(trainee="山田 花子")),
                                                        titles=TITLES))))


def test_csv_is_bom_utf8_quoted_and_defused(store: Store) -> None:
    text = to_csv(store.sessions(turns=False), RUBRICS)
    assert text.startswith("\ufeff\"session_id\",")
    rows = list(csv.reader(io.StringIO(text[1:])))
    head, body = rows[0], rows[1:]
    assert len(body) == 4 and all(len(r) == len(head) for r in body)
    dangerous = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
    for r in body:
        for cell in r:
            assert not cell.startswith(dangerous), cell
    hostile = dict(zip(head, body[1]))
    assert hostile["trainee"] == "'" + VECTORS[0]
    assert hostile["supervisors"] == "'@boss" and hostile["empathy_supervisor"] == "1"
    assert hostile["flags"] == "judge-manipulation-attempt"
    good = dict(zip(head, body[0]))
    assert (good["total"], good["empathy_ai"], good["unspoken_needs_supervisor"], good["turns"]) == (
        "83.3", "4", "4", "4")
    assert good["started_at_utc"] == "2026-04-01 09:01:00" and good["ended_at_utc"] != ""
    assert all(line.startswith('"') for line in text[1:].split("\r\n") if line)  # QUOTE_ALL


@pytest.mark.parametrize("value", VECTORS + ["\t=1+1", "\r=1+1"])
def test_defuse_every_owasp_vector(value: str) -> None:
    assert defuse(value) == "'" + value
    assert defuse("safe =1") == "safe =1" and defuse(3) == "3" and defuse(None) == ""


def test_hostile_turn_text_is_escaped_in_html_and_verbatim_in_json(store: Store) -> None:
    s = store.sessions(SessionFilter(session=IDS[1]))
    html = to_html(build(s, titles=TITLES))
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<mark" in html  # the evidence quote VECTORS[1] is highlighted in turn 1
    doc = json.loads(to_json(s))
    assert [t["text"].split(" <")[0] for t in doc["sessions"][0]["turns"]] == VECTORS


def test_pdf_embeds_font_and_chart(store: Store) -> None:
    pdf = to_pdf(build(store.sessions(SessionFilter(trainee="山田 花子")), titles=TITLES))
    assert pdf.startswith(b"%PDF-")
    assert b"/FontFile2" in pdf and re.search(rb"/BaseFont /[A-Z]{6}\+IPAexGothic", pdf)
    assert pdf.count(b"/Subtype /Image") >= 3  # the trend and one criteria chart per session
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 2
    streams = [zlib.decompress(m) for m in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
               if m[:1] == b"x"]
    assert any(b"Tj" in s or b"TJ" in s for s in streams)  # text drawn on the page
    assert to_pdf(build(store.sessions(SessionFilter(trainee="山田 花子")), titles=TITLES)) == pdf  # reproducible


def test_filters(store: Store) -> None:
    assert [s.id for s in store.sessions(SessionFilter(trainee="山田 花子"))] == [IDS[0], IDS[2]]
    assert [s.id for s in store.sessions(SessionFilter(scenario="apple-email-ja"))] == [IDS[3]]
    assert store.sessions(SessionFilter(since="2026-04-02")) == []
    assert len(store.sessions(SessionFilter(since="2026-04-01", until="2026-04-01"))) == 4


# --------------------------------------------------------------------------- the command


@pytest.fixture
def db_env(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("SIMULATOR_DATABASE_URL", store.url)
    return store


def test_cmd_export_csv_and_json_to_stdout(db_env: Store, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["export", "--format", "csv", "--trainee", "山田 花子"]) == 0
    out = capsysbinary.readouterr().out.decode("utf-8")
    assert out.startswith("\ufeff") and out.count("\r\n") == 3 and IDS[2] in out
    assert main(["export", "--format", "json", "--since", "2026-04-01", "--until", "2026-04-01",
                 "--scenario", "apple-email-ja"]) == 0
    doc = json.loads(capsysbinary.readouterr().out)
    assert [s["id"] for s in doc["sessions"]] == [IDS[3]] and doc["filters"]["scenario"] == "apple-email-ja"


@pytest.mark.parametrize("argv, message", [
    (["--format", "csv", "--since", "2026-13-01"], "--since '2026-13-01' is not a date; write YYYY-MM-DD"),
    (["--format", "csv", "--until", "yesterday"], "--until 'yesterday' is not a date"),
    (["--format", "csv", "--since", "2026-04-02", "--until", "2026-04-01"], "--since 2026-04-02 is after --until"),
    (["--format", "html"], "--format html writes a file: add -o"),
    (["--format", "pdf", "-o", "x.pdf", "--session", "nope"], "no stored session matches session=nope"),
    (["--format", "csv", "-o", "/nonexistent-dir/x.csv"], "-o /nonexistent-dir/x.csv: cannot write the file"),
])
def test_cmd_export_bad_input(db_env: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("simulator export: ") and message in err


def test_cmd_export_reports_to_files(db_env: Store, tmp_path: Path) -> None:
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    assert main(["export", "--format", "html", "--session", IDS[0], "-o", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "鈴木 主任" in page and page.count("<img") == 2
    assert main(["export", "--format", "pdf", "--trainee", "山田 花子", "-o", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_console_command_writes_utf8_csv_to_stdout(db_env: Store) -> None:
    env = {**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": "ascii"}  # a hostile console encoding
    r = subprocess.run([sys.executable, "-m", "simulator", "export", "--format", "csv"], capture_output=True,
                       env=env, cwd=REPO, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.startswith("\ufeff".encode()) and "山田 花子".encode() in r.stdout


def test_json_export_imports_into_another_store(store: Store, tmp_path: Path) -> None:
    sessions = store.sessions()
    other = Store(f"sqlite:///{tmp_path / 'copy.db'}")
    assert other.import_sessions(sessions) == 4
    assert to_json(other.sessions()) == to_json(sessions)
    assert other.add_turn(IDS[3], Turn(role="trainee", text="ありがとうございます"), CustomerState()) == 1


def test_reports_show_times_in_the_configured_zone(db_env: Store, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    html = tmp_path / "r.html"
    assert main(["export", "--format", "html", "--session", IDS[0], "-o", str(html)]) == 0
    utc_page = html.read_text(encoding="utf-8")
    monkeypatch.setenv("SIMULATOR_TIMEZONE", "Asia/Tokyo")
    assert main(["export", "--format", "html", "--session", IDS[0], "-o", str(html)]) == 0
    jst_page = html.read_text(encoding="utf-8")
    assert "開始 (UTC)" in utc_page and "開始 (Asia/Tokyo)" in jst_page
    started = db_env.sessions(SessionFilter(session=IDS[0]))[0].started_at
    from zoneinfo import ZoneInfo
    assert started.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M") in jst_page
    monkeypatch.setenv("SIMULATOR_TIMEZONE", "Mars/Olympus")
    assert main(["export", "--format", "html", "--session", IDS[0], "-o", str(html)]) == 1
    assert "SIMULATOR_TIMEZONE: unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


def test_final_total_puts_the_supervisors_levels_in_the_weighted_total() -> None:
    rubric = RUBRICS["default"]
    card = _card("catalog-bride-ja", total(rubric, {"empathy": 2, "unspoken_needs": 1, "wait_time": 2}), (2, 1, 2), {})
    assert final_total(card, {}, rubric) == card.total  # nothing overridden: the AI's total
    assert final_total(card, {"unknown_criterion": 4}, rubric) == card.total  # not on the card: no part of it
    assert final_total(card, {"unspoken_needs": 4}, rubric) == total(rubric, {"empathy": 2, "unspoken_needs": 4,
                                                                              "wait_time": 2}) > card.total
    assert final_total(card, {"unspoken_needs": 4}, None) is None  # rubric not in the catalog: cannot weigh
    assert final_total(card, {"unspoken_needs": 4}, RUBRICS["extended"]) is None  # another rubric's weights


def test_csv_leaves_total_final_empty_when_the_rubric_is_unknown(store: Store) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(store.sessions(turns=False), {})[1:])))
    by_id = {r["session_id"]: r for r in rows}
    assert by_id[IDS[0]]["total_final"] == ""  # a supervisor changed a level; no weights to apply
    assert by_id[IDS[2]]["total_final"] == by_id[IDS[2]]["total"]  # nothing overridden: the AI's total


def test_scorer_is_named_and_feedback_is_two_lists_in_csv_and_reports(tmp_path: Path) -> None:
    s = Store(f"sqlite:///{tmp_path / 'sim.db'}", now=Clock())
    sid = s.start_session("Dana", "sim-activation-en", "openai", CustomerState())
    s.add_turn(sid, Turn(role="trainee", text="You must have been worried.", at="10:00:00"), CustomerState())
    card = _card("sim-activation-en", 50.0, (3, 2, 1), {"empathy": (0, "You must have been worried.")})
    card.judge, card.judge_model = "llm", "qwen2.5-7b"
    card.criteria[0].went_well = ["\"You must have been worried.\" — you named the feeling."]
    card.criteria[0].try_next = ["Ask about the delivery day.", "For example: \"Will you be home?\""]
    s.save_score(sid, card)
    header, rows = csv_rows(s.sessions(), RUBRICS)
    row = dict(zip(header, rows[0]))
    assert header[:21] == next(csv.reader(io.StringIO((GOLDEN / "export.csv").read_text("utf-8-sig"))))[:21]
    assert row["scorer"] == "LLM judge (qwen2.5-7b)" and row["judge_model"] == "qwen2.5-7b"
    assert row["empathy_ai"] == "3"  # the old column stays where spreadsheets expect it
    html = to_html(build(s.sessions(), titles=TITLES))
    assert "<th>LLM judge (qwen2.5-7b)</th>" in html and ">AI<" not in html
    assert "<b>What went well</b><ul><li>&quot;You must have been worried.&quot; — you named the feeling.</li></ul>" in html
    assert "<b>What to try next</b><ul><li>Ask about the delivery day.</li><li>For example:" in html
    assert "unspoken_needs feedback" in html  # a criterion without lists keeps its paragraph
    section = build(s.sessions(), titles=TITLES).trainees[0].sessions[0]
    assert section.scorer == "LLM judge (qwen2.5-7b)"
    assert to_pdf(build(s.sessions(), titles=TITLES)).startswith(b"%PDF-")
    s.close()
