"""Empathy: feelings before procedure (domain.md principle 1; rubric levels 0-4).

Japanese QA practice counts two moves: acceptance (restates_situation) and empathy proper
(acknowledges_feeling). Both before the first procedural move is level 3; extra care (good news
shared as good news, a specific apology owned in the first person, care again later) makes 4.
One move is 2; stock phrases only is 1; nothing, or arguing back, is 0-1.
"""

from __future__ import annotations

from simulator.language import IntentHit
from simulator.models import Criterion, Evidence
from simulator.scoring.card import Analysis, Finding, level_of
from simulator.scoring.manipulation import sentence_bounds
from simulator.scoring.view import STUFFING_FLAG, TranscriptView, TurnView, cite, quoted

MOVES = ("acknowledges_feeling", "restates_situation")
APOLOGY_ACTS = ("apology", "feeling_reflection")


def _is_rote_apology(tv: TurnView, hit: IntentHit, language: str) -> bool:
    """Short stock apology with nothing specific or owned in its sentence."""
    s, e = sentence_bounds(tv.text, hit.start)
    inside = {h.intent for h in tv.hits if s <= h.start < e}
    if inside & {"takes_ownership", "restates_situation", "acknowledges_feeling"}:
        return False
    sentence = tv.text[s:e]
    return len(sentence) <= 28 if language == "ja" else len(sentence.split()) <= 9


def _carries_specifics(tv: TurnView, hit: IntentHit, language: str) -> bool:
    """The feeling's sentence (the hit's span) is long enough to say what happened besides the
    feeling («5日もご連絡がなく、…ご不安でしたよね»), not just «ご不安でしたよね»."""
    sentence = tv.text[hit.start:hit.end].strip(" 、。,.!?！？—-")
    return len(sentence) >= 24 if language == "ja" else len(sentence.split()) >= 11


