"""The LLM judge: structured output built from the rubric, verified before it is believed.

Trust nothing the model says without a check: every quote must be an exact substring of the
trainee turn it names (fabricated quotes are dropped and the criterion flagged); a transcript
with text aimed at the grader never scores above the heuristic scorer on any criterion; an
unusable answer is retried once, then the heuristic card stands in, flagged for the coach.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from string import Template
from typing import Any

import openai
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, Field, ValidationError

from simulator.models import CriterionScore, Evidence, Rubric, Scenario, ScoreCard, Transcript, format_clock
from simulator.scoring.card import assemble
from simulator.scoring.heuristic import HeuristicScorer
from simulator.scoring.hidden import scrub
from simulator.scoring.manipulation import FLAG as MANIPULATION_FLAG, overlaps
from simulator.scoring.view import TranscriptView

PROMPTS = Path(__file__).parent / "prompts"
FALLBACK_FLAG = "llm-judge-unavailable-fell-back-to-heuristic"
FABRICATED_FLAG = "judge-fabricated-evidence"
CAPPED_FLAG = "capped-at-heuristic"


class JudgeEvidence(BaseModel):
    turn: int
    quote: str


class JudgeCriterion(BaseModel):
    reasoning: str
    score: int = Field(strict=True, ge=0, le=4)
    evidence: list[JudgeEvidence]
    feedback: str = ""
    went_well: list[str] = Field(default_factory=list)
    try_next: list[str] = Field(default_factory=list)


NO_FEEDBACK = ("The AI judge gave no feedback for this criterion.", "AI採点者はこの項目にフィードバックを返しませんでした。")


class JudgeOutput(BaseModel):
    criteria: dict[str, JudgeCriterion]


class JudgeInvalid(ValueError):
    """The model answered, but not with something we can use; the message says what is wrong."""


def _prompt(name: str) -> Template:
    return Template((PROMPTS / name).read_text(encoding="utf-8"))


def response_schema(rubric: Rubric) -> dict[str, Any]:
    """JSON Schema for `response_format`: one object per criterion id, all required (strict mode)."""
    evidence = {"type": "object", "additionalProperties": False, "required": ["turn", "quote"],
                "properties": {"turn": {"type": "integer", "description": "number of a trainee turn"},
                               "quote": {"type": "string", "description": "verbatim words from that turn"}}}
    one = {"type": "object", "additionalProperties": False,
           "required": ["reasoning", "score", "evidence", "feedback", "went_well", "try_next"],
           "properties": {"reasoning": {"type": "string"},
                          "score": {"type": "integer", "minimum": 0, "maximum": 4},
                          "evidence": {"type": "array", "items": evidence},
                          "feedback": {"type": "string"},
                          "went_well": {"type": "array", "items": {"type": "string"}},
                          "try_next": {"type": "array", "items": {"type": "string"}}}}
    ids = [c.id for c in rubric.criteria]
    return {"type": "object", "additionalProperties": False, "required": ["criteria"],
            "properties": {"criteria": {"type": "object", "additionalProperties": False, "required": ids,
                                        "properties": {cid: one for cid in ids}}}}


def _scenario_text(scenario: Scenario | None) -> str:
    if scenario is None:
        return "Unknown scenario: judge from the transcript alone."
    lines = [f"- {scenario.title} ({scenario.language}, {scenario.channel}); clock starts {scenario.clock.start}",
             f"- What the trainee was told: {scenario.brief.summary} {scenario.brief.context}".rstrip()]
    for need in scenario.hidden_needs:
        expiry = f"; only possible before {need.expires_at}" if need.expires_at else ""
        lines.append(f"- Hidden need `{need.id}`: {need.description}. Fitting help: {need.solution or '-'}{expiry}")
    return "\n".join(lines)


def _criteria_text(rubric: Rubric) -> str:
    out = []
    for c in rubric.criteria:
        levels = "\n".join(f"  - {lv.score}: {lv.descriptor.en}" for lv in c.levels)
        out.append(f"## `{c.id}`: {c.title.en}\n\n{c.description.en}\n\nLevels:\n{levels}\n\n"
                   f"Guidance:\n{c.judge_guidance.strip()}")
    return "\n\n".join(out)


def build_messages(rubric: Rubric, view: TranscriptView, delimiter: str) -> list[dict[str, str]]:
    ids = ", ".join(c.id for c in rubric.criteria)
    system = _prompt("judge.md").substitute(
        delimiter=delimiter, scenario=_scenario_text(view.scenario), rubric_title=rubric.title.en,
        criteria=_criteria_text(rubric), feedback_language="Japanese" if view.language == "ja" else "English")
    rows = []
    for tv in view.turns:
        row: dict[str, Any] = {"turn": tv.index, "role": tv.role}
        if tv.now is not None:
            row["at"] = format_clock(tv.now)
        row["text"] = tv.text
        rows.append(json.dumps(row, ensure_ascii=False))  # JSON escaping keeps the data inside its markers
    user = _prompt("judge_user.md").substitute(delimiter=delimiter, transcript="\n".join(rows) or "(no turns)",
                                               criterion_ids=ids)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_output(content: str | None, rubric: Rubric) -> JudgeOutput:
    """JudgeOutput, or JudgeInvalid naming the problem (bad JSON, missing criteria, range)."""
    if not content or not content.strip():
        raise JudgeInvalid("the answer was empty")
    text = content.strip()
    if text.startswith("```"):  # some local models wrap JSON in a code fence despite the schema
        text = text.strip("`").removeprefix("json").strip()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise JudgeInvalid(f"the answer is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    try:
        out = JudgeOutput.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise JudgeInvalid(f"{where}: {first['msg']}") from None
    missing = [c.id for c in rubric.criteria if c.id not in out.criteria]
    if missing:
        raise JudgeInvalid("missing criteria: " + ", ".join(missing))
    return out


class LLMJudge:
    name = "llm"

    def __init__(self, rubric: Rubric, client: openai.AsyncOpenAI, model: str, temperature: float = 0.0,
                 max_tokens: int = 2000, deadline: float = 15.0) -> None:
        self.rubric = rubric
        self.client = client
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.deadline = deadline  # seconds for the whole call, retries included (SIMULATOR_LLM_JUDGE_DEADLINE)
        self.heuristic = HeuristicScorer(rubric)
        self.last_error: str | None = None  # why the last call fell back, for logs and tests

    async def _ask(self, messages: list[dict[str, str]]) -> str | None:
        resp = await self.client.chat.completions.create(
            model=self.model, messages=messages, temperature=self.temperature, max_tokens=self.max_tokens,
            response_format={"type": "json_schema", "json_schema": {
                "name": "score_card", "strict": True, "schema": response_schema(self.rubric)}})
        if not isinstance(resp, ChatCompletion):  # e.g. a server that streams when asked not to
            raise JudgeInvalid(f"the endpoint did not answer with a chat completion ({type(resp).__name__})")
        return resp.choices[0].message.content if resp.choices else None

    async def __call__(self, transcript: Transcript, scenario: Scenario | None) -> ScoreCard:
        view = TranscriptView(transcript, scenario)
        fallback = self.heuristic.score_view(view)
        messages = build_messages(self.rubric, view, f"<<<TRANSCRIPT-{secrets.token_hex(6)}>>>")
        ids = ", ".join(c.id for c in self.rubric.criteria)
        output: JudgeOutput | None = None
        self.last_error = None
        try:
            # Per-request timeouts allow a retry each; the trainee waits for the card, so the whole
            # call has one deadline, after which the heuristic card stands in.
            async with asyncio.timeout(self.deadline):
                for _attempt in range(2):
                    try:
                        output = parse_output(await self._ask(messages), self.rubric)
                        break
                    except JudgeInvalid as e:
                        self.last_error = str(e)
                        messages = messages + [{"role": "user", "content": _prompt("judge_retry.md").substitute(
                            problem=str(e), criterion_ids=ids)}]
                    except openai.OpenAIError as e:  # endpoint down, timeout, HTTP error
                        self.last_error = f"{type(e).__name__}: {e}"
        except TimeoutError:
            output = None
            self.last_error = f"no usable answer within the {self.deadline:g} s deadline"
        if output is None:
            card = fallback.model_copy(deep=True)
            card.flags = list(dict.fromkeys(card.flags + [FALLBACK_FLAG]))
            return card
        return self._card(transcript, view, output, fallback)

    def _card(self, transcript: Transcript, view: TranscriptView, output: JudgeOutput,
              fallback: ScoreCard) -> ScoreCard:
        trainee = {tv.index: tv for tv in view.trainee}
        manipulated = bool(view.manipulation)
        flags = [MANIPULATION_FLAG] if manipulated else []
        criteria: list[CriterionScore] = []
        for c in self.rubric.criteria:
            got = output.criteria[c.id]
            heuristic = fallback.criterion(c.id)
            cflags: list[str] = []
            evidence: list[Evidence] = []
            dropped = 0
            for e in got.evidence:
                tv = trainee.get(e.turn)
                pos = tv.text.find(e.quote) if tv is not None and e.quote.strip() else -1
                if pos < 0 or overlaps(tv.masked, pos, pos + len(e.quote)):
                    dropped += 1  # fabricated, misattributed, or quoting the plea to the grader
                    continue
                evidence.append(Evidence(turn=e.turn, quote=e.quote))
            score = got.score
            note = ""
            if dropped:
                cflags.append(FABRICATED_FLAG)
                note += f" [{dropped} quote(s) not found verbatim in the named trainee turn: dropped]"
                if not evidence and score > heuristic.score:
                    score = heuristic.score  # a score with nothing verifiable behind it is not believed
                    cflags.append(CAPPED_FLAG)
            if manipulated and score > heuristic.score:
                score = heuristic.score  # never let a plea to the grader raise a score
                cflags.append(CAPPED_FLAG)
                note += f" [manipulation attempt in the transcript: capped at the heuristic level {score}]"
            # One voice per card: the judge's own words (paragraph and lists); where it gave none the
            # card says so rather than borrowing heuristic praise that may contradict the judge's level.
            went, nxt = [x.strip() for x in got.went_well if x.strip()], [x.strip() for x in got.try_next if x.strip()]
            own = got.feedback.strip() or " ".join(went + nxt)
            criteria.append(CriterionScore(id=c.id, score=score, evidence=evidence,
                                           feedback=own or NO_FEEDBACK[view.language == "ja"],
                                           went_well=went, try_next=nxt,
                                           explanation=got.reasoning.strip() + note, flags=cflags))
        card = assemble(transcript.scenario, self.rubric, "llm", criteria, flags)
        card.judge_model = self.model
        # The judge read the hidden needs: nothing of one that never came out may reach the card.
        return scrub(card, view.scenario, transcript)
