"""Text ↔ token ids for token models — the one place in this package that knows how text becomes tokens.

spec/MODEL.md §4.2: a model records its tokenizer (`kru.input.tokenizer`, schema 2; `characters` when absent):

* `characters` — one token per Unicode scalar (one Python `str` character); every vocabulary entry is one scalar;
* `words` — as pytorch/examples word_language_model reads a corpus: each line (cut at `\\r\\n`, `\\n`, `\\r`) gives
  `line.split()` and then `<eos>`; decoding joins words with spaces and writes `<eos>` as a line end;
* `bytes` — one token per UTF-8 byte; entry `chr(b)` stands for byte `b`.

Token `i` is the `i`-th vocabulary string; entries are non-empty and distinct.
"""

from __future__ import annotations

import codecs
from collections import Counter
from typing import Iterable, Iterator, Sequence

__all__ = ["Tokenizer", "TOKENIZERS", "END_OF_LINE", "VocabularyError", "UnknownCharactersError", "text_words",
           "StreamDecoder"]

TOKENIZERS = ("characters", "words", "bytes")
END_OF_LINE = "<eos>"


class VocabularyError(ValueError):
    """A vocabulary that breaks the schema's rules."""


class UnknownCharactersError(ValueError):
    """Text with tokens (characters, words or bytes) outside a model's vocabulary. `characters` lists each unknown
    token with its count (the name is kept from schema 1, where every token was a character)."""

    def __init__(self, characters: list[tuple[str, int]], what: str = "characters"):
        self.characters = characters
        shown = ", ".join(f"{c!r} (U+{ord(c):04X}, {n}×)" if len(c) == 1 else f"{c!r} ({n}×)"
                          for c, n in characters[:20])
        more = f" and {len(characters) - 20} more" if len(characters) > 20 else ""
        super().__init__(f"{what} not in the model's vocabulary: {shown}{more}")


def text_lines(text: str) -> Iterator[str]:
    """The lines of `text` without their ends, cut at `\\r\\n`, `\\n` or `\\r` as Python's universal newlines
    cut a file; a last line without an end is still a line, and an empty text has none."""
    start, i, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n" or c == "\r":
            yield text[start:i]
            i += 2 if c == "\r" and i + 1 < n and text[i + 1] == "\n" else 1
            start = i
        else:
            i += 1
    if start < n:
        yield text[start:]


def text_words(text: str, close_last_line: bool = True) -> list[str]:
    """The `words` tokens of `text`: for each line, `line.split()` then `<eos>` (word_language_model's data.py).
    `close_last_line=False` is for a text that goes on (a prime): its last line gets `<eos>` only from a line end."""
    words: list[str] = []
    for line in text_lines(text):
        words += line.split()
        words.append(END_OF_LINE)
    if not close_last_line and text and text[-1] not in "\r\n":
        words.pop()
    return words


class StreamDecoder:
    """Turns token ids into text one token at a time, so that generated text can be printed as it comes:
    `piece(id)` returns the text that token adds, `finish()` what is still held back (an incomplete UTF-8
    sequence of a `bytes` model). `previous` is the token before the first one fed (a prime's last token), so
    that a word continuing a prime gets its space."""

    def __init__(self, tokenizer: "Tokenizer", previous: int | None = None):
        self.tokenizer = tokenizer
        self.previous = previous
        self._utf8 = codecs.getincrementaldecoder("utf-8")("replace") if tokenizer.kind == "bytes" else None

    def piece(self, token: int) -> str:
        entry = self.tokenizer.vocabulary[token]
        previous, self.previous = self.previous, token
        kind = self.tokenizer.kind
        if kind == "characters":
            return entry
        if kind == "bytes":
            return self._utf8.decode(bytes([ord(entry)]))
        if entry == END_OF_LINE:
            return "\n"
        separated = previous is not None and self.tokenizer.vocabulary[previous] != END_OF_LINE
        return " " + entry if separated else entry

    def finish(self) -> str:
        return self._utf8.decode(b"", final=True) if self._utf8 is not None else ""


