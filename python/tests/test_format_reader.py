"""Tests of the reader (kru.format) against the spec vectors (spec/vectors, made by tools/make_vectors.py, which
does not use this package).

Run from the repository root: python3 -m pytest -q python/
"""

from __future__ import annotations

import json
import random
import re
import struct
import subprocess
import sys
import tracemalloc
import zlib

import numpy as np
import pytest

from kru import format as kf
from conftest import ROOT, python_env

VECTORS = ROOT / "spec" / "vectors"
MAKE_VECTORS = ROOT / "tools" / "make_vectors.py"


def names(kind: str) -> list[str]:
    return sorted(p.stem for p in (VECTORS / kind).glob("*.kru"))


def load(kind: str, name: str) -> tuple[bytes, dict]:
    base = VECTORS / kind / name
    return (base.with_suffix(".kru").read_bytes(),
            json.loads(base.with_suffix(".json").read_text(encoding="utf-8")))


def limit_for(expected: dict) -> int:
    return expected.get("max_tensor_bytes", kf.DEFAULT_MAX_TENSOR_BYTES)


def json_roundtrip(doc: dict) -> dict:
    """What a reader of the printed JSON would see (also proves the document is strict JSON)."""
    return json.loads(json.dumps(doc, ensure_ascii=False, allow_nan=False))


def assert_same(actual, expected, path="$"):
    """Exact equality of parsed JSON: same types (bool, int and float are not mixed up), floats bit for bit
    (so -0.0 is not 0.0), same keys."""
    assert type(actual) is type(expected), f"{path}: {actual!r} ({type(actual).__name__}) vs {expected!r}"
    if isinstance(actual, dict):
        assert set(actual) == set(expected), f"{path}: keys {list(actual)} vs {list(expected)}"
        for k in expected:
            assert_same(actual[k], expected[k], f"{path}.{k}")
    elif isinstance(actual, list):
        assert len(actual) == len(expected), f"{path}: length {len(actual)} vs {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, f"{path}[{i}]")
    elif isinstance(actual, float):
        assert struct.pack("<d", actual) == struct.pack("<d", expected), f"{path}: {actual!r} vs {expected!r}"
    else:
        assert actual == expected, f"{path}: {actual!r} vs {expected!r}"


# ----------------------------------------------------------------------------------------------------------------
# The vectors

def test_there_are_vectors():
    assert len(names("valid")) >= 8
    assert len(names("invalid")) >= len(kf.ERROR_CODES)


def test_crc32_check_value():
    assert kf.crc32(b"123456789") == 0xCBF43926


@pytest.mark.parametrize("name", names("valid"))
def test_valid_vector_decodes_to_its_json(name):
    data, expected = load("valid", name)
    f = kf.full_check(data)
    assert_same(json_roundtrip(kf.to_json(f)), expected)


@pytest.mark.parametrize("name", names("valid"))
def test_valid_vector_from_a_path(name):
    _, expected = load("valid", name)
    with kf.full_check(VECTORS / "valid" / f"{name}.kru") as f:
        assert_same(json_roundtrip(kf.to_json(f)), expected)


@pytest.mark.parametrize("name", names("invalid"))
def test_invalid_vector_fails_with_its_code_and_offset(name):
    data, expected = load("invalid", name)
    assert expected["error"] in kf.ERROR_CODES
    with pytest.raises(kf.KruFormatError) as info:
        kf.full_check(data, max_tensor_bytes=limit_for(expected))
    e = info.value
    assert (e.code, e.offset) == (expected["error"], expected["offset"]), str(e)
    assert str(e) == f"{e.code} at byte {e.offset}: {e.message}"


@pytest.mark.parametrize("name", names("invalid"))
def test_invalid_vector_from_a_path(name):
    _, expected = load("invalid", name)
    with pytest.raises(kf.KruFormatError) as info:
        kf.full_check(VECTORS / "invalid" / f"{name}.kru", max_tensor_bytes=limit_for(expected))
    assert (info.value.code, info.value.offset) == (expected["error"], expected["offset"])


