"""Skip regexes that cannot match: the literal text every match must contain.

Intent detection runs a couple of hundred patterns over each message; most cannot match
because a word they need is absent. A C-speed substring test on those words saves the regex
scan (and its Python loop) without changing a single result: a pattern is skipped only when
none of its required literals occurs in the (normalised, lower-cased) text.
"""

from __future__ import annotations

import re
import re._constants as C  # noqa: N812 - the stdlib's own parser constants
import re._parser as P  # noqa: N812

Required = frozenset[str] | None  # None: no literal is required, always run the regex


def required_literals(pattern: str) -> Required:
    """Strings of which any match must contain at least one (lower-cased), or None."""
    try:
        parsed = P.parse(pattern)
    except re.error:
        return None
    found = _seq(list(parsed))
    return frozenset(s.lower() for s in found) if found else None


def _seq(items: list[tuple[object, object]]) -> set[str] | None:
    """Best required set of a sequence: the longest literal run, or a mandatory group's set."""
    best: set[str] | None = None
    run = ""

    def better(cand: set[str] | None) -> None:
        nonlocal best
        if cand and (best is None or min(map(len, cand)) > min(map(len, best))):
            best = cand

    for op, av in items:
        if op is C.LITERAL:
            run += chr(av)  # type: ignore[arg-type]
            continue
        better({run} if run else None)
        run = ""
        if op is C.SUBPATTERN:
            better(_seq(list(av[3])))  # type: ignore[index]
        elif op is C.BRANCH:
            branches = [_seq(list(b)) for b in av[1]]  # type: ignore[index]
            if all(branches):
                better(set().union(*branches))  # type: ignore[arg-type]
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:  # type: ignore[index]
            better(_seq(list(av[2])))  # type: ignore[index]
        elif op in (C.ASSERT, C.ASSERT_NOT):
            continue  # lookarounds do not consume: they neither add nor break a run's meaning
    better({run} if run else None)
    return best


def could_match(required: Required, text: str) -> bool:
    return required is None or any(map(text.__contains__, required))  # map: no Python-level loop
