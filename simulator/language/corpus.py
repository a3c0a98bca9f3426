"""The reader's labelled corpus (`corpus/{ja,en}/*.yaml`, see corpus/README.md): one
sentence per example with its dialogue act and intents, and a fixed train/dev/test split."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML, YAMLError

from simulator.language.vocabulary import BUILTIN_INTENTS

CORPUS_DIR = Path(__file__).with_name("corpus")
Act = Literal["question", "offer", "commitment", "information", "feeling_reflection", "apology", "request",
              "greeting_closing"]
ACTS: tuple[str, ...] = Act.__args__  # type: ignore[attr-defined]
Split = Literal["train", "dev", "test"]


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    act: Act
    intents: tuple[str, ...] = ()
    against: tuple[str, ...] = ()  # the intents this sentence is a hard negative for (documentation)


class CorpusFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["ja", "en"]
    examples: list[Example]


def split_of(language: str, text: str) -> Split:
    """Fixed by the text itself, so adding examples never moves the others: 60/20/20."""
    bucket = int.from_bytes(hashlib.sha256(f"{language}\n{text}".encode()).digest()[:4], "big") % 10
    return "train" if bucket < 6 else "dev" if bucket < 8 else "test"


class CorpusError(ValueError):
    pass


@lru_cache(maxsize=4)
def load_corpus(language: str, folder: Path = CORPUS_DIR) -> tuple[Example, ...]:
    """Every example of one language, checked: known intents, no text labelled twice."""
    yaml = YAML(typ="safe")  # project data, not user input: the fast safe loader will do
    seen: dict[str, tuple[Path, Example]] = {}
    out: list[Example] = []
    for path in sorted((folder / language).glob("*.yaml")):
        try:
            data = CorpusFile.model_validate(yaml.load(path.read_text(encoding="utf-8")))
        except (ValidationError, YAMLError) as e:
            raise CorpusError(f"{path}: {e}") from None
        if data.language != language:
            raise CorpusError(f"{path}: says language {data.language!r} but lives in {language}/")
        for ex in data.examples:
            unknown = [i for i in (*ex.intents, *ex.against) if i not in BUILTIN_INTENTS]
            if unknown:
                raise CorpusError(f"{path}: {ex.text!r}: unknown intent(s) {', '.join(unknown)}")
            key = ex.text.strip()
            if key in seen:
                other_path, other = seen[key]
                if (other.act, set(other.intents)) != (ex.act, set(ex.intents)):
                    raise CorpusError(f"{path}: {ex.text!r} is labelled {ex.act} {list(ex.intents)} here but "
                                      f"{other.act} {list(other.intents)} in {other_path.name}")
                continue  # the same sentence, labelled alike, in two groups' files: once is enough
            seen[key] = (path, ex)
            out.append(ex)
    return tuple(out)


def corpus_digest(language: str, folder: Path = CORPUS_DIR) -> str:
    """Changes whenever the language's corpus files change (the trained model's cache key)."""
    h = hashlib.sha256()
    for path in sorted((folder / language).glob("*.yaml")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]
