"""Coaching feedback from an analysis: what went well (quoted), what to try next (with a model
phrase from the scenario), in the transcript's language.

Only what the trainee could know is used: their own words, the brief, fixed coaching wording.
A need that stayed hidden is coached as the MOVE that draws it out ("ask what it is for"), from
the need's `drawn_out_by` intents, never from its description or solution; rubric rule ids are
turned into moves, never shown raw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from simulator.models import Criterion, Scenario
from simulator.scoring.card import Analysis, Finding

# key -> (ja, en). Good ones praise a quote; "try" ones say what to do next.
GOOD: dict[str, tuple[str, str]] = {
    "acknowledges_feeling": ("お気持ちを言葉にできています", "you named the customer's feeling"),
    "restates_situation": ("お客様の状況を受け止めて言い返せています", "you reflected what the customer went through"),
    "early": ("手続きより先に気持ちに触れています", "feelings came before procedure"),
    "good_news": ("良い知らせを喜びとして伝えています", "you shared good news as good news"),
    "drawn": ("お客様が言い出す前に、背景を尋ねて本当の要望を引き出しています",
              "you drew the real need out before the customer said it"),
    "asked": ("背景を尋ねる質問ができています", "you asked about the context"),
    "acted": ("要望に合った解決策を自分から提案しています", "you offered a solution that fits the real need"),
    "concrete": ("具体的な時刻・時間を示しています", "you gave a concrete time"),
    "rhythm": ("中間報告の間隔を約束しています", "you promised updates on a fixed rhythm"),
    "signal_plus": ("良い対応です", "good move"),
}
TRY: dict[str, tuple[str, str]] = {
    "no_text": ("応対の発言がありませんでした。まずお客様の気持ちを受け止める一言から始めましょう。",
                "There was no reply from you; start with a sentence that acknowledges the customer."),
    "no_acknowledges_feeling": ("お客様の気持ちを名指ししてみましょう（「ご心配でしたよね」）。",
                                "Name the feeling (\"you must have been worried\")."),
    "no_restates_situation": ("お客様が経験したことを受け止めて言い返しましょう（「〇〇だったのですね」）。",
                              "Reflect what the customer went through (\"so it never arrived\")."),
    "late": ("気持ちへの言葉を、手続き（番号の確認など）より前に置きましょう。",
             "Put the words about the feeling before the procedure (order number, rules)."),
    "rote_opener": ("冒頭の定型のお詫び（「{quote}」）は台本に聞こえます。まず状況と気持ちを受け止めましょう。",
                    "The stock apology as your first words (\"{quote}\") sounds scripted; acknowledge the "
                    "situation and the feeling first."),
    "rote_empathy": ("「{quote}」だけでは具体性がありません。お客様の状況に触れた一言を添えましょう。",
                     "\"{quote}\" on its own says nothing specific; add a sentence about this customer's situation."),
    "over_apology": ("お詫びが{detail}回続いています。一度、具体的に、一人称でお詫びすれば十分です。",
                     "You apologised {detail} times; one specific apology in the first person is enough."),
    "stuffing": ("言葉を並べるだけでは共感になりません。お客様の状況についての文で伝えましょう。",
                 "A list of empathy words is not empathy; say a sentence about the customer's situation."),
    "argues": ("「{quote}」はお客様への反論に聞こえます。まず受け止めましょう。",
               "\"{quote}\" contradicts the customer; accept their account first."),
    "volunteered": ("お客様が自分から話すまで本当の要望が出てきませんでした。用途や期限を一つ、早めに尋ねましょう。",
                    "The real need only came out when the customer volunteered it; ask one question about "
                    "the occasion or deadline early on."),
    "not_acted": ("引き出した要望を解決策に結びつけましょう。{detail}", "Turn the need into a solution. {detail}"),
    "missed": ("お客様の言わない要望を探る質問をしてみましょう。{detail}",
               "Ask a light question to find the need behind the request. {detail}"),
    "late_offer": ("提案が{detail}を過ぎてからでした。期限に間に合ううちに提案しましょう。",
                   "Your offer came after {detail}; offer it while it can still work."),
    "policy": ("「{quote}」と規則で断る前に、「できる」方法を探しましょう。",
               "Before refusing on a rule (\"{quote}\"), look for the way to say yes."),
    "vague": ("「{quote}」は長さが分かりません。具体的な時刻か時間を添えましょう。",
              "\"{quote}\" gives no length; add a concrete time or duration."),
    "stale": ("「{quote}」は約束した時点で既に過ぎた時刻（{detail}）です。今から守れる時刻を示しましょう。",
              "\"{quote}\" was already past ({detail}) when you said it; give a time you can still keep."),
    "no_time": ("待っていただく場面では、必ず具体的な時刻・時間を伝えましょう（「30分以内に折り返します」）。",
                "Whenever the customer has to wait, give a concrete time (\"I'll call you back within 30 minutes\")."),
    "no_rhythm": ("答えが出ないときは、次の連絡時刻と報告の間隔も約束しましょう（「30分ごとにご連絡します」）。",
                  "When the answer is not ready, also promise the next update and its rhythm (\"every 30 minutes\")."),
    "signal_minus": ("「{quote}」は避けましょう。", "Avoid \"{quote}\"."),
    "signal_missing": ("次の動きを取り入れましょう。{detail}", "Try this next time. {detail}"),
}
_PRIORITY = list(TRY)
# Intent -> the move, as advice (ja, en). Findings carry intent ids; the text is chosen here.
MOVES: dict[str, tuple[str, str]] = {
    "asks_occasion": ("ご用途を伺ってみましょう（「何かのお祝いでしょうか」）", "ask what it is for (\"is it for a special occasion?\")"),
    "asks_deadline": ("いつまでに必要か伺ってみましょう", "ask by when they need it"),
    "asks_usage": ("どのようにお使いになるか伺ってみましょう", "ask how they will use it"),
    "asks_availability": ("受け取りの日にご在宅か伺ってみましょう", "ask whether they will be in on the delivery day"),
    "asks_recipient": ("どなた向けか伺ってみましょう", "ask who it is for"),
    "asks_open_question": ("「ほかに気になっていることはございますか」と開いた質問をしてみましょう",
                           "ask an open question (\"is there anything else on your mind?\")"),
    "asks_details": ("必要な点を一度にまとめて伺いましょう", "ask the few details that matter in one go"),
    "notices_timing": ("なぜ今お電話くださったのかに気づいて触れてみましょう", "notice why they are getting in touch now"),
    "offers_faster_option": ("より早くお届けする方法を提案しましょう", "offer a faster option"),
    "offers_alternative": ("要望に合う別の方法を提案しましょう", "offer an alternative that fits"),
    "offers_callback": ("時刻を決めて折り返しを申し出ましょう", "offer a call-back at a stated time"),
    "promises_concrete_time": ("具体的な時刻を約束しましょう", "promise a concrete time"),
    "confirms_back": ("伺った内容を確認のために言い返しましょう", "confirm back what you heard"),
    "congratulates": ("うれしい知らせには、お祝いの言葉を伝えましょう", "share in good news when you hear it"),
    "acknowledges_feeling": ("お気持ちを言葉にしましょう", "name the customer's feeling"),
    "takes_ownership": ("一人称で引き受けましょう（「私が確認いたします」）", "take it on in the first person"),
    "thanks_for_time": ("お時間をいただいたお礼を伝えましょう", "thank them for their time"),
    "offers_hang_up_first": ("先に電話を切ってよいか伺いましょう", "offer to hang up first"),
}
_GENERIC_MOVE = ("用途・期限・どなた向けかを一つ、軽く伺ってみましょう", "ask one light question about the occasion, the deadline or who it is for")


@dataclass(frozen=True, slots=True)
class Written:
    """The feedback paragraph, and the same points as two separate lists."""

    text: str
    went_well: list[str] = field(default_factory=list)
    try_next: list[str] = field(default_factory=list)


def moves(detail: str, language: str) -> str:
    """'asks_occasion,asks_deadline' -> "For instance: ask what it is for; or ask by when…"."""
    i = _ja(language)
    known = [MOVES[k][i] for k in detail.split(",") if k in MOVES][:2]
    if not known:
        return ""
    return ("例えば、" + "、または".join(known) + "。") if i == 0 else ("For instance: " + "; or ".join(known) + ".")


@cache
def coaching_wording() -> tuple[str, ...]:
    """Every fixed text the feedback is made of: a word found here is generic coaching, no secret."""
    return tuple(x for table in (GOOD, TRY, MOVES) for pair in table.values() for x in pair) + _GENERIC_MOVE


def _ja(language: str) -> int:
    return 0 if language == "ja" else 1


def write(criterion: Criterion, analysis: Analysis, scenario: Scenario | None, language: str,
          said: str = "", ok: Callable[[str], bool] = lambda _: True) -> Written:
    """Feedback: up to two things that went well (quoted), up to two to try, a model phrase.

    `said` is all the trainee's text, so a model phrase they already used is not suggested; `ok`
    says whether a sentence may be shown (no hidden need's facts that never came out)."""
    i = _ja(language)
    goods = _dedupe([f for f in analysis.findings if f.kind == "good" and f.key in GOOD])[:2]
    tries = sorted((f for f in analysis.findings if f.kind == "try" and f.key in TRY),
                   key=lambda f: _PRIORITY.index(f.key))
    tries = _dedupe(tries)[:2] if analysis.level < 4 else _dedupe(tries)[:1]
    parts: list[str] = []
    went: list[str] = []
    nexts: list[str] = []
    for f in goods:
        what = GOOD[f.key][i]
        if f.key == "signal_plus" and f.detail:
            what = f"{what} ({f.detail})"
        point = (f"「{f.quote}」— {what}" if i == 0 else f"\"{f.quote}\" — {what}") if f.quote else what
        if ok(point):
            went.append(point)
            parts.append(f"良かった点：{point}。" if i == 0 else f"Went well: {point}.")
    for f in tries:
        detail = moves(f.detail, language) if f.key in _MOVE_KEYS else f.detail
        if f.key == "missed" and not detail:
            detail = _GENERIC_MOVE[i] + ("。" if i == 0 else ".")
        if f.key == "signal_missing" and not detail:
            continue  # a rule with no known move has nothing to say that is not rubric-internal
        text = TRY[f.key][i].format(quote=f.quote, detail=detail).strip()
        if ok(text):
            nexts.append(text)
            parts.append(f"次に試すこと：{text}" if i == 0 else f"Try next: {text}")
    phrase = _model_phrase(criterion, scenario, said, ok)
    if phrase and analysis.level < 4:
        parts.append(f"例：「{phrase}」" if i == 0 else f"For example: \"{phrase}\"")
        nexts.append(parts[-1])
    if not parts:
        parts.append("良い対応です。" if i == 0 else "Well handled.")
    return Written(text=" ".join(parts), went_well=went, try_next=nexts)


_MOVE_KEYS = {"missed", "volunteered", "not_acted", "signal_missing"}  # their detail is intent ids


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        key = f.key if f.kind == "try" else f.quote or f.key  # one praise per quote
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _model_phrase(criterion: Criterion, scenario: Scenario | None, said: str, ok: Callable[[str], bool]) -> str:
    if scenario is None:
        return ""
    phrases = [p for p in scenario.model_phrases.get(criterion.id, []) if ok(p)]
    return next((p for p in phrases if p not in said), phrases[0] if phrases else "")
