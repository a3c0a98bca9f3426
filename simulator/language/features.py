"""Featurise one sentence: the reader's normalise + featurise steps.

Japanese goes through SudachiPy (sudachidict-core), whose normalised forms unify keigo,
conjugation and spelling variants (頂く/いただく, 致す/いたす, 下さい/ください); English is
lower-cased with contractions expanded. Features are named strings, so the classifier can say
which ones decided:
  w:<token>  word unigram      b:<t1>_<t2>  word bigram       c:<chars>  character n-gram
  end:<tokens>  how the sentence ends (か / ください / ましょうか / "?")   beg:<token>  first word
  time:<kind>  a time expression of that kind (clock, duration, date, vague, rhythm)
  cue:<intent>  a hand-written cue pattern of that intent matched (cues_ja.py / cues_en.py)
Digits become 0 so "30分" and "15分" share features.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

from simulator.language.normalize import normalize

_DIGITS = re.compile(r"\d+")
_EN_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_EN_CONTRACTIONS = {"n't": " not", "'ll": " will", "'m": " am", "'re": " are", "'ve": " have", "'d": " would"}
_EN_CONTRACTION = re.compile(r"(n't|'ll|'m|'re|'ve|'d)\b")
_EN_SHORT = {"u": "you", "ur": "your", "pls": "please", "plz": "please", "thx": "thanks", "ty": "thanks",
             "lemme": "let me", "gonna": "going to", "wanna": "want to", "gimme": "give me", "mins": "minutes",
             "min": "minute", "hrs": "hours", "hr": "hour", "tmrw": "tomorrow", "tmr": "tomorrow", "cuz": "because",
             "coz": "because", "im": "i am", "ill": "i will", "dont": "do not", "cant": "can not", "wont": "will not",
             "didnt": "did not", "isnt": "is not", "ive": "i have", "youre": "you are", "thats": "that is"}
_PUNCT_POS = ("補助記号", "空白")
_JA_PUNCT = re.compile(r"[\s、。，．,.！!？?「」『』（）()…・]+")
_local = threading.local()
VERSION = 3  # bump when features change: trained models are cached under it


def _ja_tokenizer():  # type: ignore[no-untyped-def]
    """One SudachiPy tokenizer per thread (they are not shared safely); the dictionary loads once."""
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import SplitMode
        tok = _local.tokenizer = _dictionary().tokenizer(mode=SplitMode.C)
    return tok


_dict_lock = threading.Lock()
_dict_holder: list[object] = []


def _dictionary():  # type: ignore[no-untyped-def]
    with _dict_lock:
        if not _dict_holder:
            from sudachipy import Dictionary
            _dict_holder.append(Dictionary(dict="core"))
        return _dict_holder[0]


def tokens(sentence: str, language: str, low: str | None = None) -> list[str]:
    """Normalised word tokens (Sudachi normalised forms / expanded English words), digits as 0.
    `low`: the sentence already through `normalize`, when the caller has it."""
    low = normalize(sentence, language) if low is None else low
    if language == "ja":
        out = []
        for m in _ja_tokenizer().tokenize(low):
            if m.part_of_speech()[0] in _PUNCT_POS:
                continue
            out.append(_DIGITS.sub("0", m.normalized_form()))
        return out
    text = _EN_CONTRACTION.sub(lambda m: _EN_CONTRACTIONS[m.group(1)], low)
    words: list[str] = []
    for w in _EN_TOKEN.findall(text.replace("can not", "cannot").replace("cannot", "can not")):
        words.extend(_EN_SHORT.get(w, w).split())
    return [_DIGITS.sub("0", w) for w in words]


_STEMS = (("ies", "y", 5), ("sses", "ss", 5), ("ches", "ch", 5), ("shes", "sh", 5), ("xes", "x", 4),
          ("ing", "", 6), ("ed", "", 5), ("s", "", 4))


def stem(word: str) -> str:
    """A light English stemmer ("pets" -> "pet", "boxes" -> "box", "calling" -> "call"): enough for
    inflections to share a feature; irregular forms keep their own."""
    for suffix, repl, min_len in _STEMS:
        if word.endswith(suffix) and len(word) >= min_len and not (suffix == "s" and word.endswith(("ss", "us", "is"))):
            return word[: -len(suffix)] + repl
    return word


def _char_ngrams(text: str, sizes: Iterable[int]) -> list[str]:
    out = []
    for n in sizes:
        out.extend(text[i:i + n] for i in range(len(text) - n + 1))
    return out


@lru_cache(maxsize=2)
def _cues(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One alternation per intent: a sentence costs one search per intent, not per pattern."""
    from simulator.language import cues_en, cues_ja
    cues = (cues_ja if language == "ja" else cues_en).CUES
    return tuple((intent, re.compile("|".join(f"(?:{p})" for p in pats))) for intent, pats in cues.items())


def featurize(sentence: str, language: str, time_kinds: Iterable[str] = ()) -> list[str]:
    """The features of one sentence (a list: repeats count)."""
    low = normalize(sentence, language)
    toks = tokens(sentence, language, low)
    norm = _DIGITS.sub("0", low).strip()
    feats = ["w:" + t for t in toks]
    if language == "en":
        feats += ["s:" + s for s in map(stem, toks) if len(s) > 2]
    feats += ["b:" + a + "_" + b for a, b in zip(toks, toks[1:])]
    if language == "ja":
        chars = _JA_PUNCT.sub("", norm)
        feats += ["c:" + g for g in _char_ngrams(chars, (2, 3))]
    else:
        for w in " ".join(toks).split():
            padded = f" {w} "
            feats += ["c:" + g for g in _char_ngrams(padded, (3, 4)) if g.strip()]
    if toks:
        feats.append("beg:" + toks[0])
        feats.append("end:" + toks[-1])
        if len(toks) > 1:
            feats.append("end:" + toks[-2] + "_" + toks[-1])
        if len(toks) > 2:
            feats.append("end:" + "_".join(toks[-3:]))
    if norm.rstrip("…. ").endswith(("?", "？")):
        feats.append("end:?")
    feats += ["time:" + k for k in time_kinds]
    feats += ["cue:" + intent for intent, rx in _cues(language) if rx.search(low)]
    return feats
