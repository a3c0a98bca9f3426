"""The reader: sentences, acts, intents, what a time means, scenario intents taught by example,
and `simulator explain`. Behaviour on sentences written for these tests (not from the corpus)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.language.corpus import ACTS, load_corpus, split_of
from simulator.language.examples import ScenarioIntents
from simulator.language.reader import Reader, generic_reader
from simulator.language.sentences import split_sentences
from simulator.language.vocabulary import BUILTIN_INTENTS

REPO = Path(__file__).resolve().parents[1]


def read(text: str, lang: str):
    return generic_reader(lang).read(text)


# ----------------------------------------------------------------------------- sentences

@pytest.mark.parametrize("text,lang,want", [
    ("お電話ありがとうございます。ご心配でしたよね！明日までにご連絡します", "ja",
     ["お電話ありがとうございます。", "ご心配でしたよね！", "明日までにご連絡します"]),
    ("「はい」と言いました。次は", "ja", ["「はい」と言いました。", "次は"]),
    ("Hi Dr. Smith. I'll call you at 3 p.m. tomorrow! ok?\nThanks", "en",
     ["Hi Dr. Smith.", "I'll call you at 3 p.m. tomorrow!", "ok?", "Thanks"]),
    ("   ", "en", []),
])
def test_sentences_are_exact_spans(text: str, lang: str, want: list[str]) -> None:
    got = [text[s.start:s.end] for s in split_sentences(text, lang)]
    assert got == want


# ------------------------------------------------------------------------------ corpus

@pytest.mark.parametrize("lang", ["ja", "en"])
def test_corpus_covers_every_builtin_intent_and_act(lang: str) -> None:
    corpus = load_corpus(lang)
    for intent in BUILTIN_INTENTS:
        positives = [ex for ex in corpus if intent in ex.intents]
        assert len(positives) >= 40, f"{lang} {intent}: {len(positives)} examples"
        assert any(intent in ex.against for ex in corpus), f"{lang} {intent}: no hard negative"
    assert {ex.act for ex in corpus} == set(ACTS)
    splits = {split_of(lang, ex.text) for ex in corpus}
    assert splits == {"train", "dev", "test"}


def test_split_is_fixed_by_the_text() -> None:
    assert split_of("ja", "少々お待ちください。") == split_of("ja", "少々お待ちください。")
    assert {split_of("en", f"sentence {i}") for i in range(50)} == {"train", "dev", "test"}


# ----------------------------------------------------------- acts decide what a time means

@pytest.mark.parametrize("text,lang", [
    ("I'll ring you back by half past four with an answer.", "en"),
    ("本日17時までに、私から折り返しお電話いたします。", "ja"),
])
def test_a_time_in_a_commitment_is_a_promise(text: str, lang: str) -> None:
    r = read(text, lang)
    assert r.sentences[0].act == "commitment"
    assert "promises_concrete_time" in r.intent_ids
    assert r.promised_times


@pytest.mark.parametrize("text,lang", [
    ("Our branch opens at 9:30 on weekdays.", "en"),
    ("Would 2 pm on Thursday work for you?", "en"),
    ("サポート窓口は平日10時から18時までとなっております。", "ja"),
    ("15時以降でしたらご在宅でしょうか。", "ja"),
])
def test_a_time_in_a_rule_or_a_question_is_no_promise(text: str, lang: str) -> None:
    r = read(text, lang)
    assert r.times, "the time expression is still heard"
    assert "promises_concrete_time" not in r.intent_ids
    assert not r.promised_times


def test_each_sentence_is_read_on_its_own() -> None:
    text = "I'm so sorry you've been left waiting all week. Could you tell me when you need it by? I'll call you by 3 pm."
    r = read(text, "en")
    acts = [s.act for s in r.sentences]
    assert acts[1] == "question" and acts[2] == "commitment"
    assert r.sentences[1].has("asks_deadline")
    assert r.sentences[2].has("promises_concrete_time")
    assert not r.sentences[1].has("promises_concrete_time")
    for s in r.sentences:
        assert text[s.start:s.end] == s.text


# ---------------------------------------------------------------- scenario intents by example

def test_a_scenario_intent_taught_by_examples_hears_paraphrases() -> None:
    intents = ScenarioIntents("en", {"asks_about_pet": [
        "Do you have a dog or a cat at home?", "Is there a pet in the house?", "Any animals living with you?",
        "Does your pet need anything special?"]}, {})
    reader = Reader("en", intents)
    assert "asks_about_pet" in reader.read("Do you have any pets at home?").intent_ids
    assert "asks_about_pet" not in reader.read("I'll send the refund by Friday.").intent_ids


def test_scenario_patterns_stay_an_exact_channel() -> None:
    reader = Reader("ja", ScenarioIntents("ja", {}, {"congratulates": ["おめでとう"]}))
    r = reader.read("ご結婚おめでとうございます。")
    hit = next(h for h in r.sentences[0].intents if h.id == "congratulates")
    assert hit.source == "pattern" and hit.confidence == 1.0


# ------------------------------------------------------------------------------- explain

def _explain(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulator", "explain", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=120)


def test_explain_prints_one_json_line_per_text_in_the_contract_shape() -> None:
    texts = ["I'll call you back by 3 pm.", "窓口は9時からとなっております。"]
    out = _explain(*texts)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["text"] for x in lines] == texts
    assert [x["lang"] for x in lines] == ["en", "ja"]
    first = lines[0]
    assert set(first) >= {"text", "lang", "sentences", "intents", "times"}
    s = first["sentences"][0]
    assert s["act"] == "commitment" and first["text"][s["start"]:s["end"]] == s["text"]
    for i in first["intents"]:
        assert first["text"][i["start"]:i["end"]] == i["quote"]
        assert 0 <= i["confidence"] <= 1
    assert any(i["id"] == "promises_concrete_time" for i in first["intents"])
    assert all(x["because"] for x in s["intents"])
    assert first["times"] == [{"text": "by 3 pm", "concrete": True, "due": "15:00:00", "kind": "clock",
                               "start": 19, "end": 26, "promise": True}]
    assert not any(i["id"] == "promises_concrete_time" for i in lines[1]["intents"])


def test_explain_with_a_scenario_hears_its_own_intents() -> None:
    out = _explain("--scenario", "catalog-bride-ja", "ご結婚おめでとうございます。")
    assert out.returncode == 0, out.stderr
    assert "congratulates" in {i["id"] for i in json.loads(out.stdout)["intents"]}


@pytest.mark.parametrize("args,message", [
    (["--scenario", "no-such-scenario", "hello"], "no-such-scenario"),
    (["--scenario", "catalog-bride-ja", "--lang", "en", "hello"], "does not match"),
    (["  "], "TEXT 1 is empty"),
])
def test_explain_refuses_bad_input_clearly(args: list[str], message: str) -> None:
    out = _explain(*args)
    assert out.returncode == 1
    assert message in out.stderr


# ---------------------------------------------------------------------- validation of intents

def test_validation_names_too_few_and_contradictory_examples(tmp_path: Path) -> None:
    src = (REPO / "scenarios" / "catalog-bride-en.yaml").read_text(encoding="utf-8")
    bad = src.replace("\nmodel_phrases:", """
  notices_second_call:
    examples:
      - You rang us earlier today as well.
      - Thanks for calling back again.
  says_sorry_again:
    examples:
      - Thanks for calling back again.
      - Apologies once more for the trouble.
      - I'm sorry again about all this.
  praises_patience:
    examples:
      - You have been very patient.
      - Two sentences here. Not one.
      - Thanks so much for bearing with us.

