"""Time expressions in trainee messages: concrete promises (16時までに, within 30 minutes),
vague waits (少々, shortly) and update rhythms (30分ごとに, every 30 minutes).

Matching runs on normalised text; every returned span indexes the ORIGINAL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Literal, NamedTuple


from simulator.language.normalize import NormalizedText, check_language, normalize_mapped
from simulator.models import format_clock, parse_clock

Kind = Literal["clock", "duration", "date", "vague", "rhythm"]
DAY = 24 * 3600


@dataclass(frozen=True, slots=True)
class TimeExpression:
    """A time expression found in a message. Frozen: cached and shared between callers; a
    slotted dataclass like `IntentHit`, for the same reason (built per new message)."""

    text: str  # exact substring of the original text: original[start:end]
    start: int
    end: int
    concrete: bool  # everything but kind "vague"
    kind: Kind
    # HH:MM:SS, absolute: clock times always; durations and rhythms (first update) when `now`
    # is known; None for dates (明日の午前中, by tomorrow morning) and vague phrases.
    due: str | None = None
    # Seconds from `now`: a duration's (upper) length, a rhythm's interval, a clock time's
    # distance (wrapping past midnight), a span of calendar days; None when unknown.
    within_seconds: int | None = None


class Candidate(NamedTuple):  # a tuple: built for every match, so it must be cheap
    start: int
    end: int
    kind: Kind
    seconds: int | None = None  # duration / rhythm length; for days the calendar length
    clock: int | None = None  # seconds since midnight for clock times
    priority: int = 1  # lower wins a tie on the same span (vague before duration: "in a minute")


_Builder = Callable[[re.Match[str]], Candidate | None]

# ------------------------------------------------------------------------------ units

_UNIT_JA = {"秒": 1, "分": 60, "時間": 3600, "日": DAY, "日間": DAY, "営業日": DAY, "週間": 7 * DAY,
            "か月": 30 * DAY, "ヶ月": 30 * DAY, "カ月": 30 * DAY}
_WORDS_EN = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
             "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
             "thirty": 30, "forty": 40, "forty-five": 45, "forty five": 45, "sixty": 60, "ninety": 90,
             "a couple of": 2, "couple of": 2, "half an": 0.5, "half a": 0.5}


def _unit_en(word: str) -> int:
    if word.startswith(("business", "working")):
        return DAY
    return {"s": 1, "m": 60, "h": 3600, "d": DAY, "w": 7 * DAY}[word[0]]


def _num_en(word: str) -> float:
    return float(word) if word[0].isdigit() else _WORDS_EN[word]


def _clock(hour: int, minute: int, marker: str) -> int | None:
    """Seconds since midnight, or None when the numbers are not a time of day."""
    if hour > 24 or minute > 59:
        return None
    if marker in ("pm", "午後", "夕方", "夜", "晩") and hour < 12:
        hour += 12
    elif marker in ("am", "午前", "朝") and hour == 12:
        hour = 0
    elif not marker and 1 <= hour <= 7:
        hour += 12  # "4時まで" in a shop's day is 16:00; nobody promises 04:00
    return (hour % 24) * 3600 + minute * 60


# ----------------------------------------------------------------------- japanese rules

_JA_CORE = r"(?:(?P<h>\d{1,2})時(?!間)(?:(?P<m>\d{1,2})分|(?P<half>半))?|(?P<hh>\d{1,2}):(?P<mm>\d{2})|(?P<noon>正午))"


def _ja_clock(m: re.Match[str]) -> Candidate | None:
    if m["noon"]:
        hour, minute = 12, 0
    elif m["h"]:
        hour, minute = int(m["h"]), 30 if m["half"] else int(m["m"] or 0)
    else:
        hour, minute = int(m["hh"]), int(m["mm"])
    marker = (m["ampm"] or "").rstrip("の")
    secs = _clock(hour, minute, marker)
    if secs is None:
        return None
    if m["day"] and m["day"] not in ("本日", "今日", "きょう"):
        return Candidate(m.start(), m.end(), "date")  # tomorrow at 10: a date, no same-day due time
    return Candidate(m.start(), m.end(), "clock", clock=secs)


def _ja_duration(m: re.Match[str]) -> Candidate | None:
    unit = m["unit"]
    n = int(m["hi"] or m["n"])
    secs = n * _UNIT_JA[unit] + (_UNIT_JA[unit] // 2 if m["half"] else 0)
    if _UNIT_JA[unit] < DAY:
        return Candidate(m.start(), m.end(), "duration", seconds=secs)
    # "24日" alone is a day of the month; only a qualified or ranged count of days is a span.
    span = unit != "営業日" and (m["hi"] or m["qual"] or unit in ("日間", "週間") or unit.endswith("月"))
    return Candidate(m.start(), m.end(), "date", seconds=secs if span else None)


def _ja_rhythm(m: re.Match[str]) -> Candidate | None:
    secs = int(m["n"] or 1) * _UNIT_JA[m["unit"]] + (1800 if m["half"] else 0)
    return Candidate(m.start(), m.end(), "rhythm", seconds=secs)


def _date(m: re.Match[str]) -> Candidate:
    return Candidate(m.start("t") if "t" in m.re.groupindex else m.start(),
                 m.end("t") if "t" in m.re.groupindex else m.end(), "date")


def _vague(m: re.Match[str]) -> Candidate:
    return Candidate(m.start(), m.end(), "vague", priority=0)


_WD_JA = r"(?:\s*\([月火水木金土日]\)|の?[月火水木金土日]曜日?)"  # (土) / 土曜日
_PART_JA = r"(?:の?(?:午前中|午前|午後|朝|夕方|夜))"
_UNTIL_JA = r"(?:まで(?:に(?:は)?)?|迄に?|以内|までには|頃|ごろ)?"
_JA_RULES: list[tuple[str, _Builder]] = [
    (r"(?P<n>\d{1,3})?\s*(?P<unit>分|時間)(?P<half>半)?(?:ごと|毎|おき)(?:に)?", _ja_rhythm),
    (r"(?P<n>\d{1,3})?\s*(?P<unit>分|時間)(?P<half>)に1(?:回|度)", _ja_rhythm),
    (r"(?:(?P<day>本日|今日|きょう|明日|明後日|あす|あさって|(?:\d{1,2}月)?\d{1,2}日" + _WD_JA + r"?)の?)?(?P<ampm>午前|午後|夕方の?|夜の?|晩の?|朝の?|昼の?)?\s*"
     + _JA_CORE + r"(?:頃|ごろ)?" + _UNTIL_JA, _ja_clock),
    (r"(?:約|およそ|大体|だいたい|あと|残り)?(?P<n>\d{1,3})(?:\s*[~\-]\s*(?P<hi>\d{1,3}))?\s*"
     r"(?P<unit>秒|分|時間|営業日|日間|日|週間|か月|ヶ月|カ月)(?!曜)(?P<half>半)?"
     r"(?P<qual>(?:ほど|程度|程|くらい|ぐらい|位|前後)?(?:以内(?:に)?|後|で|まで(?:に)?|のうち|以上)?)", _ja_duration),
    (r"(?:本日|今日|きょう)(?:中|のうち)(?:に)?", _date),
    (r"一両日(?:中)?(?:に)?", _date),
    (r"(?:本日|今日|きょう)の?(?:午前中|午後|夕方)(?:まで(?:に)?|中に|に|には)?", _date),
    (r"(?:明日|明後日|あす|あさって)(?:の)?(?:午前中|午前|午後|朝|夕方|夜|中|うち|以降)(?:に|まで(?:に)?|には)?", _date),
    (r"(?:明日|明後日|あす|あさって)(?:まで(?:に(?:は)?)?|には)", _date),
    (r"(?:明日|明後日|あす|あさって)(?=に|お届け|発送|到着|着|の便|出荷)", _date),
    (r"(?:今週|来週|今月|来月)(?:中|末|いっぱい)(?:に|まで(?:に)?)?", _date),
    (r"(?:月|火|水|木|金|土|日)曜(?:日)?(?:まで(?:に)?|中|の?午前中)?", _date),
    (r"\d{1,2}月\d{1,2}日" + _WD_JA + r"?" + _PART_JA + r"?(?:まで(?:に)?|頃|中)?", _date),
    (r"\d{1,2}日" + _WD_JA + _PART_JA + r"?(?:まで(?:に)?|頃|中)?", _date),  # 29日(土)午前中
    (r"\d{1,2}日" + _PART_JA + r"(?:まで(?:に)?|頃|中)?", _date),  # 29日の午前中
    # 少々 / もう少し only as a wait ("もう少し詳しく" asks for detail, it is no wait)
    (r"もうしばらく|今しばらく|しばらく|暫く|(?:もう)?少々(?=\s*(?:お待|お時間|時間|かか|待|ください|、|。|$))"
     r"|もう少し(?:だけ)?(?=お待|お時間|時間|かか|待)|後ほど|のちほど|追って"
     r"|(?:できる|出来る)(?:だけ|限り)(?:早く|早め|早急|すぐ)|なるべく(?:早く|早め)|早急に|至急|近日中|近いうち"
     r"|順次|数十?(?:秒|分|時間|日|週間)(?:ほど|程度|後|以内|中|で)?|早め(?:に)?|いずれ(?!か|も|の)|そのうち|(?<!明)後日|間もなく|まもなく|折を見て", _vague),
]

# ------------------------------------------------------------------------ english rules

_NUM_EN = (r"(?:\d{1,3}|a couple of|couple of|half an|half a|forty[- ]five|one|two|three|four|five|six|seven|eight|nine"
           r"|ten|eleven|twelve|fifteen|twenty|thirty|forty|sixty|ninety|an|a)")
_UNIT_EN = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|business days?|working days?|days?|weeks?)"


def _en_clock(m: re.Match[str]) -> Candidate | None:
    if m["noon"]:
        hour, minute, marker = (0, 0, "am") if m["noon"] == "midnight" else (12, 0, "pm")
    elif m["h"]:
        hour, minute = int(_num_en(m["h"])), int(m["m"] or 0)
        marker = "" if "clock" in m["ap"] else ("pm" if m["ap"][0] == "p" else "am")
    else:
        hour, minute, marker = int(m["hh"]), int(m["mm"]), ""
    secs = _clock(hour, minute, marker)
    if secs is None:
        return None
    if "tomorrow" in ((m["day"] or "") + (m["day2"] or "")):
        return Candidate(m.start(), m.end(), "date")
    return Candidate(m.start(), m.end(), "clock", clock=secs)


def _en_past_to(m: re.Match[str]) -> Candidate | None:
    """"half past four", "quarter to five" (British); a bare hour is read in business hours."""
    hour = int(_num_en(m["h"]))
    minute = {"half past": 30, "quarter past": 15, "quarter to": -15}[m["q"] + " " + m["dir"]]
    if minute < 0:
        hour, minute = hour - 1, 45
    marker = m["ap"][0] + "m" if m["ap"] else ("pm" if 1 <= hour < 8 else "")
    secs = _clock(hour, minute, marker)
    return None if secs is None else Candidate(m.start(), m.end(), "clock", clock=secs)


def _en_duration(m: re.Match[str]) -> Candidate | None:
    n_word, unit = m["n"], m["unit"]
    if n_word in ("a", "an") and unit.startswith("sec"):
        return None  # "a second call": not a wait
    n = _num_en(m["hi"] or n_word)
    secs = int(n * _unit_en(unit))
    if _unit_en(unit) < DAY:
        return Candidate(m.start(), m.end(), "duration", seconds=secs)
    business = unit.startswith(("business", "working"))
    return Candidate(m.start(), m.end(), "date", seconds=None if business else secs)


def _en_rhythm(m: re.Match[str]) -> Candidate | None:
    if m["unit"] is None:
        return Candidate(m.start(), m.end(), "rhythm", seconds=3600)  # hourly
    if m["unit"].startswith("half"):
        return Candidate(m.start(), m.end(), "rhythm", seconds=1800)
    return Candidate(m.start(), m.end(), "rhythm", seconds=int(_num_en(m["n"] or "1") * _unit_en(m["unit"])))


_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_EN_RULES: list[tuple[str, _Builder]] = [
    (r"\b(?:(?:by|before|until|till|at|around|about)\s+)?(?P<q>half|quarter) (?P<dir>past|to) "
     r"(?P<h>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b(?:\s*(?P<ap>am\b|pm\b))?",
     _en_past_to),
    (r"\bevery (?:(?P<n>" + _NUM_EN + r") )?(?P<unit>half(?:-| |an |a )hour|seconds?|minutes?|mins?|hours?|hrs?)\b"
     r"|\bhourly\b", _en_rhythm),
    (r"\b(?:(?:by|before|until|till|at|around|about|no later than|not later than)\s+)?"
     r"(?:(?P<day>today|tonight|tomorrow)\s+(?:at|by|before|around)\s+)?"
     r"(?:(?P<h>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?::(?P<m>\d{2}))?\s*"
     r"(?P<ap>a\.m\.|p\.m\.|am\b|pm\b|o'?clock\b)|(?P<hh>\d{1,2}):(?P<mm>\d{2})\b"
     r"|(?P<noon>noon|midday|midnight)\b)(?:\s+(?P<day2>today|tomorrow))?", _en_clock),
    (r"\b(?:(?:within|in|after|about|around|approximately|roughly|under|less than|up to|no more than|for|another)\s+)?"
     r"(?:(?:about|around|approximately|roughly|the next|another)\s+)?(?P<n>" + _NUM_EN + r")"
     r"(?:\s*(?:-|to|or)\s*(?P<hi>" + _NUM_EN + r"))?\s*(?:more\s+)?(?P<unit>" + _UNIT_EN + r")\b", _en_duration),
    (r"\bwithin the (?:next )?hour\b", lambda m: Candidate(m.start(), m.end(), "duration", seconds=3600)),
    (r"\b(?:by |before |until |within )?(?:the )?end of (?:the )?(?:day|today|business(?: day)?|this week|the week)\b", _date),
    (r"\b(?:(?:by|before|until|on|for) )?(?:tomorrow|the day after tomorrow) (?:morning|afternoon|evening|night)\b", _date),
    (r"\b(?:(?:by|before|until) )?(?:the day after tomorrow|tomorrow)\b", _date),
    (r"\b(?:by|before|until|till|during|this) (?:today|tonight|afternoon|evening)\b", _date),
    (r"\b(?:ship|send|dispatch|deliver|arrive|call|contact|confirm|email|reply|answer|process)[a-z]* "
     r"(?:(?:it|them|this|you|out|back|the [a-z]+|your [a-z]+) ){0,2}(?P<t>today|tonight)\b", _date),
    # an ordinal is a date only with "the" or a month: "the 28th", "5th of May"; never "90th birthday"
    (r"\b(?:(?:on|by|before|until|till|next) )?(?:the (?P<dn>[0-3]?\d)(?:st|nd|rd|th)(?: of " + _MONTH + r")?"
     r"|[0-3]?\d(?:st|nd|rd|th)? (?:of )?" + _MONTH
     + r"|" + _MONTH + r" [0-3]?\d(?:st|nd|rd|th)?)\b", _date),
    (r"\b(?:(?:on|by|before|until|till|next) )?" + _WEEKDAY + r"(?:,? (?:the )?\d{1,2}(?:st|nd|rd|th)?(?: of)?(?: "
     + _MONTH + r")?| " + _MONTH + r" \d{1,2}(?:st|nd|rd|th)?)?\b(?:,? in the (?:morning|afternoon|evening))?", _date),
    # "talk to you soon" closes a call; it is no wait (the look-behinds follow "soon" so they
    # run only where "soon" is, not at every position of the text)
    (r"\bshortly\b|\bsoon\b(?<!talk to you soon)(?<!speak to you soon)(?<!see you soon)(?<!need it soon)(?<!need them soon)(?<!needed soon)(?<!need this soon)|\bas soon as (?:possible|we can|i can|it'?s ready|we're able)\b|\basap\b"
     r"|\ba (?:little|bit|little bit) (?:longer|more|while)\b|\b(?:for )?a while\b|\bat some point\b"
     r"|\bin (?:a|just a) (?:moment|bit(?! of)|while|sec(?:ond)?|minute|jiffy)\b|\b(?:just|one) (?:a )?(?:moment|sec(?:ond)?|minute)\b"
     r"|\ba moment\b|\blater\b(?! than)|\beventually\b|\bin due course\b|\bin the (?:near )?future\b|\bsome ?time\b"
     r"|\ba few (?:seconds|minutes|hours|days|weeks)\b|\bmomentarily\b|\b(?:hold|hang) on\b|\bbefore long\b"
     r"|\bany (?:minute|day|time) now\b", _vague),
]

# A bare request to wait ("お待ちください", "please bear with us") or "as soon as we know" is a
# vague wait only when its sentence names no other time ("1分ほどお待ちください" is fine; "少々お待ちください"
# is already one vague wait).
_BARE_WAITS = {
    "ja": re.compile(r"お待ち(?:ください|くださいませ|いただけますか|いただけますでしょうか|いただきます|願います)"
                     r"|(?:分かり|わかり|確認(?:が)?(?:取れ|とれ|でき)|判明し|届き|入り)次第"),
    "en": re.compile(r"\bplease (?:wait|hold)\b|\bbear with (?:us|me)\b|\bonce (?:we|i)(?:'ve| have)? (?:checked|heard|know)\b"
                     r"|\bas soon as (?:we|i) (?:know|hear|can|have)\b|\bwhen (?:we|i) (?:know|hear) more\b"),
}
_SENTENCE_END = re.compile(r"[。！？!?\n]|\.(?:\s|$)")

_COMPILED: dict[str, list[tuple[re.Pattern[str], _Builder]]] = {
    lang: [(re.compile(p), b) for p, b in rules] for lang, rules in (("ja", _JA_RULES), ("en", _EN_RULES))}


def _candidates(text: str, language: str) -> list[Candidate]:
    """Time candidates in normalised `text`."""
    found: list[Candidate] = []
    for rx, build in _COMPILED[language]:
        for m in rx.finditer(text):
            if m.end() > m.start():
                cand = build(m)
                if cand is not None:
                    found.append(cand)
    found.extend(_bare_waits(text, language, found))
    # Leftmost, then longest, then vague-before-concrete on an exact tie; drop overlaps.
    found.sort(key=lambda c: (c.start, -(c.end - c.start), c.priority))
    kept: list[Candidate] = []
    for c in found:
        if not kept or c.start >= kept[-1].end:
            kept.append(c)
    return kept


def _bare_waits(text: str, language: str, found: list[Candidate]) -> list[Candidate]:
    out = []
    for m in _BARE_WAITS[language].finditer(text):
        starts = [0] + [e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())]
        end = _SENTENCE_END.search(text, m.end())
        lo, hi = starts[-1], end.start() if end else len(text)
        if not any(lo <= c.start < hi for c in found):
            out.append(Candidate(m.start(), m.end(), "vague", priority=0))
    return out


def parse_now(now: str | None) -> int | None:
    if now is None:
        return None
    try:
        return parse_clock(now)
    except (ValueError, TypeError) as e:
        raise ValueError(f"now: {e}") from None


def scan(text: str, language: str) -> tuple[NormalizedText, tuple[Candidate, ...]]:
    """Normalised text and its time candidates: the costly part, which no clock affects."""
    norm = normalize_mapped(text, language)
    return norm, tuple(_candidates(norm.text, language))


# `find_time_expressions` asks about the same text at several clocks: one scan serves them all.
scan = lru_cache(maxsize=8192)(scan)


def expressions_in(norm: NormalizedText, cands: tuple[Candidate, ...], now: str | None = None) -> list[TimeExpression]:
    """The public expressions of `scan`'s candidates, with due times computed from `now`."""
    now_s = parse_now(now)
    out: list[TimeExpression] = []
    for c in cands:
        lo, hi = norm.bounds(c.start, c.end)
        due: str | None = None
        within: int | None = None
        if c.kind == "clock" and c.clock is not None:
            due = format_clock(c.clock)
            within = (c.clock - now_s) % DAY if now_s is not None else None
        elif c.kind in ("duration", "rhythm") and c.seconds is not None:
            within = c.seconds
            due = format_clock(now_s + c.seconds) if now_s is not None else None
        elif c.kind == "date":
            within = c.seconds
        # positional (text, start, end, concrete, kind, due, within_seconds): the cheapest call
        out.append(TimeExpression(norm.original[lo:hi], lo, hi, c.kind != "vague", c.kind, due, within))
    return out


def find_time_expressions(text: str, language: str, now: str | None = None) -> list[TimeExpression]:
    """All time expressions in `text`, in order. `now` (HH:MM[:SS]) turns durations into due times."""
    check_language(language)
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return list(expressions_cached(text, language, now))


@lru_cache(maxsize=8192)
def expressions_cached(text: str, language: str, now: str | None) -> tuple[TimeExpression, ...]:
    """`find_time_expressions` without the argument checks (callers that checked already)."""
    return tuple(expressions_in(*scan(text, language), now))
