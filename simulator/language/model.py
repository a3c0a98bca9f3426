"""The trained step of the reader: a dialogue-act classifier and one yes/no classifier per
built-in intent, both logistic regressions over the named features of `features.py`.

scikit-learn trains them (deterministic: fixed solver, no shuffling); inference is a sparse
dot product in numpy, so reading a sentence costs microseconds and every decision can name
the features and the training sentences behind it. The model is built on first use from the
corpus and cached as a plain .npz (no pickle) keyed by the corpus digest and feature version:
building takes seconds, loading milliseconds, and nothing binary lives in the repository.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.language import features
from simulator.language.corpus import ACTS, Example, corpus_digest, load_corpus, split_of
from simulator.language.vocabulary import BUILTIN_INTENTS

MODEL_VERSION = 4
ACT_C, INTENT_C = 32.0, 32.0  # regularisation, chosen on the dev split (bench/bench_reader.py --tune)
CLASS_WEIGHT: str | None = "balanced"  # few positives per intent: without it recall collapses
FIT_SPLITS = ("train", "dev")


@dataclass(frozen=True, slots=True)
class Vector:
    idx: np.ndarray  # feature indices (int32), unique
    val: np.ndarray  # weights (float32), L2-normalised


@dataclass(frozen=True, slots=True)
class Neighbour:
    text: str
    similarity: float


class ReaderModel:
    """Vocabulary, idf, the act and intent weights, and the training sentences (for "why")."""

    def __init__(self, language: str, arrays: dict[str, np.ndarray]) -> None:
        self.language = language
        self.vocab_names: list[str] = arrays["vocab"].tolist()
        self.vocab = {name: i for i, name in enumerate(self.vocab_names)}
        self.idf = arrays["idf"]
        self.acts: tuple[str, ...] = tuple(arrays["acts"].tolist())
        self.act_w, self.act_b = arrays["act_w"], arrays["act_b"]
        self.intents: tuple[str, ...] = tuple(arrays["intents"].tolist())
        self.int_w, self.int_b = arrays["int_w"], arrays["int_b"]
        self.thresholds = arrays["thresholds"]
        # Feature-major copies: a sentence gathers ~100 rows of these, contiguous in memory.
        self._act_wt = np.ascontiguousarray(self.act_w.T)
        self._int_wt = np.ascontiguousarray(self.int_w.T)
        self.max_idf = float(self.idf.max()) if len(self.idf) else 1.0
        # Training sentences as rows of a CSR matrix, for the nearest examples behind a reading.
        self.train_texts: list[str] = arrays["train_texts"].tolist()
        self.train_labels: list[str] = arrays["train_labels"].tolist()  # "act|intent,intent"
        self._tx = (arrays["tx_data"], arrays["tx_indices"], arrays["tx_indptr"])
        self._tx_csc = None

    # -------------------------------------------------------------------------- vectors

    def vector(self, feats: list[str]) -> Vector:
        """Sublinear tf x idf over known features, L2-normalised."""
        get = self.vocab.get
        return weigh([i for i in map(get, feats) if i is not None], self.idf)

    def act_scores(self, v: Vector) -> np.ndarray:
        z = v.val @ self._act_wt[v.idx] + self.act_b
        z = np.exp(z - z.max())
        return z / z.sum()

    def intent_scores(self, v: Vector) -> np.ndarray:
        z = v.val @ self._int_wt[v.idx] + self.int_b
        return 1.0 / (1.0 + np.exp(-z))

    # ----------------------------------------------------------------------- explaining

    def deciding_features(self, v: Vector, row: np.ndarray, k: int = 3) -> list[str]:
        """The features that pushed a decision up the most (weight x value)."""
        if not len(v.idx):
            return []
        contrib = row[v.idx] * v.val
        order = np.argsort(-contrib)[:k]
        return [self.vocab_names[v.idx[i]] for i in order if contrib[i] > 0]

    def nearest(self, v: Vector, wanted: str | None = None, k: int = 2) -> list[Neighbour]:
        """Training sentences most like `v` (cosine); with `wanted`, only those labelled with it."""
        if not len(v.idx):
            return []
        data, indices, indptr = self._tx
        dense = np.zeros(len(self.vocab_names), np.float32)
        dense[v.idx] = v.val
        sims = np.add.reduceat(data * dense[indices], indptr[:-1]) if len(data) else np.zeros(0)
        sims[np.diff(indptr) == 0] = 0.0
        out: list[Neighbour] = []
        for i in np.argsort(-sims):
            if sims[i] <= 0 or len(out) >= k:
                break
            if wanted is None or wanted in _labels(self.train_labels[i]):
                out.append(Neighbour(self.train_texts[i], round(float(sims[i]), 2)))
        return out


def weigh(known: list[int], idf: np.ndarray) -> Vector:
    """A sentence's vector from the vocabulary indices of its features (repeats count): sublinear
    tf x idf, L2-normalised. Training and reading weigh alike through this one function."""
    if not known:
        return Vector(np.zeros(0, np.int32), np.zeros(0, np.float32))
    idx, tf = np.unique(np.array(known, np.int32), return_counts=True)
    val = (1.0 + np.log(tf)) * idf[idx].astype(np.float64)
    val /= float(np.sqrt(val @ val)) or 1.0
    return Vector(idx, val.astype(np.float32))


def _labels(packed: str) -> set[str]:
    act, _, intents = packed.partition("|")
    return {act, *filter(None, intents.split(","))}


# ----------------------------------------------------------------------------- training

def sentence_features(text: str, language: str) -> list[str]:
    """Features of a lone sentence, with its time expressions (the same step the reader runs)."""
    from simulator.language.timeexpr import find_time_expressions
    return features.featurize(text, language, [t.kind for t in find_time_expressions(text, language)])


def train(language: str, examples: list[Example], act_c: float = ACT_C, intent_c: float = INTENT_C,
          class_weight: str | None = CLASS_WEIGHT) -> dict[str, np.ndarray]:
    """Fit both classifiers on `examples` (normally the train split) and return the arrays."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    feats = [sentence_features(ex.text, language) for ex in examples]
    df: dict[str, int] = {}
    for fs in feats:
        for f in set(fs):
            df[f] = df.get(f, 0) + 1
    vocab = sorted(df)
    index = {f: i for i, f in enumerate(vocab)}
    n = len(examples)
    idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in vocab], np.float32)
    vectors = [weigh([index[f] for f in fs], idf) for fs in feats]
    rows = np.repeat(np.arange(n), [len(v.idx) for v in vectors])
    cols = np.concatenate([v.idx for v in vectors])
    X = csr_matrix((np.concatenate([v.val for v in vectors]), (rows, cols)), shape=(n, len(vocab)))
    X.sort_indices()

    # One yes/no model per act (liblinear, dual: seconds, where a multinomial fit takes minutes on
    # two busy cores); the reader turns their scores into a distribution with a softmax.
    act_w = np.zeros((len(ACTS), len(vocab)), np.float32)
    act_b = np.zeros(len(ACTS), np.float32)
    for k, act in enumerate(ACTS):
        y = np.array([ex.act == act for ex in examples], dtype=int)
        clf = LogisticRegression(C=act_c, solver="liblinear", dual=True, max_iter=2000, random_state=0)
        clf.fit(X, y)
        act_w[k], act_b[k] = clf.coef_[0], clf.intercept_[0]

    intents = tuple(BUILTIN_INTENTS)
    int_w = np.zeros((len(intents), len(vocab)), np.float32)
    int_b = np.full(len(intents), -30.0, np.float32)
    for k, intent in enumerate(intents):
        y = np.array([intent in ex.intents for ex in examples], dtype=int)
        if 0 < y.sum() < n:
            clf = LogisticRegression(C=intent_c, solver="liblinear", dual=True, max_iter=2000, class_weight=class_weight,
                                     random_state=0)
            clf.fit(X, y)
            int_w[k], int_b[k] = clf.coef_[0], clf.intercept_[0]
    return {
        "vocab": np.array(vocab), "idf": idf, "acts": np.array(ACTS), "act_w": act_w, "act_b": act_b,
        "intents": np.array(intents), "int_w": int_w, "int_b": int_b,
        "thresholds": np.full(len(intents), 0.5, np.float32),
        "train_texts": np.array([ex.text for ex in examples]),
        "train_labels": np.array([ex.act + "|" + ",".join(ex.intents) for ex in examples]),
        "tx_data": X.data.astype(np.float32), "tx_indices": X.indices.astype(np.int32),
        "tx_indptr": X.indptr.astype(np.int64),
    }


