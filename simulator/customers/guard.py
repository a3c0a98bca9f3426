"""Output guard for the LLM customer: nothing internal may reach the trainee.

A model can be talked into leaking (prompt injection) or can simply drift out of character, so
every LLM reply is checked before it is shown. Rejected: text of hidden needs not yet revealed,
rubric vocabulary, prompt markers and headings, and "as an AI"-style character breaks. Checks
run on a folded form of the text (NFKC, case-folded, punctuation and spaces removed) and on its
rot13 and base64 decodings, so "ｗｅｄ ｄｉｎｇ", "結・婚・式" or an encoded leak is still caught.

The same "secret terms" also redact the persona text going into the prompt: a scenario's
persona background usually explains the hidden need (it is written for supervisors), and the
brief requires that a need enters the prompt only once it is revealed.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel

from simulator.models import HiddenNeed, Rubric, Scenario

PROMPTS_DIR = Path(__file__).parent / "prompts"

# Words that name the machinery rather than anything a customer would say.
RUBRIC_WORDS = ["rubric", "ルーブリック", "score", "scoring", "採点", "評価基準", "評価項目", "hidden need",
                "hiddenneed", "hidden_need", "隠れたニーズ", "潜在ニーズ", "unspoken need", "criterion", "criteria"]
CHARACTER_BREAKS = ["as an ai", "i am an ai", "i'm an ai", "an ai language model", "language model",
                    "ai assistant", "chatgpt", "openai", "system prompt", "my instructions", "roleplay",
                    "role-play", "role play", "simulation", "simulated customer",
                    "aiとして", "私はai", "わたしはai", "aiです", "aiアシスタント", "言語モデル", "システムプロンプト",
                    "プロンプト", "ロールプレイ", "シミュレーション", "人工知能"]
# Raw (unfolded) markers of prompt structure or chat-template tokens.
MARKER_RES = [re.compile(p, re.IGNORECASE | re.MULTILINE) for p in (
    r"\bsystem\s*:", r"\bassistant\s*:", r"\buser\s*:", r"^\s*#{1,6}\s", r"###", r"<\|[^|>]*\|>", r"\[/?INST\]",
    r"</?s>", r"\{\s*\"role\"\s*:", r"```")]
# Everyday English words: never treated as secret even when a need's text uses them.
COMMON_EN = frozenset("""
about above actually after again against almost along already also although always among another
answer anything anyway around arrive arrived arriving asked asking because become before being below
better between bring called calling cannot certain change check choose clear close comes coming could
course decide doing during early either enough every everything exactly except feels feeling first
found getting given going gonna great happen happened having herself himself however itself later least
leave little maybe means might minute minutes moment month morning myself never night nothing number
often order ordered other others perhaps place please point possible pretty probably quite rather ready
really right saying second seeing seems should since small something sometimes sorry still taking
telling tells thank thanks their there these thing things think those though thought through today
together tomorrow toward trying under until usual useful using usually waiting wanted wants whatever
where whether which while whole would wrong years yesterday yourself guarantee concrete switch switched
meets needs sooner customer really never mind called tells shop staff store delivery
have that thats this with what when will your same come just know like want were they them then than
from into been here does dont cant wont didnt isnt also only some such very much many more most over
time back good make made take sure said each four five nine well even need okay yeah um uh
meant mean explain explained guess guessing earlier arrives delivered deliveries parcel parcels three
twice turns addition separate separately sweet sweets nice pick
""".split())
# Everyday Japanese words a customer says whatever the scenario (kept out of the secret terms).
COMMON_JA = frozenset("""
名前 説明 荷物 本日 今日 明日 昨日 今朝 一緒 意味 正直 手元 間違 一言 先週 今週 来週 送料 新規 本人 不安 心配
注文 電話 連絡 確認 大丈夫 時間 返事 返信 住所 自分 予定 用事 仕事 会社 発送 到着 手配 配達 当日 少々 気持
言葉 番号 商品 以前 最初 普通 全部 一番 本当 失礼 大変 急 早 遅
""".split())
_CJK_RUN = re.compile(r"[\u4e00-\u9fff\u3005\u30a0-\u30ff\u30fc]{2,}")
_EN_WORD = re.compile(r"[a-z]{5,}")
_B64_RUN = re.compile(r"[A-Za-z0-9+/]{12,}={0,2}")
_SENTENCE = re.compile(r"[^。！？!?\.\n]+[。！？!?\.\n]*")


def fold(text: str) -> str:
    """NFKC, case-folded, letters and digits only: the form every comparison here uses."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _decodings(text: str) -> list[str]:
    """The text plus what it says when read as rot13 or base64 (a leak smuggled in encoded)."""
    out = [text, codecs.decode(text, "rot13")]
    for run in _B64_RUN.findall(unicodedata.normalize("NFKC", text)):
        try:
            decoded = base64.b64decode(run + "=" * (-len(run) % 4), validate=False).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        out.append(decoded)  # only valid UTF-8 gets here; fold() drops any control characters
    return out


