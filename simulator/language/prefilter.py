"""Skip regexes that cannot match: the literal text every match must contain.

Intent detection runs a couple of hundred patterns over each message, and the time rules a
couple of dozen; most cannot match because a word they need is absent. C-speed substring tests
on those words save the regex scans (and their Python loops) without changing a single
result: a pattern is skipped only when one of its required literal sets has no member in the
(normalised, lower-cased) text. `\\b(?:do|will) you (?:use|need)` requires {do, will} and
{" you "} and {use, need}: all three must be met before the regex runs.
"""

from __future__ import annotations

import re
import re._constants as C  # noqa: N812 - the stdlib's own parser constants
import re._parser as P  # noqa: N812
from collections.abc import Iterable
from operator import add

# Sets of strings a match must contain, one member of each set at least (lower-cased).
# Empty: nothing is known to be required, always run the regex.
Requirement = tuple[frozenset[str], ...]
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)


def requirement(pattern: str) -> Requirement:
    """Every literal set a match of `pattern` must meet (empty when none is known)."""
    try:
        parsed = P.parse(pattern)
    except re.error:
        return ()
    return tuple(frozenset(s.lower() for s in found) for found in _sets(list(parsed)))


def _sets(items: list[tuple[object, object]]) -> list[set[str]]:
    """The required sets of a sequence: its literal runs, its mandatory groups' sets, and for
    an alternation the union of each branch's most selective set."""
    out: list[set[str]] = []
    run = ""
    for op, av in items:
        if op is C.LITERAL:
            run += chr(av)  # type: ignore[arg-type]
            continue
        if run:
            out.append({run})
        run = ""
        if op is C.SUBPATTERN:
            out += _sets(list(av[3]))  # type: ignore[index]
        elif op is C.BRANCH:
            branches = [_most_selective(_sets(list(b))) for b in av[1]]  # type: ignore[index]
            if all(branches):
                out.append(set().union(*branches))  # type: ignore[arg-type]
        elif op in _REPEATS and av[0] >= 1:  # type: ignore[index]
            out += _sets(list(av[2]))  # type: ignore[index]
        # lookarounds consume nothing and other ops (classes, \b, repeats that may be absent)
        # require no literal: they only end the current run
    if run:
        out.append({run})
    return out


def _most_selective(sets: list[set[str]]) -> set[str] | None:
    """The set whose shortest member is longest (the first such): the rarest to be met.

    Spaces do not count: " you " is as common as "you", and filing under it would wake the
    pattern for most English messages."""
    best: set[str] | None = None
    for s in sets:
        if best is None or _shortest(s) > _shortest(best):
            best = s
    return best


def _shortest(literals: set[str]) -> int:
    return min(len(lit.strip()) for lit in literals)


class LiteralIndex:
    """Which of many regexes can match a text: those whose required literal sets are all met.

    One index serves a whole rule set (a language's intent patterns, its time rules). Each
    regex is filed under its most selective set; the literals of those sets are found in one
    pass, then each candidate's remaining sets are checked. The pass is one of two, whichever
    suits the alphabet: when every literal starts with an ASCII character, a single regex
    trie finds the longest literal starting at each position (few first characters keep it
    fast); otherwise literals are keyed by their first two characters and only the pairs the
    text contains are looked at (one-character literals are always tested)."""

    def __init__(self, requirements: list[Requirement]) -> None:
        self.always = frozenset(i for i, r in enumerate(requirements) if not r)
        users: dict[str, set[int]] = {}
        self._also: dict[int, tuple[tuple[str, ...], ...]] = {}
        for i, req in enumerate(requirements):
            if not req:
                continue
            key = _most_selective([set(s) for s in req])
            rest = tuple(tuple(sorted(s)) for s in req if s != key)
            if rest:
                self._also[i] = rest
            for lit in key or ():
                users.setdefault(lit, set()).add(i)
        self._trie: re.Pattern[str] | None = None
        self._closure: dict[str, frozenset[int]] = {}
        self._by_pair: dict[str, tuple[tuple[str, tuple[int, ...]], ...]] = {}
        self._short: tuple[str, ...] = ()
        if users and all(lit[0].isascii() for lit in users):
            # a literal found at a position stands for every literal it contains, since the
            # trie reports only the longest one starting there
            self._trie = re.compile("(?=(" + trie_pattern(users) + "))")
            self._closure = {lit: frozenset().union(*(idx for other, idx in users.items() if other in lit))
                             for lit in users}
        else:
            by_pair: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
            for lit, idx in users.items():
                by_pair.setdefault(lit[:2], []).append((lit, tuple(sorted(idx))))
            self._by_pair = {k: tuple(v) for k, v in by_pair.items()}
            self._short = tuple(k for k in by_pair if len(k) < 2)

    def which(self, text: str) -> list[int]:
        """Indices (ascending) of the regexes that can match `text` (normalised, lower-case)."""
        chosen = set(self.always)
        if self._trie is not None:
            closure = self._closure
            for lit in set(self._trie.findall(text)):
                chosen |= closure[lit]
        else:
            pairs = set(map(add, text, text[1:]))  # every two-character window, built at C speed
            if self._short:
                pairs.update(k for k in self._short if k in text)
            by_pair = self._by_pair
            for pair in pairs.intersection(by_pair):
                for lit, idx in by_pair[pair]:
                    if lit in text:
                        chosen.update(idx)
        also = self._also
        has = text.__contains__
        out = []
        for i in sorted(chosen):
            rest = also.get(i)
            if rest is not None:
                for s in rest:
                    if not any(map(has, s)):
                        break
                else:
                    out.append(i)
            else:
                out.append(i)
        return out


def trie_pattern(words: Iterable[str]) -> str:
    """A regex matching the longest of `words` that starts at a position (common prefixes
    factored out, so the engine tests each first character once)."""
    root: dict[str, dict] = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        alts = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return "(?:" + body + ")?" if "" in node else body  # greedy: longer words first

    return emit(root)