model_phrases:""", 1)
    path = tmp_path / "catalog-bride-en.yaml"
    path.write_text(bad, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "simulator", "validate", str(path)], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 1
    lines = out.stdout.splitlines() + out.stderr.splitlines()
    text = "\n".join(lines)
    assert "intent 'notices_second_call' has 2 example(s); give at least 3" in text
    assert "is also an example of 'notices_second_call': contradictory" in text
    assert "'Two sentences here. Not one.' must be one sentence" in text
    for line in lines:
        if "example" in line and str(path) in line:
            file, row, col = line.split(":")[:3]
            assert int(row) > 1 and int(col) >= 1, line


def test_the_editor_try_a_phrase_box_reads_against_the_draft() -> None:
    from simulator.web.phrase import phrase_html
    draft = (REPO / "scenarios" / "catalog-bride-ja.yaml").read_text(encoding="utf-8")
    out = phrase_html("ご結婚、本当におめでとうございます。", draft, "catalog-bride-ja.yaml", "ja")
    assert "congratulates" in out and "sim-phrase-table" in out  # the draft's own intent is heard
    taught = draft.replace("    examples:\n      - ご結婚おめでとうございます。",
                           "    examples:\n      - 春のお式、楽しみですね。\n      - ご結婚おめでとうございます。", 1)
    assert "春のお式" in phrase_html("春のお式が楽しみですね。", taught, "catalog-bride-ja.yaml", "en")
    assert "validation errors" in phrase_html("hello", "id: [", "draft.yaml", "en")
    assert "Type a phrase" in phrase_html("  ", draft, "catalog-bride-ja.yaml", "en")
