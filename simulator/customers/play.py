"""`simulator play`: role-play a scenario in the terminal, or replay trainee lines as a batch.

Both modes drive a CustomerBackend only through its protocol (start + stream), so the scripted
and the LLM engine behave the same here. A line of the form `/hold N [message]` keeps the
customer on hold N seconds (she may react during the hold: >= 30 s uneasy, >= 60 s she asks),
then says the message, if any; `/quit` stops.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from typing import Any, TextIO

from pydantic import BaseModel

from simulator.customers import ContactEndedError, CustomerBackend, make_backend
from simulator.customers.base import CustomerReply
from simulator.customers.scripted import MAX_HOLD_SECONDS
from simulator import terminal as text_view
from simulator.models import CustomerState, Rubric, Scenario, ScoreCard, Session, Turn, format_clock, parse_clock
from simulator.textfile import TextFileError, read_text_file
from simulator.web.i18n import t

MAX_LINE_CHARS = 2000  # same cap as the web chat: a pasted essay is a mistake, not a turn
_HOLD = re.compile(r"^/hold\s+(\d{1,5})(?:\s+(.*))?$")


class PlayError(Exception):
    """Bad input for `simulator play`; its text is the one-line message shown on stderr."""


class Step(BaseModel):
    """One trainee action: a message, a hold, or both (hold first)."""

    message: str = ""
    hold: int = 0
    quit: bool = False
    line: int = 0


def parse_step(text: str, line: int = 0, where: str = "input") -> Step | None:
    """A trainee line -> Step; None for a blank line. Raises PlayError naming the line."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_LINE_CHARS:
        raise PlayError(f"{where}:{line}: message is {len(text)} characters; the limit is {MAX_LINE_CHARS}")
    if text == "/quit":
        return Step(quit=True, line=line)
    if text.startswith("/hold"):
        m = _HOLD.match(text)
        if not m:
            raise PlayError(f"{where}:{line}: write '/hold SECONDS [message]', e.g. '/hold 45', got {text!r}")
        if int(m[1]) > MAX_HOLD_SECONDS:
            raise PlayError(f"{where}:{line}: a hold is at most {MAX_HOLD_SECONDS} seconds, got {m[1]}")
        return Step(hold=int(m[1]), message=(m[2] or "").strip(), line=line)
    if text.startswith("/") and re.match(r"^/[a-z]+\b", text):
        raise PlayError(f"{where}:{line}: unknown command {text.split()[0]!r} (known: /hold SECONDS, /quit)")
    return Step(message=text, line=line)


def read_steps(source: str, stdin: TextIO | None = None) -> list[Step]:
    """The --trainee-lines file (or '-' for stdin), one message per line, blank lines skipped."""
    where = "<stdin>" if source == "-" else source
    try:
        raw = read_text_file(source, "trainee lines", stdin)
    except TextFileError as e:
        raise PlayError(str(e)) from None
    steps = [s for i, ln in enumerate(raw.splitlines(), 1) if (s := parse_step(ln, i, where)) is not None]
    if not steps:
        raise PlayError(f"{where} holds no trainee lines")
    return steps


def resolve_scenario(ref: str) -> Scenario:
    """A scenario id from the catalog, or a path to a scenario YAML file (drafts, fixtures)."""
    from simulator.loading import LoadError, default_catalog, load_scenario

    try:
        if ref.endswith((".yaml", ".yml")):
            return load_scenario(ref)
        catalog = default_catalog()
        return catalog.scenario(ref)
    except KeyError as e:
        msg = str(e.args[0]) if e.args else f"unknown scenario '{ref}'"
        if catalog.problems:  # the wanted file may be one that failed to load: say so
            msg += (f"; {len(catalog.problems)} problem(s) in the scenario files, first: "
                    f"{catalog.problems[0]} (run `simulator validate`)")
        raise PlayError(msg) from None
    except LoadError as e:
        first = str(e).splitlines()[0] if str(e) else ref
        raise PlayError(f"scenario file is invalid: {first}") from None