def test_every_error_code_has_an_invalid_vector():
    covered = {load("invalid", n)[1]["error"] for n in names("invalid")}
    assert covered == set(kf.ERROR_CODES)


def test_invalid_vectors_have_descriptions():
    for n in names("invalid"):
        assert load("invalid", n)[1]["description"].strip(), n


@pytest.mark.parametrize("name", ["bad_magic_crlf_to_lf", "bad_magic_lf_to_crlf"])
def test_text_mode_damage_is_named(name):
    with pytest.raises(kf.KruFormatError, match="text-mode damage"):
        kf.open_kru(load("invalid", name)[0])


def test_a_foreign_magic_is_not_called_text_mode_damage():
    with pytest.raises(kf.KruFormatError) as info:
        kf.open_kru(load("invalid", "bad_magic")[0])
    assert "text-mode" not in info.value.message


def test_unsupported_version_names_both_versions():
    with pytest.raises(kf.KruFormatError, match=r"file is v2\.0, this build reads v1\.x"):
        kf.open_kru(load("invalid", "unsupported_version_major_2")[0])


# ----------------------------------------------------------------------------------------------------------------
# The reader's API

def test_tensors_are_decoded_lazily():
    data, expected = load("invalid", "tensor_checksum_zlib")     # the second tensor's crc32 is wrong
    f = kf.open_kru(data)                                       # opening does not decode
    assert [t.name for t in f.tensors] == ["w", "b"]
    assert f.read_tensor("w").tolist() == [[0.5, -1.0, 2.0], [3.5, -4.25, 8.0]]
    with pytest.raises(kf.KruFormatError) as info:
        f.read_tensor("b")
    assert (info.value.code, info.value.offset) == ("tensor_checksum", expected["offset"])


def test_numpy_types_and_shapes():
    f = kf.full_check(load("valid", "all_dtypes")[0])
    expected_types = {"f16": np.float16, "bf16": np.float32, "f32": np.float32, "f64": np.float64,
                      "complex64": np.complex64, "complex128": np.complex128, "u8": np.uint8, "i8": np.int8,
                      "i32": np.int32, "i64": np.int64}
    for t in f.tensors:
        a = f.read_tensor(t.name)
        assert a.dtype == expected_types[t.dtype], t.name
        assert a.shape == t.shape, t.name
        assert a.flags.writeable
    assert f.read_tensor("bf16.values").tolist() == [1.0, -3.0, 0.15625, 2.0**100, -(2.0**-126)]
    assert f.read_tensor("f16.values")[1, 2] == np.float16(2**-24)
    assert f.read_tensor("complex64.values").tolist() == [1 - 1j, 0.5 + 0.25j]
    assert f.read_tensor("i64.values").tolist() == [-2**63, 2**63 - 1]


def test_scalars_and_empty_tensors():
    f = kf.full_check(load("valid", "scalar_and_empty")[0])
    assert f.read_tensor("scalar").shape == ()
    assert f.read_tensor("scalar").item() == 3.25
    assert f.read_tensor("empty_3d").shape == (3, 0, 2)
    assert f.read_tensor("empty_huge_first").shape == (1 << 40, 0)
    assert f.read_tensor("empty_zlib").size == 0


def test_metadata_entries_and_array_element_types():
    f = kf.open_kru(load("valid", "metadata_all_types")[0])
    meta = {k: (ty, v) for k, ty, v in f.metadata}
    assert meta["test.int_min"] == ("int", -2**63)
    assert meta["test.bool_false"] == ("bool", False)
    assert meta["general.author"] == ("string", "Zoë Ångström")
    ty, empty = meta["test.array_empty"]
    assert ty == "array" and empty == [] and empty.element_type == "int"
    assert meta["test.array_empty_string"][1].element_type == "string"
    assert meta["test.array_bool"][1] == [True, False, True]
    assert [k for k, _, _ in f.metadata][:2] == ["general.name", "general.description"]   # file order


def test_minor_version_extensions_are_ignored():
    f = kf.full_check(load("valid", "minor_version_1_1")[0])
    assert f.version == (1, 1)
    assert [k for k, _, _ in f.metadata] == ["general.name", "kru.size"]


