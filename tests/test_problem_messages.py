"""Scenario-file problems in the Japanese UI: the FILE:LINE:COL core as the CLI prints it, the
message after it in Japanese, and the draft's line quoted under it (the editor marks it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.loading import LoadError, load_scenario
from simulator.web import problems
from simulator.web.problems import validation_html

GOOD = (Path(__file__).resolve().parent.parent / "scenarios" / "catalog-bride-en.yaml").read_text(encoding="utf-8")


def found(text: str):  # type: ignore[no-untyped-def]
    with pytest.raises(LoadError) as e:
        load_scenario("draft.yaml", text=text)
    return e.value.problems


@pytest.mark.parametrize("broken, ja", [
    (GOOD.replace("channel: phone", "chanel: phone", 1), "不明なキー 'chanel' です（'channel' の誤りではありませんか？）"),
    (GOOD.replace("channel: phone", "channel: fax", 1), "channel: 使える値は 'phone'、'chat'、'email' です"),
    (GOOD.replace("channel: phone\n", "", 1), "必須のキー 'channel' がありません"),
    ("id: [unclosed\n", "YAML の書き方に誤りがあります"),
    ("id: a\nid: b\n", "キー 'id' が重複しています"),
])
def test_common_messages_read_in_japanese_around_the_same_core(broken: str, ja: str) -> None:
    p = found(broken)[0]
    en, local = problems.line(p, "en"), problems.line(p, "ja")
    assert en == str(p)  # English is exactly what `simulator validate` prints
    core = re.match(r"^draft\.yaml:\d+:\d+: ", en)
    assert core and local.startswith(core[0])
    assert ja in local, local


def test_unknown_messages_stay_readable_in_english() -> None:
    from simulator.semantics import Problem
    p = Problem.make("x.yaml", 3, 5, "something entirely new")
    assert problems.line(p, "ja") == "x.yaml:3:5: something entirely new"


def test_validation_panel_quotes_the_line_and_names_it_for_the_editor() -> None:
    broken = GOOD.replace("channel: phone", "channel: fax", 1)
    n = next(i for i, ln in enumerate(broken.splitlines(), 1) if ln.startswith("channel:"))
    html = validation_html(broken, "catalog-bride-en.yaml", "ja")
    assert f"data-lines='{n}'" in html
    assert f"catalog-bride-en.yaml:{n}:" in html and "使える値は" in html
    assert re.search(rf"<span class='sim-excerpt-line'>\s*{n} \| channel: fax</span>\n\s+\^", html), html
    assert "使える値は" not in validation_html(broken, "catalog-bride-en.yaml", "en")