def resolve_rubric(ref: str) -> Rubric:
    """A rubric id from the catalog, or a path to a rubric YAML file."""
    from simulator.loading import LoadError, default_catalog

    try:
        return default_catalog().rubric(ref)
    except KeyError as e:
        raise PlayError(str(e.args[0]) if e.args else f"unknown rubric '{ref}'") from None
    except LoadError as e:
        raise PlayError(f"rubric file is invalid: {str(e).splitlines()[0] if str(e) else ref}") from None


class Recorder:
    """Writes the session to simulator.store turn by turn, when --trainee is given."""

    def __init__(self, store: Any, error: type[Exception], trainee: str, scenario: Scenario, backend: str):
        self.store, self.error = store, error
        self.trainee, self.scenario, self.backend = trainee, scenario, backend
        self.session_id: str | None = None

    @classmethod
    def open(cls, trainee: str | None, scenario: Scenario, backend: str, err: TextIO) -> "Recorder | None":
        if not trainee:
            return None
        try:
            from simulator.store import Store, StoreError
        except ImportError:
            print("simulator play: --trainee given but the session store (simulator.store) is not "
                  "available; the session is not recorded", file=err)
            return None
        try:
            store = Store()  # SIMULATOR_DATABASE_URL or ./data/simulator.db
        except StoreError as e:  # names the URL, password masked
            raise PlayError(f"cannot open the session store: {e}") from None
        return cls(store, StoreError, trainee, scenario, backend)

    def _call(self, fn: Any, *a: Any, **kw: Any) -> Any:
        try:
            return fn(*a, **kw)
        except self.error as e:
            raise PlayError(f"session store: {e}") from None

    def turn(self, turn: Turn, state: CustomerState) -> None:
        if self.session_id is None:
            self.session_id = self._call(self.store.start_session, self.trainee, self.scenario.id, self.backend,
                                         state, language=self.scenario.language)
        self._call(self.store.add_turn, self.session_id, turn, state)

    def end(self, state: CustomerState, card: ScoreCard | None) -> None:
        """Close the session and store its score card, so exports and reports show the scores."""
        if self.session_id is not None:
            self._call(self.store.end_session, self.session_id, state)
            if card is not None:
                self._call(self.store.save_score, self.session_id, card)
        self.store.close()


class Player:
    """One session: the transcript and the state, advanced one trainee step at a time."""

    def __init__(self, backend: CustomerBackend, scenario: Scenario, seed: int,
                 recorder: Recorder | None = None, rubric: Rubric | None = None):
        self.backend, self.scenario, self.recorder, self.rubric = backend, scenario, recorder, rubric
        opening = backend.start(scenario, seed=seed)
        self.state: CustomerState = opening.state
        self.turns: list[Turn] = []
        self._record(opening.turn)

    def _record(self, turn: Turn | None) -> None:
        if turn is None:
            return
        self.turns.append(turn)
        if self.recorder:
            self.recorder.turn(turn, self.state)

    async def play(self, step: Step, on_delta: Any = None) -> CustomerReply:
        """Say `step` to the customer; `on_delta(text)` receives streamed pieces."""
        if self.state.ended:
            raise ContactEndedError("the contact has already ended; no further messages are taken")
        if step.hold and step.message:
            # The customer reacts to a hold while on it, before the trainee is back and speaks.
            held = await self.play(Step(hold=step.hold, line=step.line), on_delta)
            if held.turn is not None and on_delta:
                on_delta("\n")
            if self.state.ended:
                return held
            step = step.model_copy(update={"hold": 0})
        before = tuple(self.turns)  # the conversation the customer reacts to, this message aside
        if step.message:
            at = format_clock(parse_clock(self.state.clock) + step.hold)
            self._record(Turn(role="trainee", text=step.message, at=at, source="trainee"))
        final: CustomerReply | None = None
        async for ev in self.backend.stream(self.scenario, step.message, self.state, hold_seconds=step.hold,
                                            transcript=before):
            if ev.delta and on_delta:
                on_delta(ev.delta)
            if ev.done is not None:
                final = ev.done
        if final is None:
            raise RuntimeError("customer stream ended without a final reply")
        self.state = final.state
        self._record(final.turn)
        return final

    def finish(self) -> ScoreCard | None:
        """Score the contact (heuristic scorer: offline and deterministic, like the web app's
        default) when the trainee said anything, and close the recorded session."""
        card = None
        if self.rubric is not None and any(t.role == "trainee" for t in self.turns):
            from simulator.scoring import HeuristicScorer
            card = HeuristicScorer(self.rubric).score(self.session(), self.scenario)
        if self.recorder:
            self.recorder.end(self.state, card)
        return card

    def session(self) -> Session:
        return Session(scenario=self.scenario.id, backend=self.backend.name, turns=self.turns, state=self.state)


