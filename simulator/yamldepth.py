"""How deep a YAML text nests, found without recursion and before it is composed.

ruamel's composer recurses once per nesting level (thousands of levels end in RecursionError
after seconds), and its scanner looks ahead over every open flow bracket (quadratic time), so
the loader asks here first and refuses deep input with FILE:LINE:COL in milliseconds.
"""

from __future__ import annotations

from ruamel.yaml import YAML
from ruamel.yaml.events import CollectionEndEvent, CollectionStartEvent

from simulator.semantics import Problem


def nesting_problem(path: str, source: str, max_depth: int) -> Problem | None:
    """A problem at the first collection nested deeper than max_depth, else None."""
    return _flow_depth(path, source, max_depth) or _event_depth(path, source, max_depth)


def _flow_depth(path: str, source: str, max_depth: int) -> Problem | None:
    """Count open [ and { outside quotes and comments (a cheap pass over the characters)."""
    depth, line, col, quote, comment, prev = 0, 1, 0, "", False, "\n"
    for ch in source:
        col += 1
        if ch == "\n":
            line, col, comment = line + 1, 0, False
        elif comment:
            pass
        elif quote:
            if ch == quote and prev != "\\":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and prev in " \t\n":
            comment = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return Problem.make(path, line, col, f"nesting is deeper than {max_depth} levels")
        elif ch in "]}":
            depth = max(0, depth - 1)
        prev = ch
    return None


def _event_depth(path: str, source: str, max_depth: int) -> Problem | None:
    """Block nesting, from the parser's event stream (iterative, unlike the composer)."""
    depth = 0
    for ev in YAML(typ="rt").parse(source):
        if isinstance(ev, CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                m = ev.start_mark
                return Problem.make(path, m.line + 1, m.column + 1, f"nesting is deeper than {max_depth} levels")
        elif isinstance(ev, CollectionEndEvent):
            depth -= 1
    return None
