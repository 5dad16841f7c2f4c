"""tools/data/austen.py: the R XDR reader and lazy-load database on hand-built streams (no network, no data)."""

from __future__ import annotations

import bz2
import gzip
import lzma
import struct
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "data"))
import austen  # noqa: E402
from datautil import DataError  # noqa: E402


def i32(n: int) -> bytes:
    return struct.pack(">i", n)


HEADER = b"X\n" + i32(3) + i32(0x040201) + i32(0x030500) + i32(5) + b"UTF-8"
UTF8, ASCII = 0x8009, 0x40009                 # CHARSXP flags with the UTF-8 / ASCII encoding bits


def chars(s: str | None) -> bytes:
    if s is None:
        return i32(9) + i32(-1)
    raw = s.encode("utf-8")
    return i32(UTF8 if any(b > 127 for b in raw) else ASCII) + i32(len(raw)) + raw


def symbol(name: str) -> bytes:
    return i32(1) + chars(name)


def names_attr(names: list[str], sym: bytes | None = None) -> bytes:
    """Attribute pairlist with one cell: tag `names` (a new symbol, or the given bytes e.g. a back-reference)."""
    return i32(2 | 1 << 10) + (sym or symbol("names")) + strsxp(names) + i32(254)


def strsxp(values: list[str | None], names: list[str] | None = None) -> bytes:
    flags = 16 | (1 << 9 if names else 0)
    body = i32(flags) + i32(len(values)) + b"".join(chars(v) for v in values)
    return body + (names_attr(names) if names else b"")


def intsxp(values: list[int]) -> bytes:
    return i32(13) + i32(len(values)) + b"".join(i32(v) for v in values)


def named_list(items: dict[str, bytes], names_sym: bytes | None = None) -> bytes:
    return (i32(19 | 1 << 9) + i32(len(items)) + b"".join(items.values())
            + names_attr(list(items), names_sym))


def test_character_vector_with_na_and_utf8():
    v = austen.parse_r_stream(HEADER + strsxp(["It is a truth", None, "£5"]))
    assert v.kind == "character" and v.values == ["It is a truth", None, "£5"]
    assert austen.novel_text(v, "x") == "It is a truth\n\n£5\n"


def test_format_version_2_header_and_names_attribute():
    v2 = b"X\n" + i32(2) + i32(0x040201) + i32(0x020300)
    v = austen.parse_r_stream(v2 + strsxp(["a", "b"], names=["first", "second"]))
    assert v.values == ["a", "b"] and v.names == ["first", "second"]


def test_named_list_reuses_symbol_by_back_reference():
    # the inner list's `names` symbol is the first symbol read, so the outer list refers to it as ref 1
    inner = named_list({"x": intsxp([1, 2])})
    outer = named_list({"inner": inner, "s": strsxp(["q"])}, names_sym=i32(1 << 8 | 255))
    v = austen.parse_r_stream(HEADER + outer)
    assert v.names == ["inner", "s"]
    assert v.values[0].names == ["x"] and v.values[0].values[0].values == [1, 2]
    assert v.values[1].values == ["q"]


def test_integer_na_logical_double():
    v = austen.parse_r_stream(HEADER + intsxp([7, -(1 << 31)]))
    assert v.kind == "integer" and v.values == [7, None]
    d = austen.parse_r_stream(HEADER + i32(14) + i32(2) + struct.pack(">2d", 1.5, -2.0))
    assert d.kind == "double" and d.values == [1.5, -2.0]


