"""`simulator score` and `simulator calibrate` (contracts.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from pydantic import BaseModel, ValidationError

from simulator.models import Rubric, Scenario, ScoreCard, Transcript
from simulator.textfile import TextFileError, read_text_file


class CommandError(Exception):
    """One clear line for stderr; the command exits 1."""


def _fail(command: str, message: str) -> int:
    print(f"simulator {command}: {message}", file=sys.stderr)
    return 1


def read_transcript(path: str) -> Transcript:
    try:
        text = read_text_file(path)
    except TextFileError as e:
        raise CommandError(str(e)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CommandError(f"{path}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    try:
        return Transcript.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(x) for x in err['loc']) or '(top level)'}: {err['msg']}"
                             for err in e.errors()[:3])
        raise CommandError(f"{path}: not a transcript ({problems}); expected "
                           '{"scenario": "...", "turns": [{"role": "customer"|"trainee", "text": "..."}]}') from None


def _key_error(e: KeyError) -> str:
    return str(e.args[0]) if e.args else str(e)


def load_rubric(rubric: str) -> Rubric:
    from simulator.loading import LoadError, default_catalog
    try:
        return default_catalog().rubric(rubric)
    except KeyError as e:
        raise CommandError(_key_error(e)) from None
    except LoadError as e:
        raise CommandError("; ".join(str(p) for p in e.problems)) from None


def load_scenario(sid: str) -> Scenario:
    from simulator.loading import default_catalog
    try:
        return default_catalog().scenario(sid)
    except KeyError as e:
        raise CommandError(_key_error(e)) from None


def render_markdown(card: ScoreCard, rubric: Rubric, language: str) -> str:
    titles = {c.id: c.title.get(language) for c in rubric.criteria}
    lines = [f"# {card.scenario}: {card.total:g} / 100",
             "", f"rubric `{card.rubric}`, judge `{card.judge}`", "",
             "| criterion | score |", "| --- | --- |"]
    lines += [f"| {titles.get(c.id, c.id)} | {c.score} / {c.max} |" for c in card.criteria]
    for c in card.criteria:
        lines += ["", f"## {titles.get(c.id, c.id)}: {c.score} / {c.max}", ""]
        if not (c.went_well or c.try_next):  # an LLM judge's own paragraph
            lines += [c.feedback, ""]
        for label, items in ((("良かった点", "Went well"), c.went_well), (("次に試すこと", "Try next"), c.try_next)):
            if items:  # good points and next steps as separate lists
                lines += [f"**{label[0] if language == 'ja' else label[1]}**", *(f"- {x}" for x in items), ""]
        lines += [f"- turn {e.turn}: 「{e.quote}」" if language == "ja" else f"- turn {e.turn}: \"{e.quote}\""
                  for e in c.evidence]
        if c.explanation:
            lines += ["", f"_{c.explanation}_"]
    if card.flags:
        lines += ["", "**flags:** " + ", ".join(f"`{f}`" for f in card.flags)]
    return "\n".join(lines) + "\n"


def cmd_score(args: argparse.Namespace) -> int:
    from simulator.scoring import make_scorer
    from simulator.scoring.view import detect_language
    try:
        transcript = read_transcript(args.transcript)
        rubric = load_rubric(args.rubric)
        scenario = load_scenario(transcript.scenario)
        try:
            scorer = make_scorer(args.judge, rubric)
        except ValueError as e:  # LLMConfigError: names the missing SIMULATOR_LLM_* variable
            raise CommandError(str(e)) from None
        card = asyncio.run(scorer(transcript, scenario))
    except CommandError as e:
        return _fail("score", str(e))
    if args.format == "md":
        language = scenario.language if scenario else detect_language(transcript)
        sys.stdout.write(render_markdown(card, rubric, language))
    else:
        sys.stdout.write(card.model_dump_json(indent=2) + "\n")
    return 0


# ------------------------------------------------------------------------------ calibrate


class Miss(BaseModel):
    scenario: str
    example: str
    criterion: str
    message: str

    def __str__(self) -> str:
        return f"MISS {self.scenario}/{self.example} {self.criterion}: {self.message}"


class CalibrationReport(BaseModel):
    examples: int = 0
    checks: int = 0
    misses: list[Miss] = []


def calibrate(scenarios: list[Scenario], rubric: Rubric) -> CalibrationReport:
    """Score every example; check its bands and that strong beats weak on what strong targets."""
    from simulator.scoring.heuristic import HeuristicScorer
    scorer = HeuristicScorer(rubric)
    ids = {c.id for c in rubric.criteria}
    report = CalibrationReport()
    for sc in scenarios:
        cards: dict[str, ScoreCard] = {}
        for ex in sc.examples:
            card = scorer.score(Transcript(scenario=sc.id, turns=ex.turns), sc)
            cards[ex.id] = card
            report.examples += 1
            for cid, (lo, hi) in ex.expected.items():
                report.checks += 1
                if cid not in ids:
                    report.misses.append(Miss(scenario=sc.id, example=ex.id, criterion=cid,
                                              message=f"rubric '{rubric.id}' has no criterion '{cid}'"))
                    continue
                got = card.criterion(cid)
                if not lo <= got.score <= hi:
                    report.misses.append(Miss(scenario=sc.id, example=ex.id, criterion=cid,
                                              message=f"scored {got.score}, expected {lo}-{hi} ({got.explanation})"))
        for strong in (e for e in sc.examples if e.label == "strong"):
            for weak in (e for e in sc.examples if e.label == "weak"):
                for cid in strong.expected:
                    if cid not in ids:
                        continue
                    report.checks += 1
                    s, w = cards[strong.id].criterion(cid).score, cards[weak.id].criterion(cid).score
                    if s <= w:
                        report.misses.append(Miss(scenario=sc.id, example=f"{strong.id}>{weak.id}", criterion=cid,
                                                  message=f"strong scored {s}, not above weak's {w}"))
    return report


def cmd_calibrate(args: argparse.Namespace) -> int:
    from simulator.loading import default_catalog
    catalog = default_catalog()
    try:
        rubric = load_rubric(getattr(args, "rubric", "default"))
        chosen = [load_scenario(s) for s in args.scenarios] if args.scenarios else \
            [catalog.scenarios[k] for k in sorted(catalog.scenarios)]
    except CommandError as e:
        return _fail("calibrate", str(e))
    if catalog.problems:
        print(f"simulator calibrate: warning: {len(catalog.problems)} problem(s) in the scenario/rubric files "
              "(run `simulator validate scenarios rubrics`)", file=sys.stderr)
    report = calibrate(chosen, rubric)
    for miss in report.misses:
        print(miss)
    no_examples = [s.id for s in chosen if not s.examples]
    if no_examples:
        print("no examples: " + ", ".join(no_examples))
    verdict = "all hold" if not report.misses else f"{len(report.misses)} miss(es)"
    print(f"{len(chosen)} scenario(s), {report.examples} example(s), {report.checks} check(s): {verdict}")
    return 1 if report.misses else 0
