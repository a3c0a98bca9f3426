"""`simulator calibrate` and `simulator score`: through the real CLI entry point (in-process for
speed, `simulator.cli.main`), and once each as a real subprocess for the exit status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from simulator.cli import main
from simulator.loading import Catalog, default_catalog
from simulator.models import ScoreCard
from simulator.scoring.commands import calibrate

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "transcripts"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def sim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SIMULATOR_")}
    return subprocess.run([sys.executable, "-m", "simulator", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**base, **(env or {})}, timeout=120)


def test_the_shipped_pack_calibrates() -> None:
    r = sim("calibrate")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().endswith("all hold")
    assert "MISS" not in r.stdout


def test_calibrate_function_counts_every_check() -> None:
    cat = default_catalog()
    report = calibrate([cat.scenarios[k] for k in sorted(cat.scenarios)], cat.rubric("default"))
    assert report.examples == sum(len(s.examples) for s in cat.scenarios.values())
    assert report.checks >= report.examples and report.misses == []


def _pack(tmp_path: Path, edit) -> Path:
    """A private copy of one seed scenario, edited."""
    yaml = YAML()
    data = yaml.load((ROOT / "scenarios" / "catalog-bride-ja.yaml").read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "catalog-bride-ja.yaml"
    with open(path, "w", encoding="utf-8") as f:
        yaml.dump(data, f)
    return path


def _wrong_band(data) -> None:
    weak = next(e for e in data["examples"] if e["label"] == "weak")
    weak["expected"]["empathy"] = [3, 4]


def test_a_wrong_band_is_listed(tmp_path: Path) -> None:
    cat = Catalog.load([_pack(tmp_path, _wrong_band), ROOT / "rubrics"])
    report = calibrate(list(cat.scenarios.values()), cat.rubric("default"))
    assert len(report.misses) == 1
    miss = str(report.misses[0])
    assert miss.startswith("MISS catalog-bride-ja/") and "empathy: scored" in miss and "expected 3-4" in miss


def test_a_wrong_band_fails_the_command(tmp_path: Path) -> None:
    path = _pack(tmp_path, _wrong_band)
    rubrics = shutil.copytree(ROOT / "rubrics", tmp_path / "rubrics")
    r = sim("calibrate", env={"SIMULATOR_SCENARIOS_DIR": str(path.parent), "SIMULATOR_RUBRICS_DIR": str(rubrics)})
    assert r.returncode == 1
    assert [ln for ln in r.stdout.splitlines() if ln.startswith("MISS")] and r.stdout.strip().endswith("1 miss(es)")


def test_strong_not_beating_weak_is_a_miss(tmp_path: Path) -> None:
    def edit(data) -> None:
        strong = next(e for e in data["examples"] if e["label"] == "strong")
        weak = next(e for e in data["examples"] if e["label"] == "weak")
        weak["turns"] = strong["turns"]  # a "weak" example that is word for word the strong one
        weak["expected"] = {k: [0, 4] for k in weak["expected"]}
    cat = Catalog.load([_pack(tmp_path, edit), ROOT / "rubrics"])
    report = calibrate(list(cat.scenarios.values()), cat.rubric("default"))
    assert report.misses and all("not above weak's" in m.message for m in report.misses)
    assert {m.criterion for m in report.misses} == {"empathy", "unspoken_needs", "wait_time"}


def test_calibrate_unknown_scenario_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "calibrate", "no-such-scenario")
    assert code == 1
    assert err.count("\n") == 1 and "unknown scenario 'no-such-scenario'" in err


# ----------------------------------------------------------------------------------- score


def test_score_prints_a_contract_shaped_card(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "score", str(DATA / "bride-ja-strong.json"))
    assert code == 0, err
    raw = json.loads(out)
    assert set(raw) >= {"scenario", "rubric", "judge", "total", "criteria", "flags"}
    assert {"id", "score", "max", "evidence", "feedback"} <= set(raw["criteria"][0])
    card = ScoreCard.model_validate(raw)
    assert card.scenario == "catalog-bride-ja" and card.rubric == "default" and card.judge == "heuristic"
    assert [c.id for c in card.criteria] == ["empathy", "unspoken_needs", "wait_time"]
    assert "ご心配" in out  # UTF-8, not \\u escapes


def test_score_markdown_and_rubric_by_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "score", str(DATA / "sim-en-strong.json"), "--format", "md",
                         "--rubric", str(ROOT / "rubrics" / "extended.yaml"))
    assert code == 0, err
    assert out.startswith("# sim-activation-en: ")
    assert "rubric `extended`" in out and "| criterion | score |" in out
    assert "- turn 1: \"" in out


def test_score_auto_without_an_endpoint_is_heuristic(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("SIMULATOR_LLM_"):
            monkeypatch.delenv(k)  # the environment, not the code under test
    code, out, err = cli(capsys, "score", str(DATA / "plea-en.json"), "--judge", "auto")
    assert code == 0, err
    card = ScoreCard.model_validate_json(out)
    assert card.judge == "heuristic" and "judge-manipulation-attempt" in card.flags


@pytest.mark.parametrize("setup,args,needle", [
    (None, ["missing.json"], "cannot read missing.json"),
    ("{\n  \"scenario\": \"x\",,\n}", ["{f}"], ":2:"),
    ("[1, 2]", ["{f}"], "not a transcript"),
    ('{"scenario": "catalog-bride-ja", "turns": [{"role": "manager", "text": "hi"}]}', ["{f}"], "turns.0.role"),
    ('{"scenario": "no-such", "turns": []}', ["{f}"], "unknown scenario 'no-such'"),
    ('{"scenario": "catalog-bride-ja", "turns": []}', ["{f}", "--rubric", "nope"], "unknown rubric 'nope'"),
    ('{"scenario": "catalog-bride-ja", "turns": []}', ["{f}", "--judge", "llm"], "SIMULATOR_LLM_BASE_URL"),
], ids=["missing", "bad-json", "not-object", "bad-role", "unknown-scenario", "unknown-rubric", "llm-unconfigured"])
def test_score_bad_input_is_one_clear_line(setup: str | None, args: list[str], needle: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for k in list(os.environ):
        if k.startswith("SIMULATOR_LLM_"):
            monkeypatch.delenv(k)
    f = tmp_path / "t.json"
    if setup is not None:
        f.write_text(setup, encoding="utf-8")
    code, out, err = cli(capsys, "score", *[a.replace("{f}", str(f)) for a in args])
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("simulator score: "), err
    assert needle in err, err