class Tokenizer:
    """Text ↔ ids for a vocabulary and a tokenizer kind (`characters`, `words` or `bytes`)."""

    def __init__(self, vocabulary: Sequence[str], kind: str = "characters"):
        if kind not in TOKENIZERS:
            raise VocabularyError(f"tokenizer {kind!r} is not one of {', '.join(TOKENIZERS)}")
        vocabulary = tuple(vocabulary)
        if not vocabulary:
            raise VocabularyError("the vocabulary is empty")
        for i, token in enumerate(vocabulary):
            if not isinstance(token, str) or not token:
                raise VocabularyError(f"entry {i} ({token!r}) is not a non-empty string")
            if kind == "characters" and len(token) != 1:
                raise VocabularyError(f"entry {i} ({token!r}) is not exactly one Unicode scalar")
            if kind == "bytes" and (len(token) != 1 or ord(token) > 0xFF):
                raise VocabularyError(f"entry {i} ({token!r}) is not one scalar from U+0000 to U+00FF (a byte)")
            if kind == "words" and token.split() != [token]:
                raise VocabularyError(f"entry {i} ({token!r}) holds whitespace, so no text can give it as a word")
        ids = {token: i for i, token in enumerate(vocabulary)}
        if len(ids) != len(vocabulary):
            duplicates = sorted(t for t, n in Counter(vocabulary).items() if n > 1)
            raise VocabularyError(f"duplicate tokens {duplicates[:5]}")
        self.vocabulary = vocabulary
        self.kind = kind
        self._ids = ids

    def __len__(self) -> int:
        return len(self.vocabulary)

    def pieces(self, text: str, close_last_line: bool = True) -> list[str]:
        """The text tokens of `text` before they are looked up: characters, words (with `<eos>`; see text_words
        for `close_last_line`) or bytes."""
        if self.kind == "characters":
            return list(text)
        if self.kind == "words":
            return text_words(text, close_last_line)
        return [chr(b) for b in text.encode("utf-8")]

    def encode(self, text: str, unknown: str = "refuse", close_last_line: bool = True) -> list[int]:
        """The token ids of `text`. Tokens outside the vocabulary raise UnknownCharactersError
        (`unknown="refuse"`) or are dropped (`unknown="skip"`). A prime is encoded with `close_last_line=False`."""
        if unknown not in ("refuse", "skip"):
            raise ValueError(f"unknown must be 'refuse' or 'skip', not {unknown!r}")
        ids = self._ids
        pieces = self.pieces(text, close_last_line)
        tokens = [ids[p] for p in pieces if p in ids]
        if unknown == "refuse" and len(tokens) != len(pieces):
            missing = Counter(p for p in pieces if p not in ids)
            what = {"characters": "characters", "words": "words", "bytes": "bytes"}[self.kind]
            raise UnknownCharactersError(sorted(missing.items()), what)
        return tokens

    def decode(self, tokens: Iterable[int], previous: int | None = None) -> str:
        """The text of `tokens`; `previous` is the token before them, if any (see StreamDecoder)."""
        decoder = StreamDecoder(self, previous)
        return "".join(decoder.piece(t) for t in tokens) + decoder.finish()

    @classmethod
    def from_text(cls, text: str) -> "Tokenizer":
        """The sorted distinct characters of `text` (the convention of `kru train` and `kru convert
        --vocab-text`)."""
        return cls(sorted(set(text)))

    @classmethod
    def from_corpus(cls, texts: Iterable[str]) -> "Tokenizer":
        """A `words` vocabulary in order of first appearance over `texts`, as word_language_model's Dictionary
        builds it from train.txt, valid.txt and test.txt (`kru convert --vocab-corpus`)."""
        seen: dict[str, None] = {}
        for text in texts:
            for word in text_words(text):
                seen.setdefault(word, None)
        return cls(tuple(seen), "words")
