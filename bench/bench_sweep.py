"""Sweep: play a few hundred scripted sessions and count repeats, re-requests and leaks.

    python bench/bench_sweep.py [--sessions 30] [--seed 0]

For every shipped scenario, `--sessions` sessions are played with the scripted customer; each
trainee script is 6-16 lines drawn at random from the reader's labelled corpus of the scenario's
language (simulator/language/corpus), with an occasional hold (20-120 s) and an occasional line
said twice. Each session is scored with the heuristic scorer and the default rubric. Counted
(simulator/audit.py): a customer line said a second time in a session; a customer line asking
for a time or a confirmation already given; a fact of a need that stayed hidden (its lines,
description, solution, id words, times) in the score card. The goal is 0 / 0 / 0.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.audit import card_text, leaks, play  # noqa: E402
from simulator.language.corpus import load_corpus  # noqa: E402
from simulator.loading import default_catalog  # noqa: E402
from simulator.scoring import HeuristicScorer  # noqa: E402


def script(rng: random.Random, lines: list[str]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for _ in range(rng.randint(6, 16)):
        roll = rng.random()
        if roll < 0.1:
            out.append((rng.choice((20, 45, 75, 120)), ""))
        elif roll < 0.2 and out and out[-1][1]:
            out.append(out[-1])  # the trainee says the same thing again
        else:
            out.append((0, rng.choice(lines)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=30, help="sessions per scenario (default 30)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.sessions < 1:
        ap.error("--sessions must be at least 1")
    catalog = default_catalog()
    scorer = HeuristicScorer(catalog.rubric("default"))
    corpus = {lang: [e.text for e in load_corpus(lang)] for lang in ("ja", "en")}
    rng = random.Random(args.seed)
    totals: Counter[str] = Counter()
    by_lang: dict[str, Counter[str]] = {}
    examples: dict[str, list[str]] = {"repeats": [], "re_requests": [], "leaks": []}
    started = time.perf_counter()
    print(f"{'scenario':<22} {'sessions':>8} {'turns':>6} {'repeats':>8} {'re-req':>7} {'leaks':>6}")
    for sid in sorted(catalog.scenarios):
        sc = catalog.scenario(sid)
        row: Counter[str] = Counter()
        for n in range(args.sessions):
            played = play(sc, script(rng, corpus[sc.language]), seed=n)
            found = leaks(sc, played.transcript, card_text(scorer.score(played.transcript, sc)))
            row.update(sessions=1, turns=len(played.transcript.turns), repeats=len(played.audit.repeats),
                       re_requests=len(played.audit.re_requests), leaks=len(found))
            for key, items in (("repeats", played.audit.repeats), ("re_requests", played.audit.re_requests),
                               ("leaks", found)):
                examples[key].extend(f"{sid}: {x}" for x in items[:1])
        print(f"{sid:<22} {row['sessions']:>8} {row['turns']:>6} {row['repeats']:>8} {row['re_requests']:>7} "
              f"{row['leaks']:>6}")
        totals.update(row)
        by_lang.setdefault(sc.language, Counter()).update(row)
    print(f"{'all':<22} {totals['sessions']:>8} {totals['turns']:>6} {totals['repeats']:>8} "
          f"{totals['re_requests']:>7} {totals['leaks']:>6}   ({time.perf_counter() - started:.0f} s)")
    for key, items in examples.items():
        for x in items[:5]:
            print(f"  {key}: {x}")
    for lang, c in sorted(by_lang.items()):
        print(f"{lang}: {c['sessions']} sessions, repeats / re-requests / leaks: "
              f"{c['repeats']} / {c['re_requests']} / {c['leaks']}")
    print(f"repeats / re-requests / leaks: {totals['repeats']} / {totals['re_requests']} / {totals['leaks']}")
    return 0 if totals["repeats"] == totals["re_requests"] == totals["leaks"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
