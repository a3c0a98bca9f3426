"""Reading a user-supplied UTF-8 text file (or stdin) with one clear error for every failure."""

from __future__ import annotations

import sys
from typing import TextIO


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