def analyze(view: TranscriptView, criterion: Criterion) -> Analysis:
    lang = view.language
    ev: list[Evidence] = []
    fired: list[str] = []
    findings: list[Finding] = []
    flags: list[str] = []
    genuine: dict[str, list[tuple[TurnView, IntentHit]]] = {m: [] for m in MOVES}
    rote: list[tuple[TurnView, IntentHit]] = []
    apologies: list[tuple[TurnView, IntentHit]] = []
    good_news: list[tuple[TurnView, IntentHit]] = []
    argues: list[tuple[TurnView, IntentHit]] = []
    owned_apology: tuple[TurnView, IntentHit] | None = None

    # keyword-stuffed sentences are already masked by the view
    sort_into = {**genuine, "rote_empathy": rote, "apologises": apologies, "shares_good_news": good_news,
                 "argues_back": argues}
    for tv in view.trainee:
        for h in tv.hits:
            if h.intent == "apologises" and h.act not in APOLOGY_ACTS:
                continue  # "I'm sorry, but we can't..." is a refusal wearing an apology: no credit
            if h.intent == "argues_back" and h.act in APOLOGY_ACTS:
                continue  # a sentence that reflects a feeling or apologises is not arguing back
            found = sort_into.get(h.intent)
            if found is not None:
                found.append((tv, h))

    # The rote opener: the trainee's very first words (after a greeting) are a stock apology.
    rote_opener: tuple[TurnView, IntentHit] | None = None
    opener = next((tv for tv in view.trainee if tv.text.strip()), None)
    if opener is not None:
        first = next((h for h in sorted(opener.hits, key=lambda h: h.start)
                      if h.intent not in ("greets", "thanks", "closes")), None)
        if first is not None and first.intent == "apologises" and _is_rote_apology(opener, first, lang):
            rote_opener = (opener, first)
    for tv, h in apologies:
        if (rote_opener is None or h is not rote_opener[1]) and not _is_rote_apology(tv, h, lang) and owned_apology is None:
            owned_apology = (tv, h)

    # A feeling named inside a sentence that carries the customer's specifics («5日もご連絡がなく、
    # 申し込みができているかご不安でしたよね», "Five days with no word — you must have been
    # wondering...") is acceptance and empathy at once, as QA sheets count it.
    if genuine["acknowledges_feeling"] and not genuine["restates_situation"]:
        for tv, h in genuine["acknowledges_feeling"]:
            if _carries_specifics(tv, h, lang):
                genuine["restates_situation"].append((tv, h))
                fired.append(f"situation reflected in the feeling sentence@turn{tv.index}")
                break
    has = {m: bool(genuine[m]) for m in MOVES}
    first_move = min(((tv.ordinal, h.start) for m in MOVES for tv, h in genuine[m]), default=None)
    procedural = view.first_procedural()
    early = first_move is not None and (procedural is None or first_move <= procedural)
    if first_move is not None and view.scenario is not None and view.scenario.channel == "email":
        # An e-mail thread has no "first words": the opening message often states no feeling
        # («りんご追加してください»), so feelings met when they surface count as on time.
        early = True

    for m in MOVES:
        for tv, h in genuine[m][:2]:
            cite(ev, tv, h.start, h.end)
        if genuine[m]:
            tv, h = genuine[m][0]
            fired.append(f"{m}@turn{tv.index}")
            findings.append(Finding(kind="good", key=m, turn=tv.index, quote=quoted(tv, h.start, h.end)))
        else:
            findings.append(Finding(kind="try", key=f"no_{m}"))

    if has["acknowledges_feeling"] and has["restates_situation"]:
        points = 3.0 if early else 2.0
    elif has["acknowledges_feeling"] or has["restates_situation"]:
        points = 2.0
    elif owned_apology is not None:
        points = 2.0  # a specific, owned apology without a word about the feeling
    elif rote or apologies or view.stuffing:
        points = 1.0
    else:
        points = 0.0
    if first_move is not None:
        fired.append("before procedure" if early else "after procedure")
        findings.append(Finding(kind="good" if early else "try", key="early" if early else "late"))

    # Extras lift "both moves before procedure" (3) to 4; they never stand in for a missing move.
    bonus = 0.0
    full = points >= 3
    if good_news and full:
        tv, h = good_news[0]
        bonus += 0.5
        fired.append(f"shares_good_news@turn{tv.index}")
        cite(ev, tv, h.start, h.end)
        findings.append(Finding(kind="good", key="good_news", turn=tv.index, quote=quoted(tv, h.start, h.end)))
    if owned_apology is not None and full:
        tv, h = owned_apology
        bonus += 0.5
        fired.append(f"specific apology@turn{tv.index}")
        cite(ev, tv, h.start, h.end)
    care_turns = {tv.index for m in MOVES for tv, _ in genuine[m]}
    if len(care_turns) >= 2 and full:
        bonus += 0.5
        fired.append(f"care in {len(care_turns)} turns")
    points += min(bonus, 1.0)

    cap = 4
    if rote_opener is not None:
        tv, h = rote_opener
        points -= 1.0
        fired.append(f"rote apology opener@turn{tv.index}")
        cite(ev, tv, h.start, h.end)
        findings.append(Finding(kind="try", key="rote_opener", turn=tv.index, quote=quoted(tv, h.start, h.end)))
    if rote:
        tv, h = rote[0]
        if has["acknowledges_feeling"] or has["restates_situation"]:
            points -= 0.5
        else:
            cap = 1  # the textbook failure: "I understand how you feel" and nothing specific
        fired.append(f"rote_empathy@turn{tv.index}")
        findings.append(Finding(kind="try", key="rote_empathy", turn=tv.index, quote=quoted(tv, h.start, h.end)))
    # One sentence («ご迷惑をおかけし申し訳ございません») is one apology, however many phrases it has.
    apology_count = len({(tv.index, sentence_bounds(tv.text, h.start)) for tv, h in apologies})
    if apology_count >= 3:
        points -= 1.0
        fired.append(f"{apology_count} apologies")
        findings.append(Finding(kind="try", key="over_apology", detail=str(apology_count)))
    if view.stuffing:
        flags.append(STUFFING_FLAG)
        fired.append("keyword list without a sentence ignored")
        findings.append(Finding(kind="try", key="stuffing"))
        if not (has["acknowledges_feeling"] or has["restates_situation"]):
            cap = min(cap, 1)
    if argues:
        tv, h = argues[0]
        cap = min(cap, 1)
        if not (has["acknowledges_feeling"] or has["restates_situation"]):
            cap = 0
        fired.append(f"argues_back@turn{tv.index}")
        cite(ev, tv, h.start, h.end)
        findings.append(Finding(kind="try", key="argues", turn=tv.index, quote=quoted(tv, h.start, h.end)))
    return Analysis(points=points, level=level_of(points, cap), evidence=ev, fired=fired,
                    findings=findings, flags=flags)
