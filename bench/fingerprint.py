"""Fingerprint of everything the heuristic scorer outputs, for changes that must not alter it.

    python bench/fingerprint.py            # prints one hash per part and an overall hash
    python bench/fingerprint.py --dump F   # also writes every line hashed to F (diff two dumps)

Speed work on the scorer is meant to leave every score card byte for byte as it was. Run this
before and after: the hashes must match. It covers score cards for every scenario example,
every test transcript and 600 benchmark transcripts (both languages, recurring and unique
lines) under both shipped rubrics, and the language layer's raw output (intent hits, time
expressions with and without a clock) on every line of the shipped scenarios and test data.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
import hashlib
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_scorer import make  # noqa: E402

from simulator.language import detector_for, find_time_expressions  # noqa: E402
from simulator.loading import default_catalog  # noqa: E402
from simulator.models import Transcript  # noqa: E402
from simulator.scoring import HeuristicScorer  # noqa: E402


def _strings(x: object, out: set[str]) -> None:
    if isinstance(x, str):
        out.add(x)
    elif isinstance(x, dict):
        for v in x.values():
            _strings(v, out)
    elif isinstance(x, list):
        for v in x:
            _strings(v, out)


def score_lines() -> list[str]:
    catalog = default_catalog()
    transcripts: list[tuple[str, Transcript]] = []
    for sc in catalog.scenarios.values():
        for ex in sc.examples:
            transcripts.append((f"{sc.id}/{ex.id}", Transcript(scenario=sc.id, turns=ex.turns)))
    for path in sorted((ROOT / "tests/data/transcripts").glob("*.json")):
        transcripts.append((path.name, Transcript.model_validate_json(path.read_text(encoding="utf-8"))))
    for language in ("ja", "en"):
        rng = random.Random(7)
        sid = f"morning-delivery-{language}"
        transcripts += [(f"bench-{language}-{i}", make(rng, language, sid, unique=i % 2 == 1)) for i in range(300)]
    lines = []
    for rubric_id in ("default", "extended"):
        scorer = HeuristicScorer(catalog.rubric(rubric_id))
        for name, t in transcripts:
            card = scorer.score(t, catalog.scenarios.get(t.scenario))
            lines.append(f"{rubric_id} {name} {card.model_dump_json(exclude={'created_at', 'scored_at'})}")
    return lines


def language_lines() -> list[str]:
    catalog = default_catalog()
    lines = []
    for language in ("ja", "en"):
        texts: set[str] = set()
        for sc in catalog.scenarios.values():
            if sc.language == language:
                _strings(sc.model_dump(), texts)
        for path in sorted((ROOT / "tests/data/transcripts").glob("*.json")):
            _strings(json.loads(path.read_text(encoding="utf-8")).get("turns", []), texts)
        detectors = [detector_for(sc) for sc in catalog.scenarios.values() if sc.language == language]
        for text in sorted(texts):
            for d in detectors[:2]:
                lines.append(json.dumps([asdict(h) for h in d.detect(text)], ensure_ascii=False))
            for now in (None, "10:00", "16:10"):
                found = find_time_expressions(text, language, now)
                lines.append(json.dumps([asdict(x) for x in found], ensure_ascii=False))
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dump", type=Path, help="write every hashed line to this file")
    args = ap.parse_args()
    parts = {"score cards": score_lines(), "language layer": language_lines()}
    overall = hashlib.sha256()
    for name, lines in parts.items():
        digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        overall.update(digest.encode())
        print(f"{name}: {len(lines)} lines, sha256 {digest[:16]}")
    print(f"overall: {overall.hexdigest()[:16]}")
    if args.dump:
        args.dump.write_text("\n".join(line for lines in parts.values() for line in lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
