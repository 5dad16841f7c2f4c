#!/usr/bin/env python3
"""Jane Austen's six novels as UTF-8 text, from Debian's r-cran-janeaustenr 1.0.0-1 (MIT; novels public domain).

Usage: tools/data/austen.py [--out data/austen] [--force]

The package stores the novels in an R lazy-load database (data/Rdata.rdx index + Rdata.rdb objects). R is not
needed: this script reads R's XDR serialization itself — only the item types such a database of character vectors
uses, with bounds checks on every length, a depth limit and a size limit on decompression. Nothing is evaluated.
Algorithm: /work/shared/reference/data-sources.md §8.1.

Writes OUT/train.txt (Sense and Sensibility, Pride and Prejudice, Mansfield Park, Northanger Abbey: the four in
order of publication, concatenated), OUT/valid.txt (Emma), OUT/test.txt (Persuasion) and OUT/SHA256SUMS. Each
novel is its lines joined with "\\n" plus a final "\\n", checked against the sha256 in data-sources.md §1b.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import lzma
import struct
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from datautil import DataError, apt_download, deb_extract, main_wrapper, outputs_done, require_sha256, write_sums

PACKAGE = "r-cran-janeaustenr=1.0.0-1"
DATA_DIR = "usr/lib/R/site-library/janeaustenr/data"
# object name -> (lines, bytes, sha256 of "\n".join(lines) + "\n"), from data-sources.md §1b
NOVELS = {
    "emma": (16235, 883028, "7c67b5985c6d0de1efaeb5d342d52cb82c38083c40e2295129e30e87ee690ebe"),
    "mansfieldpark": (15349, 883280, "98bc90519cdf4ef663ad7de2734bb529435ef24f7abbde6bb1a50898871dafe9"),
    "northangerabbey": (7856, 433411, "51f91bbe0517db8e65cff009b097ce0a1836124c4e0532ac19e6c0cad982abed"),
    "persuasion": (8328, 466854, "8061549557aebd2fd6e353d18d9197cb707029112bd52d4d8b174583a925848a"),
    "prideprejudice": (13030, 684768, "dfc684d4f857fa938268f9ab9c5567b64bd0691251eca959644adeabe6287a4d"),
    "sensesensibility": (12624, 673688, "105e1651fe93bed7130078578efd31e0c557d68667ba672ddc876f735b30fe09"),
}
# Publication order (1811, 1813, 1814, 1817); Emma (1815) validates, Persuasion (1817) tests.
SPLITS = {"train": ("sensesensibility", "prideprejudice", "mansfieldpark", "northangerabbey"),
          "valid": ("emma",), "test": ("persuasion",)}
MAX_OBJECT_BYTES = 64 << 20   # largest decompressed object accepted (the novels are < 1 MB each)

# ---------------------------------------------------------------- R XDR serialization (read side, a subset)

NILVALUE, REFSXP = 254, 255
SINGLETONS = {242, 241, 251, 253, 252, 250}   # empty/base/global env, missing arg, unbound value, base namespace
SYMSXP, LISTSXP, LANGSXP, DOTSXP, CHARSXP = 1, 2, 6, 17, 9
LGLSXP, INTSXP, REALSXP, STRSXP, VECSXP, EXPRSXP = 10, 13, 14, 16, 19, 20
PACKAGESXP, NAMESPACESXP = 248, 249
NA_INTEGER = -(1 << 31)


@dataclass
class RSymbol:
    name: str


@dataclass
class RVector:
    """An R vector: kind is 'logical', 'integer', 'double', 'character', 'list' or 'expression'."""
    kind: str
    values: list
    attributes: dict = field(default_factory=dict)

    @property
    def names(self) -> list | None:
        n = self.attributes.get("names")
        return n.values if isinstance(n, RVector) and n.kind == "character" else None


class RPairlist(list):
    """A pairlist (or call) as a list of (tag name or None, value)."""


class XDRReader:
    """Parses one R serialization stream in XDR format ("X\\n" header). Raises DataError on anything malformed or
    outside the supported subset; never builds an object larger than the input can describe."""

    def __init__(self, data: bytes, max_depth: int = 100):
        self.data, self.pos, self.max_depth = data, 0, max_depth
        self.refs: list = []

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DataError(f"R stream truncated: need {n} bytes at offset {self.pos} of {len(self.data)}")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def _int(self) -> int:
        return struct.unpack(">i", self._take(4))[0]

    def _length(self, min_item_bytes: int) -> int:
        n = self._int()
        if n == -1:
            raise DataError("R long vectors (length >= 2^31) are not supported")
        if n < 0 or n * min_item_bytes > len(self.data) - self.pos:
            raise DataError(f"R vector length {n} at offset {self.pos - 4} exceeds the remaining input")
        return n

    def read_stream(self):
        if self._take(2) != b"X\n":
            raise DataError("not an R XDR serialization stream (expected 'X\\n')")
        version = self._int()
        self._int(), self._int()                       # writer R version, minimum reader version
        if version == 3:
            self._take(self._length(1))                # native encoding name, e.g. "UTF-8"
        elif version != 2:
            raise DataError(f"unsupported R serialization format version {version}")
        value = self._item(0)
        if self.pos != len(self.data):
            raise DataError(f"{len(self.data) - self.pos} trailing bytes after the R object")
        return value

    def _item(self, depth: int):
        return self._item_with_flags(self._int(), depth)

    def _item_with_flags(self, flags: int, depth: int):
        if depth > self.max_depth:
            raise DataError("R object nested too deeply")
        kind, has_attr, has_tag = flags & 0xFF, bool(flags & (1 << 9)), bool(flags & (1 << 10))
        if kind == NILVALUE:
            return None
        if kind in SINGLETONS:
            return ("singleton", kind)
        if kind == REFSXP:
            index = (flags >> 8) or self._int()
            if not 1 <= index <= len(self.refs):
                raise DataError(f"R back-reference {index} outside the table of {len(self.refs)}")
            return self.refs[index - 1]
        if kind == SYMSXP:
            name = self._item(depth + 1)
            if not isinstance(name, str):
                raise DataError("R symbol without a name string")
            sym = RSymbol(name)
            self.refs.append(sym)
            return sym
        if kind in (PACKAGESXP, NAMESPACESXP):
            self._int()
            value = ("environment", [self._item(depth + 1) for _ in range(self._length(4))])
            self.refs.append(value)
            return value
        if kind == CHARSXP:
            return self._charsxp(flags)
        if kind in (LISTSXP, LANGSXP, DOTSXP):
            return self._pairlist(flags, depth)
        if kind in (STRSXP, VECSXP, EXPRSXP):
            n = self._length(4)
            vec = RVector({STRSXP: "character", VECSXP: "list", EXPRSXP: "expression"}[kind],
                          [self._item(depth + 1) for _ in range(n)])
            if kind == STRSXP and not all(v is None or isinstance(v, str) for v in vec.values):
                raise DataError("R character vector holds a non-string element")
        elif kind in (LGLSXP, INTSXP):
            n = self._length(4)
            ints = struct.unpack(f">{n}i", self._take(4 * n))
            vec = RVector("logical" if kind == LGLSXP else "integer", [None if v == NA_INTEGER else v for v in ints])
        elif kind == REALSXP:
            n = self._length(8)
            vec = RVector("double", list(struct.unpack(f">{n}d", self._take(8 * n))))
        else:
            raise DataError(f"unsupported R object type {kind} (flags 0x{flags:x}) at offset {self.pos - 4}")
        if has_attr:
            vec.attributes = self._attributes(depth)
        return vec

    def _charsxp(self, flags: int) -> str | None:
        n = self._int()
        if n == -1:
            return None                                # NA_character_
        raw = self._take(self._check_len(n))
        levels = flags >> 12
        if levels & (1 << 1):
            raise DataError("R 'bytes'-encoded strings are not supported")
        try:
            return raw.decode("latin-1" if levels & (1 << 2) else "utf-8")
        except UnicodeDecodeError as e:
            raise DataError(f"R string is not valid UTF-8: {e}") from None

    def _check_len(self, n: int) -> int:
        if n < 0 or n > len(self.data) - self.pos:
            raise DataError(f"R string length {n} at offset {self.pos - 4} exceeds the remaining input")
        return n

    def _pairlist(self, flags: int, depth: int) -> RPairlist:
        cells = RPairlist()
        while True:
            if flags & (1 << 9):
                self._item(depth + 1)                   # attributes of the cell itself: not needed
            tag = self._item(depth + 1) if flags & (1 << 10) else None
            if tag is not None and not isinstance(tag, RSymbol):
                raise DataError("R pairlist tag is not a symbol")
            cells.append((tag.name if tag else None, self._item(depth + 1)))
            flags = self._int()
            if flags & 0xFF in (LISTSXP, LANGSXP, DOTSXP):
                continue
            if flags & 0xFF != NILVALUE:
                cells.append((None, self._item_with_flags(flags, depth + 1)))   # dotted-pair cdr
            return cells

    def _attributes(self, depth: int) -> dict:
        attrs = self._item(depth + 1)
        if not isinstance(attrs, RPairlist):
            raise DataError("R attributes are not a pairlist")
        return {tag: value for tag, value in attrs}


def parse_r_stream(data: bytes):
    return XDRReader(data).read_stream()


# ---------------------------------------------------------------- lazy-load database

def _decompress(data: bytes, decompressor, limit: int) -> bytes:
    out = decompressor.decompress(data, limit + 1)
    if len(out) > limit:
        raise DataError(f"decompressed object exceeds {limit} bytes")
    return out


def decompress_chunk(chunk: bytes, compressed: int, limit: int = MAX_OBJECT_BYTES) -> bytes:
    """An .rdb chunk: 4-byte big-endian uncompressed length, then (compression 2 or 3: a type byte Z/2/X/0, then)
    the payload; compression TRUE (1) means a bare zlib stream."""
    if len(chunk) < 5:
        raise DataError("lazy-load chunk shorter than its header")
    declared = struct.unpack(">I", chunk[:4])[0]
    if declared > limit:
        raise DataError(f"lazy-load object declares {declared} bytes, more than the limit {limit}")
    body = chunk[4:]
    if compressed in (2, 3):
        kind, body = body[:1], body[1:]
        if kind == b"0":
            out = body
        elif kind in (b"Z", b"2", b"X"):
            dec = {b"Z": zlib.decompressobj, b"2": bz2.BZ2Decompressor, b"X": lzma.LZMADecompressor}[kind]()
            out = _decompress(body, dec, declared)
        else:
            raise DataError(f"unknown lazy-load compression type {kind!r}")
    elif compressed == 1:
        out = _decompress(body, zlib.decompressobj(), declared)
    else:
        raise DataError(f"unsupported lazy-load compression flag {compressed}")
    if len(out) != declared:
        raise DataError(f"lazy-load object decompressed to {len(out)} bytes, header says {declared}")
    return out


def read_lazyload(rdx_gz: bytes, rdb: bytes) -> dict[str, object]:
    """All objects of an R lazy-load database, by name."""
    with gzip.GzipFile(fileobj=io.BytesIO(rdx_gz)) as f:
        raw = f.read(MAX_OBJECT_BYTES + 1)
    if len(raw) > MAX_OBJECT_BYTES:
        raise DataError("lazy-load index too large")
    index = parse_r_stream(raw)
    if not (isinstance(index, RVector) and index.kind == "list" and index.names):
        raise DataError("lazy-load index is not a named list")
    entries = dict(zip(index.names, index.values))
    variables, compressed = entries.get("variables"), entries.get("compressed")
    if not (isinstance(variables, RVector) and variables.kind == "list" and variables.names is not None):
        raise DataError("lazy-load index has no named 'variables' list")
    if not (isinstance(compressed, RVector) and len(compressed.values) == 1 and compressed.values[0] is not None):
        raise DataError("lazy-load index has no 'compressed' flag")
    objects = {}
    for name, where in zip(variables.names, variables.values):
        if not (isinstance(where, RVector) and where.kind == "integer" and len(where.values) == 2):
            raise DataError(f"lazy-load entry {name!r} is not an (offset, length) integer pair")
        offset, length = where.values
        if offset is None or length is None or offset < 0 or length < 0 or offset + length > len(rdb):
            raise DataError(f"lazy-load entry {name!r} points outside the .rdb ({offset}, {length})")
        objects[name] = parse_r_stream(decompress_chunk(rdb[offset:offset + length], int(compressed.values[0])))
    return objects


def novel_text(obj, name: str) -> str:
    """A character vector as its elements joined with "\\n" plus a final "\\n" (NA -> empty line)."""
    if not (isinstance(obj, RVector) and obj.kind == "character"):
        raise DataError(f"{name} is not a character vector")
    return "".join((line or "") + "\n" for line in obj.values)


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--out", type=Path, default=Path("data/austen"))
    ap.add_argument("--force", action="store_true", help="rebuild even if the outputs verify")
    args = ap.parse_args()
    names = [f"{s}.txt" for s in SPLITS]
    if not args.force and outputs_done(args.out, names):
        return
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = deb_extract(apt_download(PACKAGE, work), work / "x") / DATA_DIR
        objects = read_lazyload((root / "Rdata.rdx").read_bytes(), (root / "Rdata.rdb").read_bytes())
    texts = {}
    for name, (lines, size, digest) in NOVELS.items():
        data = novel_text(objects.get(name), name).encode("utf-8")
        require_sha256(data, digest, f"{name} ({lines} lines, {size} bytes)")
        texts[name] = data
    for split, members in SPLITS.items():
        data = b"".join(texts[m] for m in members)
        (args.out / f"{split}.txt").write_bytes(data)
        lines, symbols = data.count(b"\n"), len(set(data.decode("utf-8")))
        print(f"  {split}.txt: {len(data)} bytes, {lines} lines, {symbols} symbols ({', '.join(members)})")
    write_sums(args.out, names)


if __name__ == "__main__":
    main_wrapper(main)
