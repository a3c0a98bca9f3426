"""Scenario intents taught by a handful of examples: how well does the nearest-example step hear
them? Each built-in intent plays a supervisor's new intent: 5 of its train-split sentences are
the scenario's examples, and every dev-split sentence is read against them. Prints precision,
recall and F1 per similarity threshold (the threshold in simulator/language/examples.py is
chosen here, on the dev split). Run through `python bench/bench_reader.py --few-shot`."""

from __future__ import annotations

import random
import statistics

from simulator.language.corpus import load_corpus, split_of
from simulator.language.examples import SIMILARITY, ScenarioIntents
from simulator.language.vocabulary import BUILTIN_INTENTS

SHOTS = 5
THRESHOLDS = (0.3, 0.35, 0.4, 0.42, 0.45, 0.5, 0.55, 0.6)


def few_shot(language: str, seed: int = 3) -> None:
    corpus = load_corpus(language)
    train = [ex for ex in corpus if split_of(language, ex.text) == "train"]
    dev = [ex for ex in corpus if split_of(language, ex.text) == "dev"]
    rnd = random.Random(seed)
    sims: dict[str, list[tuple[float, bool]]] = {}
    for intent in BUILTIN_INTENTS:
        pool = [ex.text for ex in train if intent in ex.intents]
        shots = rnd.sample(pool, min(SHOTS, len(pool)))
        taught = ScenarioIntents(language, {"taught": shots}, {})
        sims[intent] = [(taught.nearest(ex.text).get("taught", (0.0, ""))[0], intent in ex.intents) for ex in dev]
    print(f"\n== {language}: few-shot ({SHOTS} examples per intent), dev split; in use: {SIMILARITY}")
    print(f"{'threshold':>9} {'P':>6} {'R':>6} {'F1':>6}  (macro over {len(BUILTIN_INTENTS)} intents)")
    for th in THRESHOLDS:
        ps, rs, fs = [], [], []
        for rows in sims.values():
            tp = sum(1 for s, y in rows if s >= th and y)
            fp = sum(1 for s, y in rows if s >= th and not y)
            fn = sum(1 for s, y in rows if s < th and y)
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            ps.append(p)
            rs.append(r)
            fs.append(2 * p * r / (p + r) if p + r else 0.0)
        print(f"{th:9.2f} {statistics.mean(ps):6.2f} {statistics.mean(rs):6.2f} {statistics.mean(fs):6.2f}")
