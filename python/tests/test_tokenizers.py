"""The tokenizers of spec/MODEL.md §4.2 in kru.model, against independent oracles: word_language_model's own
data.py (its Dictionary and ids, recorded by tools/make_script_fixtures.py), Python's UTF-8 codec, and the
round trips the spec promises; and the schema version a description writes (§7)."""

from __future__ import annotations

import json

import pytest

import kru.model as km
from conftest import ROOT
from kru.model.schema import Description, Layer
from kru.model.tokenizer import StreamDecoder, Tokenizer, VocabularyError, text_words

SCRIPTS = ROOT / "Tests" / "Fixtures" / "scripts"


def test_words_match_word_language_model_on_every_edge_case():
    oracle = json.loads((SCRIPTS / "words_tokenizer.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer.from_corpus([oracle["text"]])
    assert list(tokenizer.vocabulary) == oracle["dictionary"]
    assert tokenizer.encode(oracle["text"]) == oracle["ids"]


def test_corpus_vocabulary_is_word_language_models_dictionary():
    """train, valid, test in that order, as data.Corpus adds them."""
    texts = [(SCRIPTS / "wlm-corpus" / f"{name}.txt").read_text(encoding="utf-8")
             for name in ("train", "valid", "test")]
    expected = json.loads((SCRIPTS / "wlm_lstm.json").read_text(encoding="utf-8"))["vocabulary"]
    assert list(Tokenizer.from_corpus(texts).vocabulary) == expected


def test_words_decode_joins_with_spaces_and_line_ends():
    tokenizer = Tokenizer(["the", "king", "said", "<eos>", ","], "words")
    ids = tokenizer.encode("the king said ,\nthe king")
    assert tokenizer.decode(ids) == "the king said ,\nthe king\n"
    # Streaming: a word after a prime word gets its space; after <eos> none.
    king, eos = tokenizer.encode("king")[0], 3
    assert tokenizer.decode([king], previous=tokenizer.encode("the")[0]) == " king"
    assert tokenizer.decode([king], previous=eos) == "king"
    assert text_words("") == [] and text_words("a\r\n") == ["a", "<eos>"]


def test_bytes_are_utf8_and_stream_across_split_characters():
    vocabulary = [chr(b) for b in range(256)]
    tokenizer = Tokenizer(vocabulary, "bytes")
    text = "café ✓ 𝄞"
    ids = tokenizer.encode(text)
    assert ids == list(text.encode("utf-8"))
    assert tokenizer.decode(ids) == text
    decoder = StreamDecoder(tokenizer)
    pieces = [decoder.piece(i) for i in ids]
    assert "".join(pieces) + decoder.finish() == text
    assert pieces[3] == "" and pieces[4] == "é"          # the first byte of é is held back
    assert tokenizer.decode([0xC3]) == "\ufffd"             # an incomplete sequence at the end


def test_unknown_tokens_are_named_or_skipped():
    tokenizer = Tokenizer(["the", "<eos>"], "words")
    with pytest.raises(km.UnknownCharactersError, match="words not in the model's vocabulary: 'king'"):
        tokenizer.encode("the king")
    assert tokenizer.encode("the king", unknown="skip") == [0, 1]


@pytest.mark.parametrize("kind, entry, words", [("characters", "ab", "one Unicode scalar"),
                                                ("bytes", "\u0100", "byte"), ("words", "a b", "whitespace"),
                                                ("words", "", "non-empty"), ("sentencepiece", "a", "tokenizer")])
def test_entries_that_break_their_tokenizers_rule(kind, entry, words):
    with pytest.raises(VocabularyError, match=words):
        Tokenizer([entry, "z"], kind)


def test_the_lowest_schema_version_is_written():
    layer = (Layer("lstm", 4),)
    chars = Description("tokens", layer, "categorical", 2, vocabulary=("a", "b"))
    words = Description("tokens", layer, "categorical", 2, vocabulary=("the", "<eos>"), tokenizer_kind="words")
    tied = Description("tokens", layer, "categorical", 2, vocabulary=("a", "b"), embedding_width=4, tied=True)
    assert dict(chars.metadata())["kru.schema_version"] == 1 and "kru.input.tokenizer" not in dict(chars.metadata())
    metadata = dict(words.metadata())
    assert metadata["kru.schema_version"] == 2 and metadata["kru.input.tokenizer"] == "words"
    assert dict(tied.metadata())["kru.schema_version"] == 2 and dict(tied.metadata())["kru.output.tied"] is True
    with pytest.raises(km.ModelSchemaError, match="kru.output.tied"):
        Description("tokens", layer, "categorical", 2, vocabulary=("a", "b"), embedding_width=3, tied=True)


@pytest.mark.parametrize("name, prime", [("kru_words_tied_lstm", "the king said"), ("kru_bytes_gru_kron", "caf")])
def test_word_and_byte_models_generate_the_text_kru_sample_prints(name, prime, kru_binary):
    """Two engines, one text: the Swift `kru sample` and kru.model, following spec/SAMPLING.md and §4.2's decoding
    (a word after the prime gets its space; bytes are joined as UTF-8)."""
    from swift_engine import kru_sample
    path = ROOT / "Tests" / "Fixtures" / "models" / f"{name}.kru"
    model = km.load(path)
    ours = km.generate(model, prime, 40, seed=11)
    assert ours == kru_sample(kru_binary, path, prime, 40, seed=11)
    if model.description.tokenizer_kind == "words":
        assert ours.startswith(" ") or ours.startswith("\n")   # the prime's last line stays open
