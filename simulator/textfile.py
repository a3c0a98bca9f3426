"""User-supplied text: reading a UTF-8 file (or stdin) with one clear error for every failure,
and stripping control characters before text is stored or shown."""

from __future__ import annotations

import re
import sys
from typing import TextIO

# C0 and C1 control characters except tab (\x09) and newline (\x0a); \r is folded into \n first.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """Text without NUL and other control characters (newline and tab kept): what is stored
    and shown, so a pasted terminal escape or NUL byte never reaches the database or a page."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


class TextFileError(Exception):
    """Why the file could not be read, naming it; callers print it as one line."""


def read_text_file(source: str, what: str = "", stdin: TextIO | None = None) -> str:
    """The whole text of `source` ('-' is stdin); `what` names its role ("trainee lines")."""
    where = "<stdin>" if source == "-" else source
    label = f"{what} from {where}" if what else where
    try:
        if source == "-":
            return (stdin or sys.stdin).read()
        with open(source, encoding="utf-8") as fh:
            return fh.read()
    except OSError as e:
        raise TextFileError(f"cannot read {label}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise TextFileError(f"{where} is not valid UTF-8 text; save it as UTF-8") from None