def test_reader_limit_on_tensor_bytes():
    data = load("valid", "all_dtypes")[0]
    f = kf.open_kru(data, max_tensor_bytes=None)
    biggest = max(f.tensors, key=lambda t: t.raw_length)
    kf.full_check(data, max_tensor_bytes=biggest.raw_length)          # at the limit: fine
    with pytest.raises(kf.KruFormatError) as info:
        kf.full_check(data, max_tensor_bytes=biggest.raw_length - 1)
    first_over = next(t for t in f.tensors if t.raw_length > biggest.raw_length - 1)
    assert (info.value.code, info.value.offset) == ("tensor_too_large", first_over.field_offsets["raw_length"])
    # Without a limit of its own, the reader finds the next fault of the tensor_too_large vector.
    with pytest.raises(kf.KruFormatError) as info:
        kf.full_check(load("invalid", "tensor_too_large")[0], max_tensor_bytes=None)
    assert info.value.code == "bad_offset"


def test_source_must_be_path_or_bytes():
    with pytest.raises(TypeError):
        kf.open_kru(12)


# ----------------------------------------------------------------------------------------------------------------
# Never trust a size: malformed files fail with KruFormatError, without big allocations

@pytest.mark.parametrize("name", names("invalid"))
def test_invalid_vectors_allocate_little(name):
    data, expected = load("invalid", name)
    tracemalloc.start()
    try:
        with pytest.raises(kf.KruFormatError):
            kf.full_check(data, max_tensor_bytes=limit_for(expected))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 256 * 1024 + 4 * len(data), f"peak {peak} bytes"


def _content(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "version"}


def _check_mutant(data: bytes, original: dict) -> str:
    """A mutated file must fail with KruFormatError or decode to the original content. The version may change:
    bytes 10-11 (minor) are not covered by any checksum, and v1.0 content is also valid v1.n content."""
    try:
        f = kf.full_check(data)
        doc = json_roundtrip(kf.to_json(f))
    except kf.KruFormatError as e:
        assert e.code in kf.ERROR_CODES and isinstance(e.offset, int) and e.offset >= 0
        return e.code
    assert_same(_content(doc), _content(original))
    return "ok"


