"""The malformed-file corpus: each broken file gets its exact FILE:LINE:COL message.

Most cases are one edit of a small valid scenario (tests/data/valid/mini-ja.yaml), so each
case reads as "what the supervisor got wrong" and the expected line is easy to check by eye.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.loading import Catalog, LoadError, load_any, load_rubric, load_scenario, schema_of

DATA = Path(__file__).parent / "data"
MINI = (DATA / "valid" / "mini-ja.yaml").read_text(encoding="utf-8")
REPO = Path(__file__).resolve().parent.parent

RUBRIC = """\
# yaml-language-server: $schema=../schemas/rubric.schema.json
id: tiny
title: {ja: 小さな基準, en: Tiny rubric}
criteria:
  - id: thanks
    title: {ja: 感謝, en: Thanks}
    weight: 1
    description: {ja: お礼を言う, en: Says thank you}
    levels:
      - {score: 0, descriptor: {ja: なし, en: none}}
      - {score: 1, descriptor: {ja: 少し, en: a little}}
      - {score: 2, descriptor: {ja: 普通, en: fine}}
      - {score: 3, descriptor: {ja: 良い, en: good}}
      - {score: 4, descriptor: {ja: 優秀, en: excellent}}
    judge_guidance: Quote the thanks.
    heuristic:
      analyzer: signals
      rules:
        - signals: {intent: [thanks]}
          points: 1