async def play_lines(player: Player, steps: list[Step], err: TextIO) -> Session:
    for i, step in enumerate(steps):
        if step.quit:
            break
        if player.state.ended:
            left = len(steps) - i
            print(f"simulator play: the contact ended ({player.state.ended_by}) before line {step.line}; "
                  f"{left} line(s) not played", file=err)
            break
        reply = await player.play(step)
        if reply.notice:  # e.g. the LLM was unavailable and the scripted line stood in
            print(f"simulator play: line {step.line}: {reply.notice}", file=err)
    player.finish()
    return player.session()


async def play_interactive(player: Player, inp: TextIO, out: TextIO) -> None:
    lang = player.scenario.language
    who = t("role_customer", lang)
    print(text_view.brief(player.scenario), file=out)
    print(t("play_commands", lang) + "\n", file=out)
    print(f"[{player.turns[0].at}] {who}: {player.turns[0].text}", file=out)
    stopped = ""
    while not player.state.ended:
        print(f"[{player.state.clock}] > ", end="", file=out, flush=True)
        raw = inp.readline()
        if not raw:
            stopped = "play_end_eof"
            break
        try:
            step = parse_step(raw, where="input")
        except PlayError as e:
            print(e, file=out)
            continue
        if step is None:
            continue
        if step.quit:
            stopped = "play_end_quit"
            break
        print(f"{who}: ", end="", file=out, flush=True)
        reply = await player.play(step, on_delta=lambda d: print(d, end="", file=out, flush=True))
        if reply.turn is None:
            print("(…)", file=out)
        else:
            print(f"   [{reply.turn.at}]", file=out)
        if reply.notice:
            print(f"  ({reply.notice})", file=out)
    s = player.state
    how = stopped or ("play_end_customer" if s.ended_by == "customer" else "play_end_trainee")
    print(f"\n―― {t(how, lang)} · {t('play_at', lang, c=s.clock)} ――\n", file=out)
    card = player.finish()
    print(text_view.card(card, player.rubric, player.scenario) if card else t("play_no_score", lang), file=out)


def cmd_play(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None,
             stderr: TextIO | None = None) -> int:
    inp, out, err = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        scenario = resolve_scenario(args.scenario)
        rubric = resolve_rubric(args.rubric)
        steps = read_steps(args.trainee_lines, inp) if args.trainee_lines is not None else None
        backend = make_backend(args.backend)
    except (PlayError, ValueError) as e:
        print(f"simulator play: {e}", file=err)
        return 1
    try:
        player = Player(backend, scenario, args.seed, Recorder.open(args.trainee, scenario, backend.name, err), rubric)
        if steps is not None:
            session = asyncio.run(play_lines(player, steps, err))
            print(session.model_dump_json(indent=2), file=out)
        else:
            asyncio.run(play_interactive(player, inp, out))
        if player.recorder and player.recorder.session_id:
            print(f"simulator play: recorded as session {player.recorder.session_id} "
                  f"(trainee {args.trainee})", file=err)
    except KeyboardInterrupt:
        print("", file=out)
        return 0
    except (ContactEndedError, PlayError, ValueError) as e:
        print(f"simulator play: {e}", file=err)
        return 1
    return 0
