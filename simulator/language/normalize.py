"""Text normalisation with an offset map back to the original text.

Detection runs on normalised text (half-width digits, lower-case Latin, one wave dash, one
long-vowel mark, Arabic numerals for cheap kanji numerals), but score cards quote exact
substrings of what the trainee typed, so every normalised character remembers the span of
original characters it came from.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel

SUPPORTED_LANGUAGES = ("ja", "en")

# Spacing voiced marks (゛゜) decompose under NFKC into a space plus a combining mark, which
# would split "か゛" into two words; treat them as the combining marks they stand for.
_SPACING_MARKS = {"\u309b": "\u3099", "\u309c": "\u309a"}
_COMBINING_EXTRA = set("\uff9e\uff9f\u3099\u309a\u309b\u309c")
_WAVES = set("~\u301c\uff5e\u3030\u223c")  # ~ 〜 ～ 〰 ∼
_DASHES = set("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d\uff70")  # ‐‑‒–—―−ー－ｰ
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_RUN = re.compile("[〇零一二三四五六七八九十百千]+")
# Counters after which a kanji numeral is a quantity we care about (times, dates, amounts).
_COUNTER = re.compile(
    r"(?:営業日|時間|週間|か月|ヶ月|カ月|ケ月|箇月|時|分|秒|日|週|個|件|名|人|回|箱|本|点|袋|キロ|円|枚|月|年|つ)")
# 二〜三日 / 二、三日: the first numeral of a range takes the counter of the second.
_RANGE_NEXT = re.compile(r"(?:~|-|から|、)[〇零一二三四五六七八九十百千0-9]+" + _COUNTER.pattern)
# 十分 is also "enough" (じゅうぶん); only convert it when a time word follows.
_TEN_MINUTES_AFTER = re.compile(r"(?:ほど|程|以内|後|ごと|毎|おき|前|くらい|ぐらい|位|程度|まで|弱|強|経|待|で(?!す|しょ|ござ|き)|も)")
# 一時的 / 一時停止 are "temporary", not one o'clock.
_ONE_OCLOCK_NOT = re.compile(r"(?:的|停止|保留|期|預|中断|帰|休)")


class Span(BaseModel):
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """`text` is normalised; character k of it came from original[starts[k]:ends[k]]."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> Span:
        """Map a normalised span [start, end) to the original span covering it."""
        lo, hi = self.bounds(start, end)
        return Span(start=lo, end=hi)

    def bounds(self, start: int, end: int) -> tuple[int, int]:
        """`span` as a plain pair, for the detection hot path (no model built per hit)."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span {start}:{end} is outside the normalised text (length {len(self.text)})")
        if start == end:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def check_language(language: str) -> str:
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"language '{language}' is not supported; use one of {', '.join(SUPPORTED_LANGUAGES)}")
    return language


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u30ff" and ch not in "\u30fb"  # hiragana, katakana, ー; not ・


@lru_cache(maxsize=8192)
def _fold(cluster: str) -> str:
    """NFKC + lower-case of one character cluster (cached: texts reuse few distinct characters)."""
    cluster = "".join(_SPACING_MARKS.get(c, c) for c in cluster)
    return unicodedata.normalize("NFKC", cluster).lower()


_NEEDS_SLOW = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
                         "\uff9e\uff9f\u3099-\u309c]")
_ONE_TO_ONE = str.maketrans({**_QUOTES, **{w: "~" for w in _WAVES}})
_ONE_TO_ONE_CHARS = re.compile("[" + re.escape("".join(sorted(set(_QUOTES) | _WAVES))) + "]")
_SPACE = re.compile(r"\s")  # every odd-space case involves one
_DASH_CLASS = "[" + re.escape("".join(sorted(_DASHES))) + "]"
_HYPHEN = re.compile(_DASH_CLASS)
_ODD_SPACE = {"en": re.compile(r"\s\s|[^\S ]|^\s|\s$"),
              "ja": re.compile(r"\s\s|[^\S ]|^\s|\s$|[^\x00-\x7f]\s|\s[^\x00-\x7f]")}


def _fold_fast(text: str, language: str) -> str | None:
    """The common case in one C-speed pass: every character folds to exactly one character
    and no whitespace needs collapsing, so the offset map is the identity. None otherwise."""
    if text.isascii():  # English, mostly: no quote, wave or dash to unify ("~" and "-" stay as they are)
        folded = text.lower()
        return None if _SPACE.search(folded) and _ODD_SPACE[language].search(folded) else folded
    if _NEEDS_SLOW.search(text):
        return None
    folded = unicodedata.normalize("NFKC", text).lower()
    if len(folded) != len(text) or (_SPACE.search(folded) and _ODD_SPACE[language].search(folded)):
        return None
    if _ONE_TO_ONE_CHARS.search(folded):
        folded = folded.translate(_ONE_TO_ONE)
    # a long-vowel dash follows kana (ル－ル); any other dash is a hyphen (2-3日)
    if _HYPHEN.search(folded):
        chars = list(folded)
        for m in _HYPHEN.finditer(folded):
            i = m.start()
            chars[i] = "ー" if i and _is_kana(chars[i - 1]) else "-"
        folded = "".join(chars)
    return folded


def _fold_chars(text: str) -> tuple[list[str], list[int], list[int]]:
    """NFKC per character cluster, lower-case, unify quotes, wave dashes and long-vowel marks."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and (text[j] in _COMBINING_EXTRA or unicodedata.combining(text[j])):
            j += 1
        for ch in _fold(text[i:j]):
            if ch in _QUOTES:
                ch = _QUOTES[ch]
            elif ch in _WAVES:
                ch = "~"
            elif ch in _DASHES:
                # After kana a dash is a long vowel (ル－ル); elsewhere a hyphen or range (2-3日).
                ch = "ー" if chars and _is_kana(chars[-1]) else "-"
            chars.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return chars, starts, ends


