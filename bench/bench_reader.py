"""How well and how fast the reader hears trainee sentences (issue: hearing the trainee).

    python bench/bench_reader.py                # test split: the figures in docs/benchmarks.md
    python bench/bench_reader.py --split dev    # what choices are made on
    python bench/bench_reader.py --few-shot     # scenario intents taught by 5 examples (dev)

Prints, per language: per-intent and per-act precision / recall / F1 and macro-F1 on the
split, reader latency per message (p50 / p99, one core, cold per-text caches), and the time
and memory the reader adds at startup (model load from the cache, Sudachi dictionary).
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.language.corpus import ACTS, Example, load_corpus, split_of  # noqa: E402
from simulator.language.vocabulary import BUILTIN_INTENTS  # noqa: E402

TARGETS = "macro-F1 >= 0.90; every intent recall >= 0.85 and precision >= 0.90; p99 <= 5 ms"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def table(what: str, counts: dict[str, list[int]], targets: bool = False) -> float:
    """Print P / R / F1 per label and return the macro-F1."""
    print(f"{what:26} {'n':>4} {'P':>6} {'R':>6} {'F1':>6}")
    f1s = []
    for label, (tp, fp, fn) in counts.items():
        p, r, f = prf(tp, fp, fn)
        f1s.append(f)
        flag = "  <- below target" if targets and not (r >= 0.85 and p >= 0.90) else ""
        print(f"{label:26} {tp + fn:4d} {p:6.2f} {r:6.2f} {f:6.2f}{flag}")
    macro = statistics.mean(f1s)
    print(f"{'macro-F1 (' + what + 's)':26} {'':4} {'':6} {'':6} {macro:6.3f}")
    return macro


def evaluate(language: str, split: str, quiet: bool = False, reader=None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from simulator.language.reader import generic_reader

    reader = reader or generic_reader(language)
    rows = [ex for ex in load_corpus(language) if split_of(language, ex.text) == split]
    counts = {i: [0, 0, 0] for i in BUILTIN_INTENTS}
    act_counts = {a: [0, 0, 0] for a in ACTS}
    misses: list[str] = []
    for ex in rows:
        r = reader.read(ex.text)
        got = set(r.intent_ids)
        main = max(r.sentences, key=lambda s: s.end - s.start) if r.sentences else None
        act = main.act if main else "information"
        for i in BUILTIN_INTENTS:
            want = i in ex.intents
            c = counts[i]
            if want and i in got:
                c[0] += 1
            elif i in got:
                c[1] += 1
                misses.append(f"  FP {i:24} {ex.text}")
            elif want:
                c[2] += 1
                misses.append(f"  FN {i:24} {ex.text}")
        if act == ex.act:
            act_counts[act][0] += 1
        else:
            act_counts[act][1] += 1
            act_counts[ex.act][2] += 1
            misses.append(f"  ACT {ex.act}->{act:12} {ex.text}")
    print(f"\n== {language} {split}: {len(rows)} sentences")
    out = {"macro_f1": table("intent", counts, targets=True), "act_macro_f1": table("act", act_counts)}
    if not quiet and split != "test":
        print("\n".join(misses[:400]))
    return out


def latency(language: str) -> None:
    from simulator.language.reader import Reader

    reader = Reader(language)
    texts = [ex.text for ex in load_corpus(language)]
    rnd = random.Random(7)
    messages = [" ".join(rnd.sample(texts, rnd.randint(1, 4))) for _ in range(600)]  # 1-4 sentences each
    for m in messages[:50]:
        reader.read(m)  # warm the code paths, not a cache: read() caches nothing
    gc.collect()
    ts = []
    for m in messages:
        t = time.perf_counter()
        reader.read(m)
        ts.append((time.perf_counter() - t) * 1000)
    ts.sort()
    print(f"latency {language}: {len(ts)} messages of 1-4 sentences: p50 {ts[len(ts) // 2]:.2f} ms, "
          f"p99 {ts[int(len(ts) * 0.99)]:.2f} ms, max {ts[-1]:.2f} ms")


def startup() -> None:
    import subprocess
    code = ("import time\n"
            "def rss():\n"
            "    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1]) / 1024\n"
            "import simulator.models\n"
            "m0, t0 = rss(), time.perf_counter()\n"
            "from simulator.language.reader import generic_reader as g\n"
            "[g(l).read('x') for l in ('ja', 'en')]\n"
            "print(round(time.perf_counter() - t0, 2), round(rss() - m0))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout.split()
    print(f"startup: the reader (both languages, model from the cache, Sudachi) adds {out[0]} s and {out[1]} MB")


def tune(langs: list[str]) -> None:
    """Regularisation choices, trained on train and judged on dev (never on test)."""
    import contextlib
    import io

    from simulator.language import model as m
    from simulator.language.reader import Reader

    for lang in langs:
        train = [ex for ex in load_corpus(lang) if split_of(lang, ex.text) == "train"]
        for act_c, intent_c, weight in [(8, 8, "balanced"), (32, 32, "balanced"), (100, 100, "balanced"),
                                        (300, 300, "balanced"), (100, 100, None)]:
            model = m.ReaderModel(lang, m.train(lang, train, act_c, intent_c, weight))
            with contextlib.redirect_stdout(io.StringIO()):
                got = evaluate(lang, "dev", quiet=True, reader=Reader(lang, model=model))
            print(f"{lang} act C={act_c} intent C={intent_c} class_weight={weight}: "
                  f"intents macro-F1 {got['macro_f1']:.3f}, acts macro-F1 {got['act_macro_f1']:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="test", choices=["train", "dev", "test"])
    ap.add_argument("--lang", choices=["ja", "en"], action="append")
    ap.add_argument("--few-shot", action="store_true", help="scenario-style intents from 5 examples (dev split)")
    ap.add_argument("--quiet", action="store_true", help="no list of misses")
    ap.add_argument("--tune", action="store_true", help="try regularisation settings (train -> dev)")
    args = ap.parse_args()
    langs = args.lang or ["ja", "en"]
    print(f"targets: {TARGETS}")
    if args.tune:
        tune(langs)
        return
    if args.few_shot:
        from bench_fewshot import few_shot  # noqa: E402
        for lang in langs:
            few_shot(lang)
        return
    for lang in langs:
        if args.split == "test":
            evaluate(lang, "test", quiet=True)  # the shipped model (fit on train + dev)
        else:  # choices are judged with a model that never saw the split
            from simulator.language import model as m
            from simulator.language.reader import Reader
            train = [ex for ex in load_corpus(lang) if split_of(lang, ex.text) == "train"]
            evaluate(lang, args.split, quiet=args.quiet,
                     reader=Reader(lang, model=m.ReaderModel(lang, m.train(lang, train))))
    for lang in langs:
        latency(lang)
    startup()


if __name__ == "__main__":
    main()