@pytest.mark.parametrize("name", names("valid"))
def test_mutations_of_valid_vectors(name):
    data, expected = load("valid", name)
    rng = random.Random(f"kru-mutations-{name}")

    # Every truncation is `truncated` at the new size.
    for n in range(len(data)):
        with pytest.raises(kf.KruFormatError) as info:
            kf.full_check(data[:n])
        assert (info.value.code, info.value.offset) == ("truncated", n)

    outcomes = {}
    # Single-bit flips (every bit of small files, else a seeded sample), then random byte overwrites.
    bits = range(len(data) * 8) if len(data) <= 256 else rng.sample(range(len(data) * 8), 2000)
    for bit in bits:
        m = bytearray(data)
        m[bit // 8] ^= 1 << (bit % 8)
        outcome = _check_mutant(bytes(m), expected)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    for _ in range(1000):
        m = bytearray(data)
        at = rng.randrange(len(data))
        m[at] = (m[at] + rng.randrange(1, 256)) % 256      # a different byte
        _check_mutant(bytes(m), expected)
    assert sum(outcomes.values()) >= min(2000, len(data) * 8)


def _fix_directory_crc(m: bytearray) -> None:
    dir_len = struct.unpack_from("<I", m, 12)[0]
    if 32 + dir_len <= len(m):
        struct.pack_into("<I", m, 24, zlib.crc32(bytes(m[32:32 + dir_len])) & 0xFFFFFFFF)


@pytest.mark.parametrize("name", names("valid"))
def test_directory_mutations_with_a_correct_crc(name):
    """The directory CRC stops plain bit flips at `directory_checksum`; here the CRC is fixed up after the
    change, so the parser itself meets the damage. Anything but KruFormatError (or a clean decode) fails."""
    data, _ = load("valid", name)
    dir_len = struct.unpack_from("<I", data, 12)[0]
    if dir_len == 0:
        pytest.skip("no directory bytes")
    rng = random.Random(f"kru-directory-{name}")
    codes = set()
    for i in range(2500):
        m = bytearray(data)
        kind = i % 4
        if kind == 0:       # one bit
            at = 32 + rng.randrange(dir_len)
            m[at] ^= 1 << rng.randrange(8)
        elif kind == 1:     # one byte
            at = 32 + rng.randrange(dir_len)
            m[at] = rng.randrange(256)
        elif kind == 2:     # a u32 set to a boundary value (lengths and counts)
            at = 32 + rng.randrange(max(dir_len - 3, 1))
            v = rng.choice([0, 1, 255, 256, 65535, 65536, 1 << 20, (1 << 20) + 1, 0x7FFFFFFF, 0xFFFFFFFF])
            m[at:at + 4] = struct.pack("<I", v)[:len(m[at:at + 4])]
        else:               # a u64 set to a boundary value (dimensions, offsets, lengths)
            at = 32 + rng.randrange(max(dir_len - 7, 1))
            v = rng.choice([0, 1, 1 << 32, 1 << 40, (1 << 40) + 1, 1 << 63, (1 << 64) - 1, (1 << 64) - 64])
            m[at:at + 8] = struct.pack("<Q", v)[:len(m[at:at + 8])]
        _fix_directory_crc(m)
        try:
            kf.full_check(bytes(m))
            codes.add("ok")
        except kf.KruFormatError as e:
            codes.add(e.code)
    assert codes - {"ok"}, "no mutation was detected at all"


def test_random_headers_and_garbage():
    rng = random.Random("kru-garbage")
    for n in list(range(0, 80)) + [rng.randrange(80, 3000) for _ in range(300)]:
        blob = bytes(rng.randrange(256) for _ in range(n))
        for candidate in (blob, kf.MAGIC + blob, kf.MAGIC + struct.pack("<HH", 1, rng.randrange(2)) + blob):
            try:
                kf.full_check(candidate)
            except kf.KruFormatError:
                pass


# ----------------------------------------------------------------------------------------------------------------
# The command line

def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kru.format", *args], capture_output=True, text=True,
                          encoding="utf-8", env=python_env())


def test_cli_prints_the_json():
    r = run_cli(str(VECTORS / "valid" / "metadata_all_types.kru"))
    assert r.returncode == 0, r.stderr
    assert_same(json.loads(r.stdout), load("valid", "metadata_all_types")[1])


def test_cli_check():
    r = run_cli("--check", str(VECTORS / "valid" / "all_dtypes.kru"))
    assert (r.returncode, r.stdout, r.stderr) == (0, "ok\n", "")


def test_cli_reports_one_error_line():
    r = run_cli(str(VECTORS / "invalid" / "bad_zlib_adler32.kru"))
    expected = load("invalid", "bad_zlib_adler32")[1]
    assert r.returncode == 1 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1
    assert re.fullmatch(rf"error: bad_zlib at byte {expected['offset']}: .+", lines[0]), lines[0]


# ----------------------------------------------------------------------------------------------------------------
# The vectors are reproducible

def test_make_vectors_reproduces_the_committed_vectors(tmp_path):
    readme = (VECTORS / "README.md").read_text(encoding="utf-8")
    made_with = re.search(r"zlib (\S+) \(zlib level 9", readme)
    if made_with is None or made_with.group(1) != zlib.ZLIB_RUNTIME_VERSION:
        pytest.skip(f"the vectors were made with another zlib than {zlib.ZLIB_RUNTIME_VERSION}")
    r = subprocess.run([sys.executable, str(MAKE_VECTORS), "--out", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    committed = sorted(p.relative_to(VECTORS) for p in VECTORS.rglob("*") if p.is_file())
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert made == committed
    for rel in committed:
        assert (tmp_path / rel).read_bytes() == (VECTORS / rel).read_bytes(), rel


def test_vector_files_are_small():
    for p in VECTORS.rglob("*.kru"):
        assert p.stat().st_size < 10_000, p