def _collapse_spaces(chars: list[str], starts: list[int], ends: list[int], language: str
                     ) -> tuple[list[str], list[int], list[int]]:
    """Runs of whitespace become one space; in Japanese a space next to a non-ASCII
    character is dropped (申し訳 ございません, 本日　１６時), since Japanese does not separate words."""
    out_c: list[str] = []
    out_s: list[int] = []
    out_e: list[int] = []
    k, n = 0, len(chars)
    while k < n:
        if not chars[k].isspace():
            out_c.append(chars[k]); out_s.append(starts[k]); out_e.append(ends[k])
            k += 1
            continue
        m = k
        while m < n and chars[m].isspace():
            m += 1
        before = out_c[-1] if out_c else None
        after = chars[m] if m < n else None
        if before is not None and after is not None:
            if not (language == "ja" and not (before.isascii() and after.isascii())):
                out_c.append(" "); out_s.append(starts[k]); out_e.append(ends[m - 1])
        k = m
    return out_c, out_s, out_e


def kanji_number(run: str) -> int:
    """二〇二六 -> 2026, 三十 -> 30, 百二十 -> 120, 十六 -> 16."""
    if not any(c in _KANJI_UNITS for c in run):
        return int("".join(str(_KANJI_DIGITS[c]) for c in run))
    total, cur = 0, 0
    for c in run:
        if c in _KANJI_UNITS:
            total += (cur or 1) * _KANJI_UNITS[c]
            cur = 0
        else:
            cur = cur * 10 + _KANJI_DIGITS[c]
    return total + cur


def _kanji_numerals(chars: list[str], starts: list[int], ends: list[int]
                    ) -> tuple[list[str], list[int], list[int]]:
    """Convert kanji numerals followed by a counter (三十分 -> 30分, 十六時 -> 16時)."""
    text = "".join(chars)
    out_c: list[str] = []
    out_s: list[int] = []
    out_e: list[int] = []
    pos = 0
    for m in _KANJI_RUN.finditer(text):
        rest = text[m.end():]
        counter = _COUNTER.match(rest)
        convert = counter is not None or _RANGE_NEXT.match(rest) is not None
        if convert and m.group() == "十" and rest.startswith("分"):
            convert = bool(_TEN_MINUTES_AFTER.match(rest[1:]))
        if convert and m.group() == "一" and rest.startswith("時") and not rest.startswith("時間"):
            convert = not _ONE_OCLOCK_NOT.match(rest[1:])
        if convert and m.group() == "一" and rest.startswith("日"):
            convert = bool(_TEN_MINUTES_AFTER.match(rest[1:]))  # 素敵な一日 is "a day", not the 1st
        if convert and m.start() > 0 and text[m.start() - 1] in "第唯統数":
            convert = False  # 第一 / 唯一 / 統一: words, not quantities; 数十分: "some tens", vague
        if not convert:
            continue
        out_c.extend(chars[pos:m.start()]); out_s.extend(starts[pos:m.start()]); out_e.extend(ends[pos:m.start()])
        src_s, src_e = starts[m.start()], ends[m.end() - 1]
        for d in str(kanji_number(m.group())):
            out_c.append(d); out_s.append(src_s); out_e.append(src_e)
        pos = m.end()
    out_c.extend(chars[pos:]); out_s.extend(starts[pos:]); out_e.extend(ends[pos:])
    return out_c, out_s, out_e


def normalize_mapped(text: str, language: str, cache: bool = True) -> NormalizedText:
    """Normalise `text` and keep, for each normalised character, its original span.

    `cache=False` for a caller that caches what it builds from the result itself."""
    check_language(language)
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return _normalize_cached(text, language) if cache else _normalize(text, language)


def _normalize(text: str, language: str) -> NormalizedText:
    fast = _fold_fast(text, language)
    if fast is not None and not (language == "ja" and _KANJI_RUN.search(fast)):
        starts, ends = _identity(len(fast))
        return NormalizedText(original=text, text=fast, starts=starts, ends=ends)
    if fast is not None:
        chars, starts, ends = list(fast), list(range(len(fast))), list(range(1, len(fast) + 1))
    else:
        chars, starts, ends = _fold_chars(text)
        chars, starts, ends = _collapse_spaces(chars, starts, ends, language)
    if language == "ja":
        chars, starts, ends = _kanji_numerals(chars, starts, ends)
    return NormalizedText(original=text, text="".join(chars), starts=tuple(starts), ends=tuple(ends))


_normalize_cached = lru_cache(maxsize=4096)(_normalize)


@lru_cache(maxsize=1024)
def _identity(n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The offset map of a text that folded character for character (shared, immutable)."""
    return tuple(range(n)), tuple(range(1, n + 1))


def normalize(text: str, language: str) -> str:
    """NFKC, lower-case Latin, one wave dash (~) and long-vowel mark (ー), collapsed
    whitespace, cheap kanji numerals (ja). The same function keywords are normalised with."""
    return normalize_mapped(text, language).text
