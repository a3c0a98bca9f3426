"""YAML scenario and rubric files -> models, with every problem as FILE:LINE:COL: message.

Loading is deliberately paranoid because supervisors write these files by hand and the web
editor feeds drafts straight in: a size cap, no tags beyond plain YAML types, alias expansion
bounded before anything is built, duplicate keys refused, and pydantic errors mapped back to
the line of the offending key with a "did you mean" hint for typos.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from simulator.models import Rubric, Scenario
from simulator.semantics import Problem, check_rubric, check_scenario, close_field
from simulator.yamldepth import nesting_problem

MAX_BYTES = 512 * 1024
MAX_EXPANDED_NODES = 50_000
MAX_DEPTH = 100
_PLAIN_TAGS = {"str", "int", "float", "bool", "null", "seq", "map", "timestamp"}
_YAML_PREFIX = "tag:yaml.org,2002:"


class LoadError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class _Doc:
    """A parsed file: plain Python data plus the node tree that knows where each key sits."""

    path: str
    data: Any
    root: Node


# ------------------------------------------------------------------------------ parsing


def _read_text(path: str, text: str | None) -> str:
    if text is not None:
        raw = text.encode("utf-8", "surrogatepass")
    else:
        try:
            with open(path, "rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
        except OSError as e:
            raise LoadError([Problem.make(path, 1, 1, f"cannot read file: {e.strerror}")]) from None
    if len(raw) > MAX_BYTES:
        raise LoadError([Problem.make(path, 1, 1, f"file is larger than the {MAX_BYTES // 1024} KiB limit")])
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start]
        line = before.count(b"\n") + 1
        col = e.start - (before.rfind(b"\n") + 1) + 1
        raise LoadError([Problem.make(path, line, col, f"file is not valid UTF-8 (byte 0x{raw[e.start]:02x}); "
                                                   "save it as UTF-8")]) from None
    if not decoded.strip() or all(ln.strip().startswith("#") or not ln.strip() for ln in decoded.splitlines()):
        raise LoadError([Problem.make(path, 1, 1, "file is empty")])
    return decoded.lstrip("\ufeff")


def _check_tags_and_size(path: str, root: Node) -> None:
    """Refuse non-plain tags and alias bombs by walking the composed graph once (memoised)."""
    sizes: dict[int, int] = {}

    def walk(node: Node, depth: int) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > MAX_DEPTH:
            raise LoadError([_at(path, node, f"nesting is deeper than {MAX_DEPTH} levels")])
        tag = str(node.tag)
        name = tag[len(_YAML_PREFIX):] if tag.startswith(_YAML_PREFIX) else tag
        if name not in _PLAIN_TAGS:
            raise LoadError([_at(path, node, f"tag '{tag.replace(_YAML_PREFIX, '!!')}' is not allowed; "
                                             "only plain YAML values are")])
        total = 1
        if isinstance(node, MappingNode):
            for k, v in node.value:
                total += walk(k, depth + 1) + walk(v, depth + 1)
        elif isinstance(node, SequenceNode):
            for v in node.value:
                total += walk(v, depth + 1)
        sizes[id(node)] = total
        if total > MAX_EXPANDED_NODES:
            raise LoadError([_at(path, node, "aliases expand to more than "
                                             f"{MAX_EXPANDED_NODES:,} values (alias bomb?)")])
        return total

    walk(root, 0)


def _construct(path: str, node: Node) -> Any:
    """Build plain data from nodes ourselves: no object construction, duplicate keys refused."""
    if isinstance(node, MappingNode):
        out: dict[Any, Any] = {}
        for k, v in node.value:
            if str(k.tag).endswith((":seq", ":map")) or (k.tag and str(k.tag).endswith(":merge")):
                raise LoadError([_at(path, k, "a key must be a plain value")])
            key = _construct(path, k)
            if key in out:
                raise LoadError([_at(path, k, f"duplicate key '{key}'")])
            out[key] = _construct(path, v)
        return out
    if isinstance(node, SequenceNode):
        return [_construct(path, v) for v in node.value]
    assert isinstance(node, ScalarNode)
    tag, value = str(node.tag), node.value
    if tag.endswith(":int"):
        return int(value.replace("_", ""), 0) if value.lower().startswith(("0x", "0o")) else int(value.replace("_", ""))
    if tag.endswith(":float"):
        return float(value.replace("_", "").replace(".inf", "inf").replace(".nan", "nan"))
    if tag.endswith(":bool"):
        return value.lower() == "true"
    if tag.endswith(":null"):
        return None
    if node.style == ">":
        value = _unfold(value)
    return value  # str, and timestamps kept as text


_FOLD = re.compile(r"(?<=[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef])\a (?=[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef])")


def _unfold(value: str) -> str:
    """ruamel marks folded line joins with BEL; drop them, and the space between Japanese
    characters too (Japanese text has no spaces between words, so a fold must not add one)."""
    return _FOLD.sub("", value).replace("\a", "")


def _at(path: str, node: Node, message: str) -> Problem:
    return Problem.make(path, node.start_mark.line + 1, node.start_mark.column + 1, message)


def parse_yaml(path: str, text: str | None = None) -> _Doc:
    return _parse_source(path, _read_text(path, text))


def _parse_source(path: str, source: str) -> _Doc:
    """Compose already checked and decoded text (see _read_text) into data plus its node tree."""
    try:
        too_deep = nesting_problem(path, source, MAX_DEPTH)
        if too_deep is not None:
            raise LoadError([too_deep])
        root = YAML(typ="rt").compose(source)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = (e.problem or e.context or "invalid YAML").strip()
        ctx = e.context_mark
        if e.problem and e.context and ctx is not None and mark is not None and ctx.line != mark.line:
            what += f" ({e.context.strip()} opened at line {ctx.line + 1})"
        raise LoadError([Problem.make(path, line, col, f"YAML syntax error: {what}")]) from None
    except YAMLError as e:
        raise LoadError([Problem.make(path, 1, 1, f"YAML error: {e}")]) from None
    if root is None:
        raise LoadError([Problem.make(path, 1, 1, "file is empty")])
    if not isinstance(root, MappingNode):
        raise LoadError([_at(path, root, "the file must be a mapping of keys (e.g. 'id: ...') at the top level")])
    _check_tags_and_size(path, root)
    return _Doc(path, _construct(path, root), root)


# ------------------------------------------------------------------- errors -> positions


def _node_at(root: Node, loc: tuple[Any, ...]) -> tuple[Node, bool]:
    """Follow a pydantic error location through the node tree; returns (node, reached_end).

    For a mapping key we return the *key* node, since supervisors look for the key's line."""
    node: Node = root
    for i, part in enumerate(loc):
        if isinstance(node, MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if match is None:
                return node, False
            if i == len(loc) - 1:
                return match[0], True
            node = match[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return node, False
    return node, True


def _problems_from_validation(doc: _Doc, err: ValidationError, model: type[BaseModel]) -> list[Problem]:
    problems = []
    errors = err.errors(include_url=False)
    # A misspelt key yields "unknown key" plus "missing key"; report only the first, with the hint.
    meant = {(*e["loc"][:-1], close_field(model, e["loc"])) for e in errors if e["type"] == "extra_forbidden"}
    for e in errors:
        if e["type"] == "missing" and tuple(e["loc"]) in meant:
            continue
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-"))))
        node, _ = _node_at(doc.root, loc)
        where = ".".join(str(p) for p in loc) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            guess = close_field(model, loc)
            msg = f"unknown key '{loc[-1]}'" + (f"; did you mean '{guess}'?" if guess else "")
        elif e["type"] == "missing":
            parent, _ = _node_at(doc.root, loc[:-1])
            node = parent
            msg = f"missing required key '{loc[-1]}'" + (f" in {'.'.join(map(str, loc[:-1]))}" if loc[:-1] else "")
        else:
            msg = f"{where}: {msg}"
        problems.append(_at(doc.path, node, msg))
    return problems


def _locate(doc: _Doc, loc: tuple[Any, ...], message: str) -> Problem:
    node, _ = _node_at(doc.root, loc)
    return _at(doc.path, node, message)


# --------------------------------------------------------------------------- public API


def kind_of(path: str, data: Any, text: str = "") -> str:
    """'rubric' or 'scenario': by the $schema line, the folder, then the keys."""
    if "rubric.schema.json" in text.split("\n", 1)[0]:
        return "rubric"
    if "scenario.schema.json" in text.split("\n", 1)[0]:
        return "scenario"
    if Path(path).parent.name == "rubrics":
        return "rubric"
    return "rubric" if isinstance(data, dict) and "criteria" in data else "scenario"


def _validate(doc: _Doc, model: type[BaseModel]) -> BaseModel:
    try:
        obj = model.model_validate(doc.data)
    except ValidationError as e:
        raise LoadError(_problems_from_validation(doc, e, model)) from None
    checks = check_scenario(obj) if isinstance(obj, Scenario) else check_rubric(obj)  # type: ignore[arg-type]
    if checks:
        raise LoadError([_locate(doc, loc, msg) for loc, msg in checks])
    return obj


def load_scenario(path: str | os.PathLike[str], text: str | None = None) -> Scenario:
    return _validate(parse_yaml(str(path), text), Scenario)  # type: ignore[return-value]


def load_rubric(path: str | os.PathLike[str], text: str | None = None) -> Rubric:
    return _validate(parse_yaml(str(path), text), Rubric)  # type: ignore[return-value]


def load_any(path: str, text: str | None = None) -> Scenario | Rubric:
    """A scenario or a rubric, told apart by kind_of; the file is read and parsed once."""
    source = _read_text(path, text)
    doc = _parse_source(path, source)
    model = Rubric if kind_of(path, doc.data, source.split("\n", 1)[0]) == "rubric" else Scenario
    return _validate(doc, model)  # type: ignore[return-value]


@dataclass
class Catalog:
    """Every scenario and rubric from a set of files, plus the problems of those that failed."""

    scenarios: dict[str, Scenario] = field(default_factory=dict)
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # "scenario:<id>" -> file path
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def load(cls, paths: list[str | os.PathLike[str]]) -> "Catalog":
        cat = cls()
        for path in _expand(paths, cat.problems):
            cat.add_file(path)
        return cat

    def add_file(self, path: str, text: str | None = None) -> Scenario | Rubric | None:
        try:
            obj = load_any(path, text)
        except LoadError as e:
            self.problems.extend(e.problems)
            return None
        kind = "rubric" if isinstance(obj, Rubric) else "scenario"
        table: dict[str, Any] = self.rubrics if kind == "rubric" else self.scenarios
        key = f"{kind}:{obj.id}"
        if obj.id in table:
            doc = parse_yaml(path, text)
            self.problems.append(_locate(doc, ("id",), f"duplicate {kind} id '{obj.id}' "
                                                       f"(also in {self.sources[key]})"))
            return None
        table[obj.id] = obj
        self.sources[key] = path
        return obj

    def scenario(self, sid: str) -> Scenario:
        if sid not in self.scenarios:
            known = ", ".join(sorted(self.scenarios)) or "none loaded"
            raise KeyError(f"unknown scenario '{sid}' (known: {known})")
        return self.scenarios[sid]

    def rubric(self, rid: str) -> Rubric:
        if rid in self.rubrics:
            return self.rubrics[rid]
        if os.path.isfile(rid):
            return load_rubric(rid)
        known = ", ".join(sorted(self.rubrics)) or "none loaded"
        raise KeyError(f"unknown rubric '{rid}' (known: {known}; or give a file path)")


def _expand(paths: list[str | os.PathLike[str]], problems: list[Problem]) -> list[str]:
    files: list[str] = []
    for p in map(str, paths):
        if os.path.isdir(p):
            found = sorted(str(f) for f in Path(p).rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file())
            if not found:
                problems.append(Problem.make(p, 1, 1, "folder holds no .yaml files"))
            files.extend(found)
        elif os.path.isfile(p):
            files.append(p)
        else:
            problems.append(Problem.make(p, 1, 1, "no such file or folder"))
    return files


def data_dirs() -> list[Path]:
    """Scenario and rubric folders: env overrides, else the checkout, else the wheel's copy."""
    env = [os.environ.get("SIMULATOR_SCENARIOS_DIR"), os.environ.get("SIMULATOR_RUBRICS_DIR")]
    if any(env):
        return [Path(p) for p in env if p]
    repo = Path(__file__).resolve().parent.parent
    if (repo / "scenarios").is_dir():
        return [repo / "scenarios", repo / "rubrics"]
    bundled = Path(__file__).resolve().parent / "_bundled"
    return [bundled / "scenarios", bundled / "rubrics"]


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return Catalog.load(list(data_dirs()))


# ------------------------------------------------------------------------ CLI commands


def cmd_validate(paths: list[str]) -> int:
    cat = Catalog.load(list(paths))
    for kind, table in (("scenario", cat.scenarios), ("rubric", cat.rubrics)):
        for oid, obj in table.items():
            print(f"{cat.sources[f'{kind}:{oid}']}: ok: {_summary(obj)}")
    for p in cat.problems:
        print(p)
    n_bad = len({p.file for p in cat.problems})
    print(f"{len(cat.scenarios)} scenarios and {len(cat.rubrics)} rubrics valid"
          + (f"; {n_bad} file(s) with {len(cat.problems)} problem(s)" if cat.problems else ""))
    return 1 if cat.problems else 0


def _summary(obj: Scenario | Rubric) -> str:
    if isinstance(obj, Rubric):
        return f"rubric '{obj.id}', criteria {', '.join(c.id for c in obj.criteria)}"
    return (f"scenario '{obj.id}' ({obj.language}, {obj.channel}, {obj.difficulty}), "
            f"{len(obj.hidden_needs)} hidden need(s), {len(obj.examples)} example(s)")


def schema_of(kind: str) -> dict[str, Any]:
    model = Scenario if kind == "scenario" else Rubric
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{kind}.schema.json"
    return schema


def cmd_schema(kind: str) -> int:
    print(json.dumps(schema_of(kind), ensure_ascii=False, indent=2))
    return 0