THRESHOLDS = np.arange(0.5, 0.71, 0.05)


def tune_thresholds(model: ReaderModel, dev: list[Example]) -> np.ndarray:
    """Per intent, the probability from which it is heard: the one with the best F1 on dev,
    between 0.5 and 0.7. Balanced class weights lift rare intents' probabilities; this takes
    back the false alarms that costs ("Not at all." as arguing). Dev holds ~15 examples per
    intent, so a flat F1 cannot choose: ties go to the lower threshold (hear rather than miss),
    and the cap keeps one noisy dev set from deafening an intent for unseen wording."""
    language = model.language
    probs = np.array([model.intent_scores(model.vector(sentence_features(ex.text, language))) for ex in dev])
    out = np.full(len(model.intents), 0.5, np.float32)
    for k, intent in enumerate(model.intents):
        y = np.array([intent in ex.intents for ex in dev])
        if not y.any():
            continue
        best = (-1.0, 0.5)
        for th in THRESHOLDS:
            pred = probs[:, k] >= th
            tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 > best[0]:
                best = (f1, float(th))
        out[k] = best[1]
    return out


# ------------------------------------------------------------------------ cache / load

def cache_dir() -> Path:
    """Where built models live: $SIMULATOR_CACHE_DIR, else ~/.cache/simulator."""
    base = os.environ.get("SIMULATOR_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "simulator")
    return Path(base)


def cache_path(language: str) -> Path:
    from importlib.metadata import version
    sk = version("scikit-learn")  # not `import sklearn`: loading a cached model must stay cheap
    key = f"{corpus_digest(language)}-f{features.VERSION}-m{MODEL_VERSION}-sk{sk}"
    return cache_dir() / f"reader-{language}-{key}.npz"


_lock = threading.Lock()
_models: dict[str, ReaderModel] = {}


def model_for(language: str) -> ReaderModel:
    """The reader model of a language: memory, else the disk cache, else trained now on the
    train and dev splits and cached (seconds, once per corpus change)."""
    with _lock:
        m = _models.get(language)
        if m is None:
            m = _models[language] = ReaderModel(language, _load_or_build(language))
        return m


def _load_or_build(language: str) -> dict[str, np.ndarray]:
    path = cache_path(language)
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError):
            pass  # a torn or foreign file: rebuild it
    # Settings are chosen on dev with a train-only model (bench_reader.py --tune), and so is
    # each intent's threshold (below); the shipped model then learns from train + dev. The test
    # split is never seen.
    corpus = load_corpus(language)
    train_only = [ex for ex in corpus if split_of(language, ex.text) == "train"]
    dev = [ex for ex in corpus if split_of(language, ex.text) == "dev"]
    if len({ex.act for ex in train_only}) < 3 or not dev:
        from simulator.language.corpus import CORPUS_DIR, CorpusError
        raise CorpusError(f"{CORPUS_DIR / language}: too few examples to build the reader "
                          f"({len(train_only)} in the train split, {len(dev)} in dev)")
    thresholds = tune_thresholds(ReaderModel(language, train(language, train_only)), dev)
    arrays = train(language, train_only + dev)
    arrays["thresholds"] = thresholds
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, path)  # atomic: a concurrent reader never sees half a file
    except OSError:
        pass  # a read-only home still works, it just trains again next start
    return arrays

