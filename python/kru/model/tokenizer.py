"""Text ↔ token ids for token models — the one place in this package that knows how text becomes tokens.

Schema 1 (spec/MODEL.md §2): token `i` is the `i`-th vocabulary string, each exactly one Unicode scalar, all
distinct; text is read one Unicode scalar (one Python `str` character) at a time.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

__all__ = ["Tokenizer", "VocabularyError", "UnknownCharactersError"]


class VocabularyError(ValueError):
    """A vocabulary that breaks the schema's rules."""


class UnknownCharactersError(ValueError):
    """Text with characters outside a model's vocabulary. `characters` lists each with its count."""

    def __init__(self, characters: list[tuple[str, int]]):
        self.characters = characters
        shown = ", ".join(f"{c!r} (U+{ord(c):04X}, {n}×)" for c, n in characters[:20])
        more = f" and {len(characters) - 20} more" if len(characters) > 20 else ""
        super().__init__(f"characters not in the model's vocabulary: {shown}{more}")


class Tokenizer:
    """One token per Unicode scalar, ids from the model's stored vocabulary."""

    kind = "characters"

    def __init__(self, vocabulary: Sequence[str]):
        vocabulary = tuple(vocabulary)
        if not vocabulary:
            raise VocabularyError("the vocabulary is empty")
        for i, token in enumerate(vocabulary):
            if not isinstance(token, str) or len(token) != 1:
                raise VocabularyError(f"entry {i} ({token!r}) is not exactly one Unicode scalar")
        ids = {token: i for i, token in enumerate(vocabulary)}
        if len(ids) != len(vocabulary):
            duplicates = sorted(t for t, n in Counter(vocabulary).items() if n > 1)
            raise VocabularyError(f"duplicate tokens {duplicates[:5]}")
        self.vocabulary = vocabulary
        self._ids = ids

    def __len__(self) -> int:
        return len(self.vocabulary)

    def encode(self, text: str, unknown: str = "refuse") -> list[int]:
        """The token ids of `text`. Characters outside the vocabulary raise UnknownCharactersError
        (`unknown="refuse"`) or are dropped (`unknown="skip"`)."""
        if unknown not in ("refuse", "skip"):
            raise ValueError(f"unknown must be 'refuse' or 'skip', not {unknown!r}")
        ids = self._ids
        tokens = [ids[c] for c in text if c in ids]
        if unknown == "refuse" and len(tokens) != len(text):
            missing = Counter(c for c in text if c not in ids)
            raise UnknownCharactersError(sorted(missing.items(), key=lambda item: ord(item[0])))
        return tokens

    def decode(self, tokens: Iterable[int]) -> str:
        return "".join(self.vocabulary[t] for t in tokens)

    @classmethod
    def from_text(cls, text: str) -> "Tokenizer":
        """The sorted distinct characters of `text` (the convention of `kru train` and `kru convert
        --vocab-text`)."""
        return cls(sorted(set(text)))
