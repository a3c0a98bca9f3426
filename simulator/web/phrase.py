"""The editor's "try a phrase" box: how the reader hears a sentence against the draft scenario
(its own intents included) — the same reading `simulator explain` prints, as a small table."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr

from simulator.language.explain import Explanation, explain, reader_for
from simulator.web.i18n import Relabeller, t
from simulator.web.problems import validate_text

MAX_PHRASE_CHARS = 1000


def reading_table(e: Explanation, lang: str) -> str:
    rows = []
    for s in e.sentences:
        heard = "<br>".join(f"<b>{html.escape(i.id)}</b> {i.confidence:.2f}"
                            f"<div class='sim-why'>{html.escape(i.because)}</div>" for i in s.intents)
        rows.append(f"<tr><td>{html.escape(s.text)}</td><td>{html.escape(s.act)} {s.act_confidence:.2f}</td>"
                    f"<td>{heard or '—'}</td></tr>")
    times = ", ".join(f"{html.escape(x.text)} ({t('phrase_promise' if x.promise else 'phrase_no_promise', lang)})"
                      for x in e.times)
    head = (f"<tr><th>{t('phrase_sentence', lang)}</th><th>{t('phrase_act', lang)}</th>"
            f"<th>{t('phrase_intents', lang)}</th></tr>")
    foot = f"<p>{t('phrase_times', lang)}: {times}</p>" if times else ""
    return f"<table class='sim-phrase' id='sim-phrase-table'>{head}{''.join(rows)}</table>{foot}"


def phrase_html(phrase: str, draft: str, file_name: str, lang: str) -> str:
    """The reading of `phrase` for the draft, or what stands in the way (an invalid draft)."""
    phrase = (phrase or "").strip()
    if not phrase:
        return f"<p class='sim-error'>{t('phrase_empty', lang)}</p>"
    if len(phrase) > MAX_PHRASE_CHARS:
        return f"<p class='sim-error'>{t('phrase_long', lang, n=MAX_PHRASE_CHARS)}</p>"
    sc, found = validate_text(draft or "", file_name or "draft.yaml")
    if sc is None:
        return f"<p class='sim-error'>{t('phrase_invalid', lang)}</p>"
    return reading_table(explain(phrase, reader_for(sc.language, sc), sc.clock.start), lang)


def build(lg: str, rl: Relabeller, code: gr.Code, fname: gr.Textbox, lang_radio: gr.Radio, st: gr.State,
          allowed: Any) -> None:
    """The accordion under the editor; `allowed(state, lang)` raises unless a supervisor is signed in."""
    with gr.Accordion(t("phrase_title", lg), open=False) as acc:
        rl.add(acc, lambda lang: gr.update(label=t("phrase_title", lang)))
        with gr.Row():
            box = rl.label(gr.Textbox(label=t("phrase_label", lg), scale=5, max_lines=3, elem_id="sim-phrase-in"),
                           "phrase_label")
            go = rl.value(gr.Button(t("phrase_go", lg), scale=1, elem_id="sim-phrase-go", elem_classes=["sim-btn"]),
                          "phrase_go")
        out = gr.HTML("", elem_id="sim-phrase-out")

    def on_try(phrase: str, draft: str, file_name: str, lang: str, state: Any) -> str:
        allowed(state, lang)
        return phrase_html(phrase, draft, file_name, lang)

    inputs = [box, code, fname, lang_radio, st]
    go.click(on_try, inputs, out, api_name="editor_try_phrase", concurrency_limit=8)
    box.submit(on_try, inputs, out, api_visibility="private", concurrency_limit=8)
