"""The shipped scenario pack and rubrics: all valid, schema-conformant, and loud when broken."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from simulator.cli import main
from simulator.loading import LoadError, load_any, parse_yaml, schema_of

REPO = Path(__file__).resolve().parent.parent
SEED_IDS = [f"{name}-{lang}" for name in ("catalog-bride", "sim-activation", "morning-delivery",
                                           "apple-email", "order-inquiry") for lang in ("ja", "en")]
SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.yaml"))
RUBRIC_FILES = sorted((REPO / "rubrics").glob("*.yaml"))


def test_validate_names_every_seed_scenario_and_both_rubrics(capsys):
    assert main(["validate", str(REPO / "scenarios"), str(REPO / "rubrics")]) == 0
    out = capsys.readouterr().out
    for sid in SEED_IDS:
        assert f"scenario '{sid}'" in out
    assert "rubric 'default'" in out and "rubric 'extended'" in out
    assert out.strip().splitlines()[-1] == "10 scenarios and 2 rubrics valid"


@pytest.mark.parametrize("path", SCENARIO_FILES + RUBRIC_FILES, ids=lambda p: p.name)
def test_shipped_file_satisfies_published_json_schema(path):
    kind = "rubric" if path.parent.name == "rubrics" else "scenario"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# yaml-language-server: $schema=../schemas/{kind}.schema.json"
    jsonschema.validate(parse_yaml(str(path)).data, schema_of(kind))


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_file_name_matches_id_and_brief_hides_the_needs(path):
    scenario = load_any(str(path))
    assert path.stem == scenario.id
    brief = json.dumps(scenario.brief.model_dump(), ensure_ascii=False)
    for need in scenario.hidden_needs:
        for line in need.disclosure:
            assert line not in brief
    labels = {e.label for e in scenario.examples}
    assert {"strong", "weak"} <= labels, "each scenario carries a strong and a weak calibration example"


@pytest.mark.parametrize("path", SCENARIO_FILES[:3], ids=lambda p: p.name)
def test_broken_copy_of_a_shipped_scenario_points_at_the_right_line(tmp_path, path):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    target = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("temperament:"))
    indent = len(lines[target]) - len(lines[target].lstrip())
    lines[target] = lines[target].replace("temperament:", "temperment:")
    broken = tmp_path / path.name
    broken.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(LoadError) as err:
        load_any(str(broken))
    assert [str(p) for p in err.value.problems] == [
        f"{broken}:{target + 1}:{indent + 1}: unknown key 'temperment'; did you mean 'temperament'?"]
