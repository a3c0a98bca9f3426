"""The remaining findings of the attack on loopback: deep YAML is refused fast with its
position, control characters never reach the store."""

from __future__ import annotations

import time

import pytest

from simulator.loading import LoadError, load_scenario
from simulator.models import CustomerState, Turn
from simulator.store import Store
from simulator.textfile import strip_controls
from tests.test_store import store, store_url  # noqa: F401  (fixtures: both databases)

DEEP = [
    ("a: " + "[" * 100_000 + "]" * 100_000, "deep.yaml:1:104: nesting is deeper than 100 levels"),
    ("id: x\na: " + "{x: " * 3000 + "1" + "}" * 3000, "deep.yaml:2:404: nesting is deeper than 100 levels"),
    ("a:\n" + "- " * 200_000 + "x\n", "deep.yaml:2:199: nesting is deeper than 100 levels"),
    ("a:\n" + "".join(" " * i + "k:\n" for i in range(1000)), "deep.yaml:102:101: nesting is deeper than 100 levels"),
]


@pytest.mark.parametrize("text,expected", DEEP, ids=["flow-seq", "flow-map", "block-seq", "block-map"])
def test_deeply_nested_yaml_is_refused_with_its_position_in_under_a_second(text: str, expected: str) -> None:
    t0 = time.perf_counter()
    with pytest.raises(LoadError) as e:
        load_scenario("deep.yaml", text=text)
    assert str(e.value) == expected
    assert time.perf_counter() - t0 < 1.0


def test_brackets_in_quotes_and_comments_do_not_count_as_nesting() -> None:
    text = "id: x\nnote: '" + "[" * 150 + "'\n# " + "{" * 150 + "\n"
    with pytest.raises(LoadError) as e:
        load_scenario("ok.yaml", text=text)
    assert "nesting" not in str(e.value)  # it fails as a scenario (missing fields), not as too deep


def test_control_characters_are_stripped_before_storing(store: Store) -> None:  # noqa: F811
    assert strip_controls("a\x00b\x1b[31mc\r\nd\te\x7f\x85f") == "ab[31mc\nd\tef"
    sid = store.start_session("hana", "catalog-bride-ja", "scripted", CustomerState())
    store.add_turn(sid, Turn(role="trainee", text="ご心配\x00でしたよね\x1b[2J\r\n16時\tまでに"), CustomerState(), expect=0)
    assert store.get_session(sid).turns[0].text == "ご心配でしたよね[2J\n16時\tまでに"