class Verdict(BaseModel):
    ok: bool
    reasons: list[str] = []


@functools.cache
def prompt_headings() -> tuple[str, ...]:
    """Headings of the customer prompt files: seeing one in a reply means the prompt leaked."""
    heads = []
    for path in sorted(PROMPTS_DIR.glob("customer.*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                heads.append(line.lstrip("#").strip())
    return tuple(h for h in heads if len(fold(h)) >= 4)


SHINGLE = {"ja": 12, "en": 20}  # folded characters in a row that count as quoting the prompt


@functools.cache
def prompt_shingles() -> frozenset[str]:
    """Every run of SHINGLE folded characters of the prompt files' own wording (placeholders and
    quoted example lines removed: a customer may well say "Sorry...? what do you mean").
    A reply containing one is repeating the prompt, whatever the attack that made it do so."""
    out: set[str] = set()
    for path in sorted(PROMPTS_DIR.glob("*.md")):
        n = SHINGLE["ja" if ".ja." in path.name else "en"]
        text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"\{[a-z_]+\}|「[^」]*」|\"[^\"]*\"|（例[^）]*）|\(e\.g\.[^)]*\)|\(for example[^)]*\)", "|", text)
        for piece in text.split("|"):
            folded = fold(piece)
            out.update(folded[i:i + n] for i in range(len(folded) - n + 1))
    return frozenset(out)


class OutputGuard:
    """Checks LLM replies for one scenario; `rubrics` adds their criterion ids and titles."""

    def __init__(self, scenario: Scenario, rubrics: Iterable[Rubric] = ()) -> None:
        self.scenario = scenario
        terms: dict[str, str] = {}
        for w in RUBRIC_WORDS:
            terms[fold(w)] = f"rubric word '{w}'"
        # Ids like wait_time are matched as written; plain-word ids and one-word English titles
        # ("closing", "Clarity") are everyday words a customer may use, so they are not terms.
        self._id_res: dict[str, re.Pattern[str]] = {}
        for r in rubrics:
            for c in r.criteria:
                if "_" in c.id or "-" in c.id:
                    self._id_res[f"criterion id '{c.id}'"] = re.compile(rf"(?<![a-z]){re.escape(c.id)}(?![a-z])", re.I)
                for title in (c.title.ja, c.title.en):
                    core = re.split(r"[（(]", title)[0].strip()
                    if len(fold(core)) >= 2 and (not core.isascii() or " " in core):
                        terms[fold(core)] = f"criterion title '{core}'"
        for w in CHARACTER_BREAKS:
            terms[fold(w)] = f"breaks character ('{w}')"
        for h in prompt_headings():
            terms[fold(h)] = f"prompt heading '{h}'"
        # Single English words ("score", "openai") are matched as whole words: in the folded
        # letter stream "this core" would contain "score". Phrases and Japanese stay folded.
        words = (*RUBRIC_WORDS, *CHARACTER_BREAKS)
        phrases = {fold(w) for w in words if not (w.isascii() and w.isalpha())}  # "hidden need" -> hiddenneed
        single = {fold(w) for w in words if w.isascii() and w.isalpha()} - phrases
        self._word_res = {why: re.compile(rf"\b{re.escape(k)}\b") for k, why in terms.items() if k in single}
        self._fixed_terms = {k: why for k, why in terms.items() if k and k not in single}
        self._terms_cache: dict[str, set[str]] = {}
        self._secrets_cache: dict[frozenset[str], dict[str, str]] = {}

    # ------------------------------------------------------------------ secrets

    @cached_property
    def _public(self) -> str:
        """Folded text the trainee can see anyway: a term found here is no secret."""
        s = self.scenario
        parts = [s.brief.summary, s.brief.context, s.brief.goal, s.persona.name, *s.brief.order.keys(),
                 *s.brief.order.values(), *s.opening, *(f.text for f in s.facts),
                 *(e.announce for e in s.clock.events)]
        r = s.replies
        for field in type(r).model_fields:
            parts.extend(getattr(r, field))
        return fold("\n".join(parts))

    def _need_terms(self, need: HiddenNeed) -> set[str]:
        if need.id not in self._terms_cache:
            self._terms_cache[need.id] = self._compute_need_terms(need)
        return self._terms_cache[need.id]

    def _compute_need_terms(self, need: HiddenNeed) -> set[str]:
        # Description and disclosure say what the need is; `solution` is staff-side wording
        # ("confirm the arrival time") that an innocent customer line may well echo.
        text = unicodedata.normalize("NFKC", "\n".join(
            [need.description, *need.disclosure, need.id.replace("-", " ").replace("_", " ")])).casefold()
        found = {t for t in _CJK_RUN.findall(text) if t not in COMMON_JA}
        found |= {w for w in _EN_WORD.findall(text) if w not in COMMON_EN}
        # English word pairs of what she would say ("my wedding", "the venue"): the single word may be
        # public (a wedding catalogue), the pair in her mouth is the secret.
        for line in need.disclosure:
            words = re.findall(r"[a-z']+", unicodedata.normalize("NFKC", line).casefold())
            for a, b in zip(words, words[1:]):
                if any(len(fold(w)) >= 4 and fold(w) not in COMMON_EN for w in (a, b)):
                    found.add(a + b)
        terms = {fold(t) for t in found if len(fold(t)) >= 2 and fold(t) not in self._public}
        # Whole lines too: a soft disclosure ("if it could come a little sooner...") has no
        # distinctive word, but said verbatim it can only have come from the scenario file.
        terms |= {fold(t) for t in (need.description, *need.disclosure) if len(fold(t)) >= 8}
        return terms

    def secret_terms(self, revealed: Collection[str]) -> dict[str, str]:
        """Folded term -> need id, for every hidden need not yet revealed (minus revealed needs' words)."""
        key = frozenset(revealed)
        if key not in self._secrets_cache:  # checked on every streamed chunk: compute once per state
            self._secrets_cache[key] = self._compute_secret_terms(key)
        return self._secrets_cache[key]

    def _compute_secret_terms(self, revealed: frozenset[str]) -> dict[str, str]:
        allowed: set[str] = set()
        for n in self.scenario.hidden_needs:
            if n.id in revealed:
                allowed |= self._need_terms(n)
        out: dict[str, str] = {}
        for n in self.scenario.hidden_needs:
            if n.id not in revealed:
                for t in self._need_terms(n) - allowed:
                    out.setdefault(t, n.id)
        return out

    def redact(self, text: str, revealed: Collection[str]) -> str:
        """Drop the sentences of `text` that mention an unrevealed need (for the prompt)."""
        secrets = self.secret_terms(revealed)
        kept = [s for s in _SENTENCE.findall(text) if not any(t in fold(s) for t in secrets)]
        return "".join(kept).strip()

    # -------------------------------------------------------------------- check

    def check(self, reply: str, revealed: Collection[str]) -> Verdict:
        reasons: list[str] = []
        if not reply.strip():
            return Verdict(ok=False, reasons=["empty reply"])
        for rx in MARKER_RES:
            m = rx.search(reply)
            if m:
                reasons.append(f"prompt marker '{m.group(0).strip()}'")
        for why, rx in self._id_res.items():
            if rx.search(unicodedata.normalize("NFKC", reply)):
                reasons.append(why)
        secrets = self.secret_terms(revealed)
        shingles = prompt_shingles()
        for variant in _decodings(reply):
            plain = unicodedata.normalize("NFKC", variant).casefold()
            reasons.extend(why for why, rx in self._word_res.items() if rx.search(plain))
            folded = fold(variant)
            if any(folded[i:i + n] in shingles for n in set(SHINGLE.values()) for i in range(len(folded) - n + 1)):
                reasons.append("repeats the prompt's wording")
            for term, why in self._fixed_terms.items():
                if term in folded:
                    reasons.append(why)
            for term, need in secrets.items():
                if term in folded:
                    reasons.append(f"unrevealed hidden need '{need}' ('{term}')")
        return Verdict(ok=not reasons, reasons=sorted(set(reasons)))


@functools.cache
def default_rubrics() -> tuple[Rubric, ...]:
    from simulator.loading import default_catalog  # lazy: loading reads every shipped file

    return tuple(default_catalog().rubrics.values())


def guard_for(scenario: Scenario, rubrics: Sequence[Rubric] | None = None) -> OutputGuard:
    """A guard with the given rubrics, or with every rubric of the default catalog."""
    return OutputGuard(scenario, default_rubrics() if rubrics is None else rubrics)