@pytest.mark.parametrize("stream, message", [
    (HEADER + i32(16) + i32(2) + chars("a"), "truncated"),
    (HEADER + i32(16) + i32(1_000_000_000), "exceeds the remaining input"),
    (HEADER + i32(16) + i32(1) + i32(9) + i32(1 << 30), "exceeds the remaining input"),
    (HEADER + i32(3), "unsupported R object type 3"),            # a closure
    (HEADER + i32(5 << 8 | 255), "back-reference 5"),
    (HEADER + strsxp(["a"]) + b"\0", "trailing bytes"),
    (b"A\n" + HEADER[2:] + strsxp(["a"]), "not an R XDR"),
    (HEADER + i32(16) + i32(1) + intsxp([1]), "non-string element"),
    (HEADER + i32(16) + i32(1) + i32(UTF8) + i32(1) + b"\xff", "not valid UTF-8"),
    (HEADER + i32(16) + i32(-1), "long vectors"),
])
def test_malformed_streams_are_rejected(stream, message):
    with pytest.raises(DataError, match=message):
        austen.parse_r_stream(stream)


def test_depth_limit():
    deep = HEADER + (i32(19) + i32(1)) * 500 + i32(254)
    with pytest.raises(DataError, match="nested too deeply"):
        austen.parse_r_stream(deep)


def chunk(payload: bytes, compressed: int, kind: bytes = b"Z") -> bytes:
    head = struct.pack(">I", len(payload))
    if compressed == 1:
        return head + zlib.compress(payload)
    body = {b"Z": zlib.compress, b"2": bz2.compress, b"X": lzma.compress, b"0": lambda b: b}[kind](payload)
    return head + kind + body


def database(objects: dict[str, bytes], compressed: int, kind: bytes = b"Z") -> tuple[bytes, bytes]:
    rdb, where = b"", {}
    for name, stream in objects.items():
        c = chunk(stream, compressed, kind)
        where[name] = intsxp([len(rdb), len(c)])
        rdb += c
    index = named_list({"variables": named_list(where), "references": i32(19) + i32(0),
                        "compressed": i32(10) + i32(1) + i32(compressed)})
    return gzip.compress(HEADER + index), rdb


@pytest.mark.parametrize("compressed, kind", [(1, b"Z"), (2, b"Z"), (2, b"2"), (3, b"X"), (3, b"0")])
def test_lazyload_database_round_trip(compressed, kind):
    rdx, rdb = database({"emma": HEADER + strsxp(["Emma Woodhouse,", "handsome"]),
                         "persuasion": HEADER + strsxp(["Sir Walter Elliot"])}, compressed, kind)
    objects = austen.read_lazyload(rdx, rdb)
    assert set(objects) == {"emma", "persuasion"}
    assert austen.novel_text(objects["emma"], "emma") == "Emma Woodhouse,\nhandsome\n"
    assert objects["persuasion"].values == ["Sir Walter Elliot"]


def test_lazyload_rejects_bad_ranges_and_sizes():
    rdx, rdb = database({"emma": HEADER + strsxp(["a"])}, 1)
    with pytest.raises(DataError, match="points outside"):
        austen.read_lazyload(rdx, rdb[:-1])
    payload = HEADER + strsxp(["a"])
    lying = struct.pack(">I", len(payload) + 5) + zlib.compress(payload)
    with pytest.raises(DataError, match="header says"):
        austen.decompress_chunk(lying, 1)
    bomb = struct.pack(">I", 100) + zlib.compress(b"\0" * 10_000)
    with pytest.raises(DataError, match="exceeds 100 bytes"):
        austen.decompress_chunk(bomb, 1, limit=1000)
    with pytest.raises(DataError, match="more than the limit"):
        austen.decompress_chunk(struct.pack(">I", 2000) + b"x", 1, limit=1000)
    with pytest.raises(DataError, match="compression type"):
        austen.decompress_chunk(struct.pack(">I", 1) + b"Qxx", 2)


def test_novel_text_needs_a_character_vector():
    with pytest.raises(DataError, match="not a character vector"):
        austen.novel_text(austen.RVector("integer", [1]), "emma")
    with pytest.raises(DataError):
        austen.novel_text(None, "emma")


def test_split_uses_each_novel_once():
    used = [n for members in austen.SPLITS.values() for n in members]
    assert sorted(used) == sorted(austen.NOVELS)
    assert austen.SPLITS["valid"] == ("emma",) and austen.SPLITS["test"] == ("persuasion",)
