"""Sentence split: the reader's first step. Spans index the ORIGINAL text and exclude the
whitespace around each sentence, so `text[start:end]` is what gets quoted."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Japanese: a sentence ends at 。！？!? (closing brackets stay with it), or at a line break.
_JA_END = re.compile(r"[。．！？!?♪]+[」』）)】〉》\"']*|\.(?=\s)|\n+")
# English: . ! ? followed by space/end (closing quotes/brackets stay with it), or a line break.
_EN_END = re.compile(r"(?:[.!?]+|…)[\"')\]]*(?=\s|$)|\n+")
# Abbreviations after which a full stop does not end an English sentence.
_EN_ABBREV = re.compile(
    r"(?:\b(?:no|vs|etc|e\.g|i\.e|approx|dept|ref|tel|ext|jan|feb|mar|apr|jun|jul|aug"
    r"|sep|sept|oct|nov|dec|mon|tue|tues|wed|thu|thurs|fri|sat|sun)|\b[a-z]\.[a-z]|\b[a-z])\.$",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SentenceSpan:
    start: int
    end: int


def split_sentences(text: str, language: str) -> list[SentenceSpan]:
    """Sentences of `text` in order; a text without an end mark is one sentence."""
    ends = _JA_END if language == "ja" else _EN_END
    out: list[SentenceSpan] = []
    lo = 0
    for m in ends.finditer(text):
        hi = m.end()
        if m.group().startswith(".") and not m.group().startswith(".."):
            if _ENUMERATION.fullmatch(text[lo:m.start()]) or (language == "en" and _abbrev(text, lo, m.start() + 1)):
                continue
        _add(out, text, lo, hi)
        lo = hi
    _add(out, text, lo, len(text))
    return out


_ENUMERATION = re.compile(r"\s*(?:\d{1,2}|[a-zA-Z])")  # "1. Is this..." / "b. The ..." : a list item's marker
_TITLE = re.compile(r"\b(?:mr|mrs|ms|dr|st|prof)\.$", re.IGNORECASE)  # a name always follows


def _abbrev(text: str, lo: int, dot_end: int) -> bool:
    """A full stop after a title ("Dr."), or after an abbreviation ("p.m.", "No.") that a
    lower-case word or a digit follows, does not end the sentence."""
    if _TITLE.search(text[max(lo, dot_end - 6):dot_end]):
        return True
    if not _EN_ABBREV.search(text[max(lo, dot_end - 8):dot_end]):
        return False
    rest = text[dot_end:].lstrip()
    return bool(rest) and (rest[0].islower() or rest[0].isdigit())


def _add(out: list[SentenceSpan], text: str, lo: int, hi: int) -> None:
    chunk = text[lo:hi]
    stripped = chunk.strip()
    if not stripped or not any(ch.isalnum() for ch in stripped):
        return  # bare punctuation or whitespace is no sentence
    s = lo + (len(chunk) - len(chunk.lstrip()))
    out.append(SentenceSpan(s, s + len(stripped)))
