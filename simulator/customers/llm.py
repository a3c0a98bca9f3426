"""The LLM customer: any OpenAI-compatible model speaks, the scripted engine decides.

THE HYBRID RULE. Each turn runs the scripted engine first (`ScriptedCustomer.step`): it decides
the new state (revealed needs, mood, clock, ended) and a scripted line. The model only words the
reply. So reveal behaviour, mood and the clock are identical across engines and testable, and a
hidden need's description reaches the prompt only once the scripted engine has revealed it.

SENTENCE BY SENTENCE. The model's reply is streamed to the trainee as it is written, one
sentence at a time, each shown only after the output guard passed it together with everything
before it (`streaming.py`). A later sentence that fails, a cut or a stall ends the reply at the
last good sentence; if the script revealed a need the shown words do not tell, the script's line
is added. Only a reply rejected before anything was shown is asked for again.

FAULTS. Endpoint down, 401/403, 429, 5xx, a hung or stalled request past its deadline
(SIMULATOR_LLM_TURN_DEADLINE / _STALL_SECONDS), a cut stream or an empty reply with nothing shown:
the turn is taken by the scripted line (Turn.source "scripted-fallback") with a notice in the
scenario's language; the state is the scripted engine's, so nothing is lost, and the next message
tries the model again (no circuit breaker: the state carries no fault memory).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import weakref
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx2
import openai
from langchain_core.messages import (AIMessage, BaseMessage, HumanMessage, convert_to_openai_messages,
                                     merge_message_runs, trim_messages)
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from simulator.customers import recall
from simulator.customers.base import CustomerReply, ReplyEvent
from simulator.customers.guard import OutputGuard, fold, guard_for
from simulator.customers.scripted import ScriptedCustomer, ScriptedStep
from simulator.customers.streaming import Deadline, FaultKind, StreamFault, guarded_sentences
from simulator.llm import LLMConfigError, LLMSettings, make_client
from simulator.models import CustomerState, LocalText, Rubric, Scenario, Turn
from simulator.tokens import message_token_counter

PROMPTS = Path(__file__).parent / "prompts"
log = logging.getLogger(__name__)


_TAIL = LocalText(ja="今回は台本の返答を表示しています。次のメッセージで再びAIのお客様を試します。",
                  en="Showing the scripted reply for this turn; the next message tries the AI customer again.")
NOTICES: dict[FaultKind, LocalText] = {
    "unavailable": LocalText(ja="AIのお客様のサーバーに接続できませんでした。",
                             en="Could not reach the AI customer's server."),
    "auth": LocalText(ja="AIのお客様のサーバーが認証を拒否しました（SIMULATOR_LLM_API_KEY を確認してください）。",
                      en="The AI customer's server refused the credentials (check SIMULATOR_LLM_API_KEY)."),
    "rate_limit": LocalText(ja="AIのお客様のサーバーが混み合っています（429）。",
                            en="The AI customer's server is rate-limiting requests (429)."),
    "server_error": LocalText(ja="AIのお客様のサーバーでエラーが起きました。",
                              en="The AI customer's server had an error."),
    "bad_request": LocalText(ja="AIのお客様のサーバーが要求を受け付けませんでした（SIMULATOR_LLM_MODEL を確認してください）。",
                             en="The AI customer's server rejected the request (check SIMULATOR_LLM_MODEL)."),
    "timeout": LocalText(ja="AIのお客様の応答が時間内に返ってきませんでした。",
                         en="The AI customer did not answer in time."),
    "stalled": LocalText(ja="AIのお客様の返答が途中で止まりました。", en="The AI customer's reply stalled."),
    "cut": LocalText(ja="AIのお客様の返答が途中で途切れました。",
                     en="The AI customer's reply was cut off."),
    "empty": LocalText(ja="AIのお客様の返答が空でした。", en="The AI customer's reply was empty."),
    "guard": LocalText(ja="AIのお客様の返答に使えない内容が含まれていました。",
                       en="The AI customer's reply contained text that cannot be shown."),
}


def notice_for(kind: FaultKind, language: str) -> str:
    return f"{NOTICES[kind].get(language)} {_TAIL.get(language)}"


@functools.cache
def fragments(language: str) -> dict[str, str]:
    """`## key` sections of prompts/fragments.<language>.md."""
    text = (PROMPTS / f"fragments.{language}.md").read_text(encoding="utf-8")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    out: dict[str, str] = {}
    for block in re.split(r"^## ", text, flags=re.M)[1:]:
        key, _, body = block.partition("\n")
        out[key.strip()] = body.rstrip("\n")
    return out


@functools.cache
def system_template(language: str) -> ChatPromptTemplate:
    system = (PROMPTS / f"customer.{language}.md").read_text(encoding="utf-8")
    return ChatPromptTemplate.from_messages([("system", system), MessagesPlaceholder("history")])


def _mood_key(mood: float) -> str:
    for limit, key in ((-0.5, "very_upset"), (-0.15, "upset"), (0.15, "uneasy"), (0.5, "calmer")):
        if mood < limit:
            return "mood_" + key
    return "mood_warm"


def _units(text: str, language: str) -> set[str]:
    """Comparable pieces of wording: character pairs (ja) or words (en)."""
    if language == "ja":
        f = fold(text)
        return {f[i:i + 2] for i in range(len(f) - 1)}
    return set(re.findall(r"[a-z]{3,}", text.casefold()))


def _classify(exc: BaseException) -> StreamFault:
    """Map client exceptions to fault kinds (order matters: timeout is a connection error)."""
    if isinstance(exc, StreamFault):
        return exc
    if isinstance(exc, (openai.APITimeoutError, TimeoutError, httpx2.TimeoutException)):
        return StreamFault("timeout", str(exc) or "timed out")
    if isinstance(exc, openai.APIConnectionError):
        return StreamFault("unavailable", str(exc))
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return StreamFault("auth", str(exc))
    if isinstance(exc, openai.RateLimitError):
        return StreamFault("rate_limit", str(exc))
    if isinstance(exc, openai.APIStatusError):
        return StreamFault("server_error" if exc.status_code >= 500 else "bad_request", str(exc))
    # A body broken mid-stream surfaces as a bare APIError or an httpx2 transport error.
    if not isinstance(exc, (openai.APIError, httpx2.HTTPError)):
        log.exception("unexpected error while asking the LLM customer", exc_info=exc)
    return StreamFault("cut", f"{type(exc).__name__}: {exc}")


class LLMCustomer:
    """CustomerBackend "openai": scripted decisions, model wording, guarded output."""

    name = "openai"

    def __init__(self, settings: LLMSettings, client: openai.AsyncOpenAI | None = None,
                 rubrics: Sequence[Rubric] | None = None, scripted: ScriptedCustomer | None = None) -> None:
        if not settings.model:
            raise LLMConfigError("the LLM customer needs a model: set SIMULATOR_LLM_MODEL (see docs/llm.md)")
        self.settings = settings
        if client is None:
            make_client(settings)  # fail now, naming the missing variable, not on the first message
        self._client = client
        # One client per event loop: httpx2 pools connections per loop, and a caller that runs
        # each turn under its own asyncio.run() (the terminal `play`) would reuse dead ones.
        self._loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary())
        self.scripted = scripted or ScriptedCustomer()
        self._rubrics = rubrics  # None: every rubric of the default catalog (loaded on first use)
        self._guards: dict[str, OutputGuard] = {}

    async def aclose(self) -> None:
        """Close the client of the running event loop (call before that loop ends)."""
        loop = asyncio.get_running_loop()
        client = self._client or self._loop_clients.pop(loop, None)
        if client is not None:
            await client.close()

    @property
    def client(self) -> openai.AsyncOpenAI:
        if self._client is not None:
            return self._client
        loop = asyncio.get_running_loop()
        if loop not in self._loop_clients:
            self._loop_clients[loop] = make_client(self.settings)
        return self._loop_clients[loop]

    # -------------------------------------------------------------------- protocol

    def start(self, scenario: Scenario, seed: int = 0) -> CustomerReply:
        # The opening is the scenario's own line: instant, and the model has nothing to react to yet.
        return self.scripted.start(scenario, seed)

    async def stream(self, scenario: Scenario, message: str, state: CustomerState, hold_seconds: int = 0, *,
                     transcript: Sequence[Turn]) -> AsyncIterator[ReplyEvent]:
        step = self.scripted.step(scenario, message, state, hold_seconds)
        history = list(transcript)  # the model needs the context; the caller stores it, not the state
        text = message.strip()
        if text:
            said = step.reply.turn.at if step.reply.turn is not None else step.reply.state.clock
            history.append(Turn(role="trainee", text=text, at=said, source="trainee"))
        scripted_turn = step.reply.turn
        if scripted_turn is None:  # the trainee ended the contact, or silence on a short hold
            yield ReplyEvent(done=step.reply)
            return
        guard = self.guard(scenario)
        revealed = step.reply.state.revealed_needs
        messages = self.build_messages(scenario, step, history, hold_seconds, guard)
        deadline = Deadline(self.settings.turn_deadline)
        shown = ""
        fault: StreamFault | None = None
        for attempt in (1, 2):
            fault = None
            try:
                async for sentence in self._sentences(messages, guard, revealed, deadline):
                    shown += sentence
                    yield ReplyEvent(delta=sentence)
            except Exception as exc:  # noqa: BLE001 - every failure of the model becomes a typed fault
                fault = _classify(exc)
            # Only a reply rejected before anything was shown is asked for again (shown text stays).
            if fault is None or fault.kind != "guard" or shown or deadline.left() <= 0:
                break
            log.info("LLM customer reply rejected by the guard (%s, attempt %d): %s", scenario.id, attempt, fault.detail)
            retry = fragments(scenario.language)["retry"]  # joins the first system message: some
            messages = [{**messages[0], "content": f"{messages[0]['content']}\n\n{retry}"}, *messages[1:]]
        if fault is not None:  # operators see why; the trainee sees a notice only if nothing was shown
            log.warning("LLM customer stopped early (%s, %s, %d characters shown): %s",
                        scenario.id, fault.kind, len(shown), fault.detail)
        notice = None
        if shown.strip():
            said = shown.strip()
            if not self._discloses(guard, step, state, said):
                # The script revealed a need the model left out: its line is added, so the state
                # (need revealed) and the transcript agree.
                extra = (" " if scenario.language == "en" else "") + scripted_turn.text
                yield ReplyEvent(delta=extra)
                said += extra
            turn = scripted_turn.model_copy(update={"text": said, "source": "llm"})
        else:
            turn = scripted_turn.model_copy(update={"source": "scripted-fallback"})
            if fault is not None:
                notice = notice_for(fault.kind, scenario.language)
            yield ReplyEvent(delta=turn.text)
        new_state = step.reply.state.model_copy(update={"last_reply": turn.text})
        yield ReplyEvent(done=CustomerReply(turn=turn, state=new_state, notice=notice))

    # ------------------------------------------------------------------ generation

    def guard(self, scenario: Scenario) -> OutputGuard:
        # One guard per scenario object (its secret terms are cached); an edited scenario is a
        # new object and gets a new guard.
        cached = self._guards.get(scenario.id)
        if cached is None or cached.scenario is not scenario:
            cached = self._guards[scenario.id] = guard_for(scenario, self._rubrics)
        return cached

    @staticmethod
    def _discloses(guard: OutputGuard, step: ScriptedStep, before: CustomerState, text: str) -> bool:
        """On a turn the scripted engine reveals a need, the reply must actually tell it: it must
        share a distinctive word with the scripted disclosure line the model was asked to convey
        (when that line has one); otherwise state and transcript would disagree."""
        if not step.newly_revealed or step.reply.turn is None:
            return True
        terms = guard.secret_terms(before.revealed_needs)
        line, folded = fold(step.reply.turn.text), fold(text)
        for need in step.newly_revealed:
            own = [t for t, n in terms.items() if n == need and t in line and t != line]  # words, not the line
            if own:
                if not any(t in folded for t in own):
                    return False
                continue
            # No distinctive word in the line ("if it could come a little sooner..."): ask for a
            # fifth of its wording beyond the customer's routine lines ("はい…", "I see…").
            r = guard.scenario.replies
            routine = _units(" ".join([*r.filler, *r.acknowledged, *r.vague_wait]), guard.scenario.language)
            wanted = _units(step.reply.turn.text, guard.scenario.language) - routine
            if wanted and len(wanted & _units(text, guard.scenario.language)) < 0.2 * len(wanted):
                return False
        return True

    def _sentences(self, messages: list[dict], guard: OutputGuard, revealed: list[str],
                   deadline: Deadline) -> AsyncIterator[str]:
        def reject(so_far: str) -> str | None:
            verdict = guard.check(so_far, revealed)
            return None if verdict.ok else "; ".join(verdict.reasons)

        return guarded_sentences(self._pieces(messages), reject, deadline, self.settings.stall_seconds)

    async def _pieces(self, messages: list[dict]) -> AsyncIterator[tuple[str, bool]]:
        """The model's streamed deltas as (text, finished); a body that breaks off is a "cut"."""
        s = self.settings
        stream = await self.client.chat.completions.create(
            model=s.model, messages=messages, stream=True,  # type: ignore[arg-type]
            temperature=s.temperature, max_tokens=s.max_tokens)
        got = 0
        try:
            async for chunk in stream:
                if chunk.choices:
                    choice = chunk.choices[0]
                    got += len(choice.delta.content or "")
                    yield choice.delta.content or "", choice.finish_reason is not None
        except (TimeoutError, openai.APITimeoutError, httpx2.TimeoutException):
            raise
        except Exception as exc:  # noqa: BLE001 - the response had begun: the body broke off
            raise StreamFault("cut", f"{type(exc).__name__} after {got} characters: {exc}") from exc
        finally:
            await stream.close()

    # ---------------------------------------------------------------------- prompt

    def build_messages(self, scenario: Scenario, step: ScriptedStep, history: list[Turn],
                       hold_seconds: int, guard: OutputGuard) -> list[dict]:
        """System prompt (persona, facts, situation, mood, clock, revealed needs, rules) + trimmed history."""
        lang = scenario.language
        frag = fragments(lang)
        state = step.reply.state
        revealed = state.revealed_needs
        p = scenario.persona
        channel = frag[f"channel_{scenario.channel}"]
        needs = {n.id: n for n in scenario.hidden_needs}
        line = step.reply.turn.text if step.reply.turn is not None else ""

        revealed_lines = [frag["revealed_item"].format(description=needs[i].description,
                                                       example=needs[i].disclosure[0])
                          for i in revealed if i in needs and i not in step.newly_revealed]
        this_turn = [frag["ready_to_tell"].format(description=needs[i].description, example=line)
                     for i in step.newly_revealed if i in needs]
        if not this_turn:
            this_turn.append(frag["react_like"].format(line=line))
        if state.ended:
            this_turn.append(frag["ending"].format(channel=channel))
        events = [e.description for e in scenario.clock.events if e.id in state.passed_events]
        situation = [guard.redact(scenario.brief.summary, revealed), guard.redact(scenario.brief.context, revealed)]
        if events:
            situation.append(frag["events"].format(events=guard.redact(" ".join(events), revealed)))
        length_key = "length_rule_email" if scenario.channel == "email" else "length_rule_spoken"

        values = {
            "name": p.name, "age": p.age if p.age is not None else "-",
            "background": guard.redact(p.background, revealed) or "-",
            "speaking_style": guard.redact(p.speaking_style, revealed) or "-",
            "temperament": p.temperament, "traits": ", ".join(p.traits) or "-",
            "channel": channel,
            "facts": "\n".join(f"- {guard.redact(f.text, revealed) or '-'}" for f in scenario.facts) or "-",
            "situation": "\n".join(s for s in situation if s) or "-",
            "mood": frag[_mood_key(state.mood)], "clock": state.clock,
            "hold": frag["hold"].format(seconds=hold_seconds) if hold_seconds else "",
            "revealed": "\n".join(revealed_lines) or frag["none_revealed"],
            "this_turn": "\n".join(this_turn),
            "memory": guard.redact(recall.summary(state, scenario), revealed) or frag["memory_none"],
            "length_rule": frag[length_key].format(name=p.name),
        }
        chat: list[BaseMessage] = []
        for t in history:
            if t.role == "customer":
                chat.append(AIMessage(t.text))
            else:
                chat.append(HumanMessage(t.text))
        if chat and isinstance(chat[0], AIMessage):
            # Many chat templates require a user turn first; the customer spoke first on the line.
            chat.insert(0, HumanMessage(frag["connected"].format(channel=channel)))
        if not chat or isinstance(chat[-1], AIMessage):  # a silent hold: the model reacts to the wait
            chat.append(HumanMessage(frag["hold_message"].format(seconds=hold_seconds)))
        # Strict chat templates (Mistral, Gemma) require alternating roles; two customer lines in
        # a row (after a silent hold) become one message.
        chat = merge_message_runs(chat, chunk_separator="\n")
        system = system_template(lang).format_messages(history=[], **values)
        # The system prompt is never cut; the history gets what is left of the budget, and the
        # trainee's latest message is kept even when nothing else fits.
        room = self.settings.context_tokens - message_token_counter(system)
        kept = trim_messages(chat, max_tokens=max(room, 0), token_counter=message_token_counter,
                             strategy="last", start_on="human") or chat[-1:]
        return convert_to_openai_messages([*system, *kept])  # type: ignore[return-value]

