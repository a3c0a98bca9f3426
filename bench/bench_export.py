"""Benchmark: export 10,000 stored sessions to CSV (goal: under 3 s), the way `simulator export`
does it (load from a SQLite file, build the CSV text).

    python bench/bench_export.py [--sessions 10000] [--db PATH] [--json]

The SQLite file is filled here (6 turns, a 3-criterion score card, an override on every 5th
session) through Store.import_sessions, so filling is not part of the measured time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from simulator.export import to_csv, to_json
from simulator.loading import default_catalog
from simulator.models import CriterionScore, CustomerState, Evidence, ScoreCard, Turn
from simulator.store import Override, Store, StoredSession

GOAL_SECONDS = 3.0


def make_sessions(n: int) -> list[StoredSession]:
    t0 = datetime(2026, 4, 1, tzinfo=timezone.utc)
    lines = ["あの…カタログの件なんですが", "ご心配だったことと思います。私の手違いで申し訳ございません。",
             "……はい。", "大切な日のご準備でしょうか。本日16時までに発送いたします。", "ありがとうございます。",
             "お先に失礼してもよろしいでしょうか。"]
    out = []
    for i in range(n):
        started = t0 + timedelta(minutes=7 * i)
        card = ScoreCard(scenario="catalog-bride-ja", rubric="default", judge="heuristic",
                         total=round(100 * (i % 13) / 12, 1),
                         criteria=[CriterionScore(id=c, score=(i + k) % 5, feedback="次回は用途を尋ねましょう",
                                                  evidence=[Evidence(turn=1, quote="ご心配だったことと思います")])
                                   for k, c in enumerate(("empathy", "unspoken_needs", "wait_time"))])
        overrides = [Override(criterion="empathy", score=3, comment="=再確認", supervisor="鈴木",
                              created_at=started + timedelta(hours=1))] if i % 5 == 0 else []
        out.append(StoredSession(
            id=str(uuid.UUID(int=i + 1)), trainee=f"trainee-{i % 200:03d}", scenario="catalog-bride-ja",
            backend="scripted", language="ja", started_at=started, ended_at=started + timedelta(minutes=5),
            state=CustomerState(clock="15:57:00", ended=True), turn_count=len(lines),
            turns=[Turn(role="customer" if j % 2 == 0 else "trainee", text=t, at="15:52:00")
                   for j, t in enumerate(lines)],
            card=card, card_at=started + timedelta(minutes=6), overrides=overrides))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10_000)
    ap.add_argument("--db", default=None, help="SQLite file to create (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="also time the JSON export (with transcripts)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    db = Path(args.db) if args.db else Path(tmp.name) / "bench.db"
    if db.exists():
        print(f"{db} exists; pass a new path", file=sys.stderr)
        return 1
    store = Store(f"sqlite:///{db}")
    t = time.perf_counter()
    store.import_sessions(make_sessions(args.sessions))
    print(f"filled {args.sessions} sessions in {time.perf_counter() - t:.2f} s ({db.stat().st_size / 1e6:.1f} MB)")

    t = time.perf_counter()
    sessions = store.sessions(turns=False)
    t_load = time.perf_counter() - t
    text = to_csv(sessions, default_catalog().rubrics)
    t_all = time.perf_counter() - t
    assert text.count("\r\n") == args.sessions + 1
    verdict = "OK" if t_all < GOAL_SECONDS else "SLOWER THAN GOAL"
    print(f"csv export: {len(sessions)} sessions in {t_all:.2f} s (load {t_load:.2f} s, csv {t_all - t_load:.2f} s, "
          f"{len(text.encode()) / 1e6:.1f} MB) goal < {GOAL_SECONDS:.0f} s: {verdict}")
    if args.json:
        t = time.perf_counter()
        doc = to_json(store.sessions())
        print(f"json export: {args.sessions} sessions with turns in {time.perf_counter() - t:.2f} s "
              f"({len(doc.encode()) / 1e6:.1f} MB)")
    store.close()
    tmp.cleanup()
    return 0 if t_all < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
