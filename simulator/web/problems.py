"""Scenario-file problems in the UI language, and the draft's lines they point at.

The loader speaks English (its `FILE:LINE:COL: message` lines are also what `simulator validate`
prints, and what editors and scripts parse); here the message after the FILE:LINE:COL core is
put into Japanese for the Japanese UI. Messages without a Japanese form stay in English.
"""

from __future__ import annotations

import re

from simulator.semantics import Problem

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
