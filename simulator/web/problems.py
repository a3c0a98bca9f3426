"""Scenario-file problems in the UI language, and the draft's lines they point at (the editor's
validation panel, and the script that marks those lines in the editor).

The loader speaks English (its `FILE:LINE:COL: message` lines are also what `simulator validate`
prints, and what editors and scripts parse); here the message after the FILE:LINE:COL core is
put into Japanese for the Japanese UI. Messages without a Japanese form stay in English.
"""

from __future__ import annotations

import re

from simulator.models import Scenario
from simulator.semantics import Problem
from simulator.web.i18n import t
from simulator.web.render import safe

_OR = re.compile(r",? or |, ")
# (pattern on the English message, Japanese template); the first match wins.
_JA: list[tuple[re.Pattern[str], str]] = [(re.compile(p), ja) for p, ja in [
    (r"^unknown key '(?P<k>[^']*)'; did you mean '(?P<g>[^']*)'\?$", "不明なキー '{k}' です（'{g}' の誤りではありませんか？）"),
    (r"^unknown key '(?P<k>[^']*)'$", "不明なキー '{k}' です"),
    (r"^missing required key '(?P<k>[^']*)' in (?P<w>\S+)$", "{w} に必須のキー '{k}' がありません"),
    (r"^missing required key '(?P<k>[^']*)'$", "必須のキー '{k}' がありません"),
    (r"^duplicate key '(?P<k>[^']*)'$", "キー '{k}' が重複しています"),
    (r"^duplicate (?P<w>\w+) id '(?P<k>[^']*)'(?P<r>.*)$", "{w} の id '{k}' が重複しています{r}"),
    (r"^unknown intent '(?P<k>[^']*)'; did you mean '(?P<g>[^']*)'\?$", "不明なインテント '{k}' です（'{g}' の誤りではありませんか？）"),
    (r"^unknown intent '(?P<k>[^']*)'$", "不明なインテント '{k}' です"),
    (r"^YAML syntax error: (?P<r>.*)$", "YAML の書き方に誤りがあります: {r}"),
    (r"^file is not valid UTF-8(?P<r>.*)$", "ファイルが UTF-8 ではありません{r}"),
    (r"^file is larger than the (?P<n>\d+) KiB limit$", "ファイルが上限の {n} KiB を超えています"),
    (r"^(?P<w>[\w.]+): Input should be a valid (?P<t>string|integer|number|list|dictionary|boolean)(?P<r>.*)$",
     "{w}: {t}で書いてください{r}"),
    (r"^(?P<w>[\w.]+): Input should be (?P<o>'.*)$", "{w}: 使える値は {o} です"),
    (r"^(?P<w>[\w.]+): Input should be (?P<c>greater|less) than or equal to (?P<n>[\d.]+)$", "{w}: {n} {c}の値にしてください"),
    (r"^(?P<w>[\w.]+): String should have at most (?P<n>\d+) characters?$", "{w}: {n} 文字以内にしてください"),
    (r"^(?P<w>[\w.]+): String should have at least (?P<n>\d+) characters?$", "{w}: {n} 文字以上にしてください"),
    (r"^(?P<w>[\w.]+): List should have at least (?P<n>\d+) items?(?P<r>.*)$", "{w}: {n} 個以上書いてください"),
    (r"^(?P<w>[\w.]+): Field required$", "{w}: 必須の項目です"),
]]
_TYPES = {"string": "文字列", "integer": "整数", "number": "数値", "list": "リスト（- で始まる行）",
          "dictionary": "キー: 値 の組", "boolean": "true か false"}
_COMPARE = {"greater": "以上", "less": "以下"}


def message(problem: Problem, lang: str) -> str:
    """The problem's message (without FILE:LINE:COL) in `lang`."""
    if lang != "ja":
        return problem.message
    for pattern, template in _JA:
        m = pattern.match(problem.message)
        if m:
            parts = m.groupdict()
            if "t" in parts:
                parts["t"] = _TYPES[parts["t"]]
            if "c" in parts:
                parts["c"] = _COMPARE[parts["c"]]
            if "o" in parts:
                parts["o"] = "、".join(x for x in _OR.split(parts["o"]) if x)
            return template.format(**parts)
    return problem.message