"""


def edit(old: str, new: str, base: str = MINI) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


# (case id, file name, text, expected problem lines with FILE replaced by the path)
CASES: list[tuple[str, str, str | bytes, list[str]]] = [
    ("yaml-syntax", "s.yaml", edit("traits: [never_hangs_up_first]", "traits: [never_hangs_up_first"),
     ["FILE:17:8: YAML syntax error: expected ',' or ']', but got ':' (while parsing a flow sequence opened at line 16)"]),
    ("bad-indent", "s.yaml", edit("  name: 山田花子", " name: 山田花子"),
     ["FILE:13:13: YAML syntax error: mapping values are not allowed here"]),
    ("tab-indent", "s.yaml", edit("  name: 山田花子", "\tname: 山田花子"),
     ["FILE:12:1: YAML syntax error: found character '\\t' that cannot start any token"]),
    ("unknown-top-key", "s.yaml", edit("difficulty: easy", "difficulty: easy\ndificulty: hard"),
     ["FILE:7:1: unknown key 'dificulty'; did you mean 'difficulty'?"]),
    ("misspelt-nested-key", "s.yaml", edit("speaking_style:", "speaking_stile:"),
     ["FILE:14:3: unknown key 'speaking_stile'; did you mean 'speaking_style'?"]),
    ("unknown-key-no-hint", "s.yaml", edit("  temperament: hesitant", "  temperament: hesitant\n  favourite_colour: blue"),
     ["FILE:16:3: unknown key 'favourite_colour'"]),
    ("missing-required", "s.yaml", edit("title: 届かないカタログ（テスト用）\n", ""),
     ["FILE:2:1: missing required key 'title'"]),
    ("missing-nested-required", "s.yaml", edit("    description: 春の結婚式の引き菓子選びに急ぎで必要。\n", ""),
     ["FILE:25:5: missing required key 'description' in hidden_needs.0"]),
    ("wrong-type-list", "s.yaml", edit("opening:\n  - あの…カタログの件で…", "opening: 42"),
     ["FILE:17:1: opening: Input should be a valid list"]),
    ("wrong-type-number", "s.yaml", edit("seconds_per_turn: 30", "seconds_per_turn: thirty"),
     ["FILE:48:3: clock.seconds_per_turn: Input should be a valid integer, unable to parse string as an integer"]),
    ("bad-enum", "s.yaml", edit("channel: phone", "channel: fax"),
     ["FILE:5:1: channel: Input should be 'phone', 'chat' or 'email'"]),
    ("bad-language", "s.yaml", edit("language: ja", "language: fr"),
     ["FILE:3:1: language: Input should be 'ja' or 'en'"]),
    ("bad-id", "s.yaml", edit("id: mini-ja", "id: Mini JA"),
     ["FILE:2:1: id: String should match pattern '^[a-z0-9][a-z0-9_-]*$'"]),
    ("bad-clock-start", "s.yaml", edit('start: "15:52"', 'start: "25:52"'),
     ["FILE:47:3: clock.start: '25:52' is not a clock time; write HH:MM or HH:MM:SS (00:00-23:59)"]),
    ("bad-event-time", "s.yaml", edit('      at: "16:00"', '      at: "4pm"'),
     ["FILE:51:7: clock.events.0.at: '4pm' is not a clock time; write HH:MM or HH:MM:SS (00:00-23:59)"]),
    ("event-before-start", "s.yaml", edit('      at: "16:00"', '      at: "09:00"'),
     ["FILE:51:7: event 'same-day-cutoff' at 09:00 is before the clock starts (15:52)"]),
    ("mood-out-of-range", "s.yaml", edit("initial: -0.2", "initial: -3"),
     ["FILE:39:3: mood.initial: Input should be greater than or equal to -1"]),
    ("mood-wrong-sign", "s.yaml", edit("delta: -0.3", "delta: 0.3"),
     ["FILE:38:1: mood: lowers: delta for 'vague_wait' must be negative"]),
    ("unknown-intent-in-reveal", "s.yaml", edit("- intent: [asks_occasion, asks_deadline]", "- intent: [asks_ocasion]"),
     ["FILE:30:18: unknown intent 'asks_ocasion'; did you mean 'asks_occasion'?"]),
    ("reveal-names-unknown-need", "s.yaml",
     edit("- intent: [asks_occasion, asks_deadline]", "- revealed: [wedding-dedline]"),
     ["FILE:30:20: unknown hidden need 'wedding-dedline'; did you mean 'wedding-deadline'?"]),
    ("empty-condition", "s.yaml", edit("- intent: [asks_occasion, asks_deadline]", "- intent: []"),
     ["FILE:30:9: hidden_needs.0.reveal_when.0: a condition needs at least one of intent, keywords, "
      "mood_at_least, min_turn, revealed, before, after"]),
    ("unknown-mood-intent", "s.yaml", edit("intent: acknowledges_feeling", "intent: acknowledge_feeling"),
     ["FILE:41:7: unknown intent 'acknowledge_feeling'; did you mean 'acknowledges_feeling'?"]),
    ("bad-regex", "s.yaml", edit("replies:", "patterns:\n  asks_occasion: ['(大切な']\nreplies:"),
     ["FILE:56:19: pattern '(大切な' for intent 'asks_occasion' is not a valid regular expression: "
      "missing ), unterminated subpattern at position 0"]),
    ("pattern-matches-everything", "s.yaml", edit("replies:", "patterns:\n  asks_occasion: ['a*']\nreplies:"),
     ["FILE:56:19: pattern 'a*' for intent 'asks_occasion' matches the empty string (it would match every message)"]),
    ("no-hidden-needs", "s.yaml", MINI[: MINI.index("hidden_needs:")] + "hidden_needs: []\n" + MINI[MINI.index("mood:"):],
     ["FILE:24:1: hidden_needs: List should have at least 1 item after validation, not 0"]),
    ("duplicate-key", "s.yaml", edit("difficulty: easy", "difficulty: easy\ndifficulty: hard"),
     ["FILE:7:1: duplicate key 'difficulty'"]),
    ("python-tag", "s.yaml", edit("title: 届かないカタログ（テスト用）", "title: !!python/object/apply:os.system ['ls']"),
     ["FILE:4:8: tag '!!python/object/apply:os.system' is not allowed; only plain YAML values are"]),
    ("custom-tag", "s.yaml", edit("difficulty: easy", "difficulty: !hard easy"),
     ["FILE:6:13: tag '!hard' is not allowed; only plain YAML values are"]),
    ("empty-file", "s.yaml", "", ["FILE:1:1: file is empty"]),
    ("comments-only", "s.yaml", "# just a comment\n\n", ["FILE:1:1: file is empty"]),
    ("not-a-mapping", "s.yaml", "- a\n- b\n",
     ["FILE:1:1: the file must be a mapping of keys (e.g. 'id: ...') at the top level"]),
    ("non-utf8", "s.yaml", MINI.encode("utf-8")[:40] + b"\x82\xa0" + b"\n",
     ["FILE:1:41: file is not valid UTF-8 (byte 0x82); save it as UTF-8"]),
    ("shift-jis", "s.yaml", "id: テスト\n".encode("shift_jis"),
     ["FILE:1:5: file is not valid UTF-8 (byte 0x83); save it as UTF-8"]),
    ("huge-file", "s.yaml", "id: x\n" + "# padding\n" * 60_000, ["FILE:1:1: file is larger than the 512 KiB limit"]),
    ("example-band", "s.yaml", edit("replies:", "examples:\n  - id: weak\n    label: weak\n    turns:\n"
                                    "      - {role: customer, text: あの…}\n      - {role: trainee, text: 少々お待ちください。}\n"
                                    "    expected: {empathy: [3, 1]}\nreplies:"),
     ["FILE:61:5: examples.0.expected: band for 'empathy' must be [min, max] with 0 <= min <= max <= 4"]),
    ("rubric-criterion-without-levels", "rubrics/r.yaml", RUBRIC.replace(RUBRIC[RUBRIC.index("    levels:"):RUBRIC.index("    judge_guidance")], ""),
     ["FILE:5:5: missing required key 'levels' in criteria.0"]),
    ("rubric-level-missing-score", "rubrics/r.yaml", RUBRIC.replace("      - {score: 3, descriptor: {ja: 良い, en: good}}\n", "      - {score: 2, descriptor: {ja: 良い, en: good}}\n"),
     ["FILE:9:5: criteria.0.levels: levels must give exactly one descriptor for each score 0, 1, 2, 3, 4"]),
    ("rubric-unknown-signal-intent", "rubrics/r.yaml", RUBRIC.replace("intent: [thanks]", "intent: [thank_you]"),
     ["FILE:19:30: unknown intent 'thank_you'; did you mean 'thanks'?"]),
    ("rubric-signals-without-rules", "rubrics/r.yaml", RUBRIC[: RUBRIC.index("      rules:")],
     ["FILE:5:5: criteria.0: criterion 'thanks': analyzer 'signals' needs at least one heuristic rule"]),
]


@pytest.mark.parametrize("case,name,text,expected", CASES, ids=[c[0] for c in CASES])
def test_malformed_file_gets_its_exact_message(tmp_path, case, name, text, expected):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    with pytest.raises(LoadError) as err:
        load_any(str(path))
    assert [str(p) for p in err.value.problems] == [e.replace("FILE", str(path)) for e in expected]


def test_corpus_is_large_enough():
    assert len(CASES) >= 25


def test_alias_bomb_is_refused_fast(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{cur}: &{cur} [" + ",".join(f"*{prev}" for _ in range(9)) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    with pytest.raises(LoadError) as err:
        load_any(str(path))
    assert time.perf_counter() - started < 1.0
    assert str(err.value) == f"{path}:5:4: aliases expand to more than 50,000 values (alias bomb?)"


def test_a_few_aliases_are_fine(tmp_path):
    text = edit("opening:\n  - あの…カタログの件で…", "opening: &open\n  - あの…カタログの件で…")
    text = edit("  filler: [はい…]", "  filler: *open", base=text)
    path = tmp_path / "ok.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_scenario(path).replies.filler == ["あの…カタログの件で…"]


def test_duplicate_ids_across_files(tmp_path):
    (tmp_path / "a.yaml").write_text(MINI, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(MINI, encoding="utf-8")
    cat = Catalog.load([tmp_path])
    assert list(cat.scenarios) == ["mini-ja"]
    assert [str(p) for p in cat.problems] == [
        f"{tmp_path / 'b.yaml'}:2:1: duplicate scenario id 'mini-ja' (also in {tmp_path / 'a.yaml'})"]


def test_validate_command_output_and_status(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(MINI, encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(edit("channel: phone", "channel: fax"), encoding="utf-8")
    assert main(["validate", str(good)]) == 0
    out = capsys.readouterr().out
    assert f"{good}: ok: scenario 'mini-ja' (ja, phone, easy)" in out
    assert main(["validate", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}:5:1: channel: Input should be 'phone', 'chat' or 'email'" in out
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 1
    assert "no such file or folder" in capsys.readouterr().out


def test_rubric_loads_and_is_strict(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RUBRIC, encoding="utf-8")
    rubric = load_rubric(path)
    assert [lv.score for lv in rubric.criteria[0].levels] == [0, 1, 2, 3, 4]


def test_published_schemas_are_current():
    for kind in ("scenario", "rubric"):
        shipped = json.loads((REPO / "schemas" / f"{kind}.schema.json").read_text())
        assert shipped == schema_of(kind), f"regenerate: simulator schema {kind} > schemas/{kind}.schema.json"


def test_schema_command_prints_json(capsys):
    assert main(["schema", "scenario"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["additionalProperties"] is False
    assert "hidden_needs" in schema["required"]


def test_folded_text_joins_japanese_without_spaces_and_leaves_no_markers(tmp_path):
    text = edit("  background: 長野県在住。カタログを請求した。",
                "  background: >-\n    長野県在住。\n    カタログを請求した。\n    Likes skiing\n    a lot.")
    path = tmp_path / "fold.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_scenario(path).persona.background == "長野県在住。カタログを請求した。 Likes skiing a lot."
