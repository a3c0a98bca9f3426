"""How the scripted customer uses her memory (`simulator.conversation.Memory`).

Lines are judged by what they ASK: a line asking for a time ("how much longer?", 「いつ頃に」)
or a call-back is a re-request once a concrete promise is live; a line asking whether it is
sorted ("is it arranged?") is one once the trainee confirmed it. A line that echoes the trainee
("waiting, how long?", 「待つって、どれくらい？」) is said only when the trainee used that word.
The same tests count re-requests in the sweep (bench/bench_sweep.py), so "never re-asks" means
one thing everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from simulator.conversation import Asked, Memory, Offered
from simulator.customers.rules import Reading
from simulator.models import CustomerState, Promise, Scenario, parse_clock

# A line asking when / how long / for a call-back: answered by any live concrete promise.
_ASKS_TIME = {
    "en": re.compile(r"\b(how (much )?long|much longer|when\b|what time|how many minutes|actual time|call me back"
                     r"|tell me when|be today\?|know today|take long|keep me waiting)", re.I),
    "ja": re.compile(r"どのくらい|どれくらい|いつ|何時|何分|まだかか|かかります|かかりそう|折り返|かけ直|今日中|時間だけ|まだ[？?]"
                     r"|まだですか"),
}
# A line asking whether it is arranged / went through / can be done: answered by a confirmation.
_ASKS_DONE = {
    "en": re.compile(r"\b(is it (arranged|sorted|all right now|all sorted)|all sorted|did it go through"
                     r"|where are we with it|where it's at|can (they|you|it) be added|can you add|that's definite"
                     r"|it will come today, won't it|is that right)", re.I),
    "ja": re.compile(r"追加(は|して)?(でき|いただけ)|手配.{0,6}(でしょうか|ですか|ますか)|大丈夫(でしょうか|ですよね)"
                     r"|通って(ますか|いますか)|届きますよね|来るんですよね"),
}
# The trainee's own word a line echoes: 「待つって、どれくらい？」 / "You say you'll get back to me".
_ECHO = {
    "en": re.compile(r"\byou say (?:you'll |you will |you )?([a-z' ]+?)\s*[—,-]", re.I),
    "ja": re.compile(r"^([^、。…？?\s]{1,6}?)って"),
}
_NEUTRAL_ECHO = {"それ", "これ", "あれ", "そう"}
CONFIRMING = ("shares_good_news", "confirms_back")
OFFERING = ("offers_faster_option", "offers_alternative", "offers_callback", "takes_ownership", "interim_update")

# Built-in lines for moves the scenario files have no kind for; short, so any persona can say them.
GENERIC: dict[str, dict[str, list[str]]] = {
    "thanks": {"en": ["Oh… thank you.", "Thank you — that's kind of you.", "Thank you very much."],
               "ja": ["ありがとうございます…。", "あ…ありがとうございます。", "ありがとうございます。うれしいです。"]},
    # A prefix to whatever she answers: the time is all it adds.
    "promise_ack": {"en": ["By {time}…", "{time}, then…", "So, {time}…"],
                    "ja": ["{time}までですね。", "{time}ですね。", "{time}、ですね。"]},
    "overdue": {"en": ["It's past {time} now… you said I'd hear by then.", "It's gone {time} — I was told by {time}…"],
                "ja": ["もう{time}を過ぎていますけど…その時間までに、というお話でしたよね。",
                       "{time}を過ぎましたけど…どうなりましたか。"]},
    "refer_back": {"en": ["Like I said… ", "As I mentioned — ", "I did say… "],
                   "ja": ["さっきも言いましたけど、", "先ほども申し上げましたが、", "繰り返しになりますが、"]},
    "cold_closing": {"en": ["…Fine. Goodbye.", "Right. Bye.", "…Okay. Goodbye."],
                     "ja": ["…もういいです。失礼します。", "…分かりました。失礼します。", "…はい。では。"]},
    "closing_promise": {"en": ["So by {time}, then.", "I'll expect it by {time}."],
                        "ja": ["では、{time}までに、お願いします。", "{time}まで、お待ちしています。"]},
}
COLD_MOOD = -0.5  # at or below this, a goodbye is curt, never "thank you so much"


# A line that already refers back ("Like I said — …", 「さっきも言いましたけど、…」): its marker goes
# before a fresh prefix is put on.
_REFERS_BACK = re.compile(r"^(?:like i said|as i (?:said|mentioned)|i did say)\W*|^(?:さっきも|先ほども)[^、]*、", re.I)


def refer_back(language: str, texts: list[str]) -> list[str]:
    """What she says when asked again for something she already told: each prefix + the content."""
    core = [_REFERS_BACK.sub("", t.strip()) for t in texts]
    sep = "" if language == "ja" else " "
    return [p.strip() + sep + sep.join(core) for p in lines("refer_back", language)]


def lines(key: str, language: str, **slots: str) -> list[str]:
    return [x.format(**slots) for x in GENERIC[key]["ja" if language == "ja" else "en"]]


def say_time(due: str, language: str) -> str:
    """'12:30:00' -> '12:30' / '12時30分': the due time in the customer's words, never the trainee's."""
    s = parse_clock(due)
    h, m = s // 3600, s % 3600 // 60
    if language == "ja":
        return f"{h}時{m}分" if m else f"{h}時"
    return f"{h}:{m:02d}"


def asks_time(text: str, language: str) -> bool:
    return bool(_ASKS_TIME["ja" if language == "ja" else "en"].search(text))


def asks_done(text: str, language: str) -> bool:
    return bool(_ASKS_DONE["ja" if language == "ja" else "en"].search(text))


def echoes_unsaid(line: str, language: str, trainee_text: str) -> bool:
    """Does `line` quote a word the trainee did not say?"""
    m = _ECHO["ja" if language == "ja" else "en"].search(line)
    if not m or m[1] in _NEUTRAL_ECHO:
        return False
    words = re.findall(r"\w+", m[1].lower()) if language != "ja" else [m[1]]
    return not all(w in trainee_text.lower() for w in words)


def live_promises(state: CustomerState, clock_seconds: int) -> list[Promise]:
    """Concrete promises whose due time has not passed yet (a promise without a due time counts
    as live: it answers 'when?')."""
    return [p for p in state.promises if p.concrete and (p.due is None or parse_clock(p.due) > clock_seconds)]


def overdue(state: CustomerState, clock_seconds: int) -> list[Promise]:
    """Concrete promises whose due time has passed and that she has not yet reacted to."""
    return [p for p in state.promises if p.concrete and p.due and parse_clock(p.due) <= clock_seconds
            and p.turn not in state.memory.overdue_noted]


def re_requests(text: str, language: str, answered_time: bool, confirmed: bool) -> bool:
    """Would saying `text` ask again for something already given (a time, a confirmation)?"""
    return (answered_time and asks_time(text, language)) or (confirmed and asks_done(text, language))


def usable(candidates: Iterable[str], language: str, memory: Memory, *, answered_time: bool,
           trainee_text: str) -> list[str]:
    """The lines she may still say: never said before, asking nothing already given, echoing
    no word the trainee did not use."""
    confirmed = bool(memory.confirmed)
    return [x for x in candidates if x not in memory.said
            and not re_requests(x, language, answered_time, confirmed)
            and not echoes_unsaid(x, language, trainee_text)]


def remember(memory: Memory, reading: Reading, index: int, *, facts: list[str], said: list[str],
             acknowledged: list[int], overdue_noted: list[int]) -> Memory:
    """The memory after this trainee message (at transcript `index`) and the customer's reply."""
    asked = [Asked(turn=index, act="question", intent=i) for i in reading.intents
             if i.startswith("asks_") or i == "confirms_back"]
    if not asked and reading.question:
        asked = [Asked(turn=index, act="question")]
    return memory.model_copy(update={
        "asked": [*memory.asked, *asked],
        "offered": [*memory.offered, *(Offered(turn=index, intent=i) for i in reading.intents if i in OFFERING)],
        "confirmed": [*memory.confirmed, *(i for i in reading.intents if i in CONFIRMING and i not in memory.confirmed)],
        "told_facts": [*memory.told_facts, *(f for f in facts if f not in memory.told_facts)],
        "said": [*memory.said, *dict.fromkeys(s for s in said if s and s not in memory.said)],
        "acknowledged": [*memory.acknowledged, *acknowledged],
        "overdue_noted": [*memory.overdue_noted, *overdue_noted],
        "congratulated": memory.congratulated or reading.has("congratulates"),
    })


def summary(state: CustomerState, scenario: Scenario) -> str:
    """A short state summary for the LLM customer's prompt (what was promised, confirmed, told)."""
    language = scenario.language
    ja = language == "ja"
    out: list[str] = []
    for p in state.promises:
        if p.concrete:
            due = f" ({say_time(p.due, language)})" if p.due else ""
            out.append(f"- 担当者の約束：「{p.text}」{due}" if ja else f"- The staff member promised: \"{p.text}\"{due}")
    if state.memory.confirmed:
        out.append("- 担当者はすでに手配・確認を伝えています。同じことを尋ね直さないでください。" if ja else
                   "- The staff member has already confirmed it; do not ask again whether it is sorted.")
    told = " ".join(f.text for f in scenario.facts if f.id in state.memory.told_facts)
    if told:
        out.append(f"- すでに伝えたこと：{told}（また聞かれたら「先ほども言いましたが」と）"
                   if ja else f"- Already told: {told} (if asked again, refer back to it)")
    if state.memory.congratulated:
        out.append("- お祝いの言葉をもらいました。" if ja else "- You were congratulated; you thanked them.")
    return "\n".join(out)