def line(problem: Problem, lang: str) -> str:
    """`FILE:LINE:COL: message`, the message in `lang`: the core stays as the CLI prints it."""
    return f"{problem.file}:{problem.line}:{problem.col}: {message(problem, lang)}"


def excerpt(text: str, problem: Problem) -> tuple[int, str, int] | None:
    """(line number, that line of the draft, column) when the problem points inside the draft."""
    rows = text.splitlines()
    if not 1 <= problem.line <= len(rows):
        return None
    return problem.line, rows[problem.line - 1], max(1, problem.col)


def validate_text(text: str, file_name: str) -> tuple[Scenario | None, list[Problem]]:
    """The draft as a Scenario, or the loader's problems (their FILE named after `file_name`)."""
    from simulator.loading import LoadError, load_scenario
    try:
        return load_scenario(file_name or "draft.yaml", text=text), []
    except LoadError as e:
        return None, list(e.problems)


MAX_SHOWN = 8  # a broken indent can make dozens; the first few say where to look


def validation_html(text: str, file_name: str, lang: str) -> str:
    """✓ or the problems, each as its FILE:LINE:COL line in `lang` with the draft's line under
    it (caret at the column); data-lines tells the editor which lines to mark (MARK_LINES_JS)."""
    if not (text or "").strip():
        return ""
    sc, found = validate_text(text, file_name)
    if sc is not None:
        return f"<div class='sim-validation ok' id='sim-validation'>✓ {safe(t('valid', lang, id=sc.id))}</div>"
    items, marked = [], []
    for p in found[:MAX_SHOWN]:
        item = f"<div class='sim-problem'>{safe(line(p, lang))}"
        ex = excerpt(text, p)
        if ex is not None:
            n, src, col = ex
            marked.append(str(n))
            gutter = f"{n:>4} | "
            item += (f"<pre class='sim-excerpt'><span class='sim-excerpt-line'>{safe(gutter + src)}</span>\n"
                     f"{' ' * (len(gutter) + col - 1)}^</pre>")
        items.append(item + "</div>")
    if len(found) > MAX_SHOWN:
        items.append(f"<div class='sim-problem'>{safe(t('more_problems', lang, n=len(found) - MAX_SHOWN))}</div>")
    return (f"<div class='sim-validation bad' id='sim-validation' data-lines='{','.join(dict.fromkeys(marked))}'>"
            f"{''.join(items)}</div>")


# Marks the offending lines inside the editor: a tinted band under each line named in the
# validation's data-lines, drawn in CodeMirror's scroller (the layer its own selection uses),
# never in its content, which CodeMirror owns. Runs in the browser after each validation.
MARK_LINES_JS = """(html) => {
  const root = document.querySelector('#sim-ed-code');
  const content = root && root.querySelector('.cm-content');
  const tile = content && (content.cmTile || content.cmView);
  const view = tile && (tile.view || (tile.root && tile.root.view));
  if (!view) return [];
  const scroller = view.scrollDOM;
  scroller.querySelectorAll('.sim-bad-line').forEach(e => e.remove());
  const m = /data-lines='([0-9,]*)'/.exec(html || '');
  if (!m || !m[1]) return [];
  const offset = view.documentTop - scroller.getBoundingClientRect().top + scroller.scrollTop;
  for (const n of m[1].split(',').map(Number)) {
    if (n < 1 || n > view.state.doc.lines) continue;
    const block = view.lineBlockAt(view.state.doc.line(n).from);
    const band = document.createElement('div');
    band.className = 'sim-bad-line';
    band.dataset.line = String(n);
    band.style.top = (block.top + offset) + 'px';
    band.style.height = block.height + 'px';
    scroller.appendChild(band);
  }
  return [];
}"""
