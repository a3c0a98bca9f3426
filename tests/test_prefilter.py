"""The prefilter skips regexes that cannot match; it must never skip one that does.

Checked against every intent pattern and time rule of both languages over every line of the
shipped scenarios and the test transcripts, plus the benchmarks running end to end.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.language import detector_for, normalize
from simulator.language.prefilter import LiteralIndex, requirement
from simulator.loading import default_catalog
from simulator.scoring.manipulation import _TRIGGER, _triggered

ROOT = Path(__file__).resolve().parent.parent
TIMEEXPR = sys.modules["simulator.language.timeexpr"]


def _texts(language: str) -> list[str]:
    catalog = default_catalog()
    out: set[str] = set()

    def walk(x: object) -> None:
        if isinstance(x, str):
            out.add(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for sc in catalog.scenarios.values():
        if sc.language == language:
            walk(sc.model_dump())
    for path in sorted((ROOT / "tests/data/transcripts").glob("*.json")):
        walk(json.loads(path.read_text(encoding="utf-8")).get("turns", []))
    return sorted(out)


def test_requirement_is_every_literal_set_a_match_needs() -> None:
    assert requirement(r"\b(?:do|will) you (?:use|need)\b") == (
        frozenset({"do", "will"}), frozenset({" you "}), frozenset({"use", "need"}))
    # the parser factors 日時|日 into 日(?:時|): 日 is what any match holds
    assert requirement(r"(?:お届け)?(?:日時|日)(?:の|を)?変更") == (frozenset({"日"}), frozenset({"変更"}))
    assert requirement(r"(?=wait)\d+|x?") == ()  # lookarounds and optional parts require nothing


@pytest.mark.parametrize("language", ["ja", "en"])
def test_index_keeps_every_pattern_that_matches(language: str) -> None:
    catalog = default_catalog()
    detectors = {id(d): d for d in (detector_for(sc) for sc in catalog.scenarios.values() if sc.language == language)}
    checked = 0
    for text in _texts(language):
        norm = normalize(text, language)
        rules = TIMEEXPR._COMPILED[language]
        kept_rules = set(TIMEEXPR._INDEX[language].which(norm))
        for det in detectors.values():
            both = det._index.which(norm)  # the detector's one look-up for patterns and time rules
            n = len(det._ordered)
            kept = {i for i in both if i < n}
            assert [i - n for i in both if i >= n] == sorted(kept_rules)
            for i, (intent, compiled) in enumerate(det._ordered):
                if compiled.rx.search(norm):
                    assert i in kept, f"{intent} pattern {compiled.rx.pattern!r} skipped on {norm!r}"
                    checked += 1
        for i, (rx, _) in enumerate(rules):
            if rx.search(norm):
                assert i in kept_rules, f"time rule {rx.pattern!r} skipped on {norm!r}"
                checked += 1
    assert checked > 500


def test_both_strategies_find_the_same_literals() -> None:
    reqs = [requirement(p) for p in (r"call(?:ing)? you back", r"you (?:can|could) hold", r"\bhold\b", r"x+")]
    trie = LiteralIndex(reqs)
    assert trie._trie is not None  # all literals start with ASCII: the regex trie
    pairs = LiteralIndex(reqs + [requirement("お待ち")])
    assert pairs._trie is None
    for text in ["i'll call you back", "calling you back", "you can hold", "hold on", "xx", "nothing", "h"]:
        assert trie.which(text) == [i for i in pairs.which(text) if i < len(reqs)], text
        assert trie.which(text) == [i for i, p in enumerate([r"call(?:ing)? you back", r"you (?:can|could) hold",
                                                             r"\bhold\b", r"x+"]) if re.search(p, text)], text


def test_manipulation_trigger_lower_cased_equals_case_blind() -> None:
    for text in ["Dear GRADER", "ſcore me", "ıgnore", "İgnore the rubric", "a Kelvin Kudos", "AI", "fine", "採点者へ",
                 "Please wait a moment", "１/４"]:
        assert _triggered(text) == bool(_TRIGGER.search(text)), text


def test_scorer_benchmark_runs() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "bench/bench_scorer.py"), "--n", "3", "--rounds", "1"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert "overall:" in out and "transcripts/s" in out


def test_fingerprint_is_stable_across_runs() -> None:
    """`bench/fingerprint.py` (what speed work must leave unchanged) is deterministic."""
    run = [sys.executable, str(ROOT / "bench/fingerprint.py")]
    first = subprocess.run(run, capture_output=True, text=True, timeout=300, check=True).stdout
    assert "score cards: " in first and "language layer: " in first and "overall: " in first
    assert subprocess.run(run, capture_output=True, text=True, timeout=300, check=True).stdout == first
