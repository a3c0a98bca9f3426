"""How often the offline reader and the LLM reader agree, on the corpus dev split.

    .venv/bin/python bench/bench_llm_reader.py [--split test]

The shipped offline model learns from train + dev (model.py FIT_SPLITS), so on dev it has seen
every sentence: "perfect" agreement there is an upper bound; `--split test` shows unseen text.

No model is needed: the loopback OpenAI server of the tests (tests/fake_openai.py) plays the
model. Run 1 ("perfect") answers every sentence with its corpus label, so agreement there is
how close the offline reader comes to a model that reads like the labellers. Run 2 ("noisy")
perturbs the labels (a wrong act for ~25% of sentences, a dropped or an extra intent), a stand-in
for a weak local model. Both go through the real client, the checks and the time gating.

Agreement is per sentence (both readers split alike): the act, and the set of intents heard
(exact match and mean Jaccard; two empty sets agree). Latency is per message against the
loopback server: what a real model adds comes on top.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402

from simulator.language.corpus import ACTS, Example, load_corpus, split_of  # noqa: E402
from simulator.language.llm_reader import LLMReader  # noqa: E402
from simulator.language.reader import Reading, generic_reader  # noqa: E402
from simulator.language.vocabulary import BUILTIN_INTENTS  # noqa: E402


def _fake_module() -> Any:
    spec = importlib.util.spec_from_file_location("fake_openai", ROOT / "tests" / "fake_openai.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["fake_openai"] = mod  # pydantic resolves the module's annotations through sys.modules
    spec.loader.exec_module(mod)
    return mod


class Labeller:
    """The scripted "model": each sentence gets the label of the corpus example it came from."""

    def __init__(self, examples: list[Example], noise: bool) -> None:
        self.gold = {e.text.strip(): e for e in examples}
        self.examples = examples
        self.noise = noise

    def label(self, sentence: str) -> tuple[str, list[str]]:
        ex = self.gold.get(sentence) or next((e for e in self.examples if sentence in e.text), None)
        act, intents = (ex.act, list(ex.intents)) if ex else ("information", [])
        if self.noise:
            rng = random.Random(hashlib.sha256(sentence.encode()).digest())  # the same noise every run
            if rng.random() < 0.25:
                act = rng.choice([a for a in ACTS if a != act])
            if intents and rng.random() < 0.25:
                intents.pop(rng.randrange(len(intents)))
            if rng.random() < 0.15:
                intents.append(rng.choice(sorted(BUILTIN_INTENTS)))
        return act, list(dict.fromkeys(intents))

    def __call__(self, body: dict[str, Any]) -> str:
        asked = json.loads(body["messages"][-1]["content"])["sentences"]
        return json.dumps({"sentences": [{"index": s["index"], "act": a, "intents": i}
                                         for s in asked for a, i in [self.label(s["text"])]]})


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else 0.0


def _agreement(offline: list[Reading], llm: list[Reading]) -> tuple[int, float, float, float]:
    n = acts = exact = 0
    jac = 0.0
    for a, b in zip(offline, llm, strict=True):
        for sa, sb in zip(a.sentences, b.sentences, strict=True):
            ia, ib = {h.id for h in sa.intents}, {h.id for h in sb.intents}
            n += 1
            acts += sa.act == sb.act
            exact += ia == ib
            jac += len(ia & ib) / len(ia | ib) if ia | ib else 1.0
    return n, acts / n, exact / n, jac / n


def run(language: str, fake: Any, split: str) -> None:
    examples = [e for e in load_corpus(language) if split_of(language, e.text) == split]
    texts = [e.text for e in examples]
    offline_reader = generic_reader(language)
    offline, t_off = [], []
    for text in texts:
        t0 = time.perf_counter()
        offline.append(offline_reader.read(text, now="10:00"))
        t_off.append(time.perf_counter() - t0)
    for name, noise in (("perfect", False), ("noisy", True)):
        with fake.FakeOpenAI(default=Labeller(examples, noise)) as srv:
            client = openai.OpenAI(base_url=srv.base_url, api_key="x", max_retries=0)
            reader = LLMReader(offline_reader, client, "fake-model", deadline=4.0)
            llm, t_llm = [], []
            for text in texts:
                t0 = time.perf_counter()
                llm.append(reader.read(text, now="10:00"))
                t_llm.append(time.perf_counter() - t0)
            calls = len(srv.requests)
        n, act, exact, jac = _agreement(offline, llm)
        added = [b - a for a, b in zip(t_off, t_llm)]
        print(f"{language} {split} {name:7s} messages {len(texts):4d} sentences {n:4d} calls {calls:4d} "
              f"fallbacks {reader.fallbacks}: act {act:.1%}  intents exact {exact:.1%}  Jaccard {jac:.3f}  | "
              f"per message ms: offline p50 {_pct(t_off, .5):.1f} p99 {_pct(t_off, .99):.1f}; "
              f"LLM reader p50 {_pct(t_llm, .5):.1f} p99 {_pct(t_llm, .99):.1f}; "
              f"added p50 {_pct(added, .5):.1f} p99 {_pct(added, .99):.1f}")


def main() -> None:
    split = sys.argv[sys.argv.index("--split") + 1] if "--split" in sys.argv else "dev"
    if split not in ("dev", "test"):
        raise SystemExit("--split takes dev or test")
    fake = _fake_module()
    for language in ("ja", "en"):
        generic_reader(language).read("warm-up")  # load the trained model before timing anything
        run(language, fake, split)


if __name__ == "__main__":
    main()
