#!/usr/bin/env python3
"""Craft small hostile checkpoint files into Tests/Fixtures/hostile/ for the Swift checkpoint readers.

Standard library only (struct, zlib, zipfile). Nothing here is ever unpickled or evaluated: the pickles are
written opcode by opcode, so a file that "calls os.system" is just bytes that ask for it. Each file targets
one check of the readers in Sources/Convert/Checkpoints; Tests/ConvertTests/CheckpointHostileTests.swift
expects one specific error for each (README.md in the output folder lists them). Output is deterministic:
running the script twice gives identical bytes.

    python3 tools/make_hostile_fixtures.py        # from anywhere; rewrites Tests/Fixtures/hostile/
"""
import io
import os
import struct
import zipfile
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "hostile")
FIXED_TIME = (2020, 1, 1, 0, 0, 0)

# --------------------------------------------------------------------------------------------------------------
# Pickle opcodes (protocol 2 unless stated), written by hand.

PROTO2 = b"\x80\x02"
MARK, STOP, TUPLE, REDUCE, SETITEM, SETITEMS = b"(", b".", b"t", b"R", b"s", b"u"
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, APPEND, APPENDS = b"}", b"]", b")", b"a", b"e"
NEWFALSE, BINPERSID = b"\x89", b"Q"


def unicode(text):
    data = text.encode("utf-8")
    return b"X" + struct.pack("<I", len(data)) + data


def short_unicode(text):  # protocol 4
    data = text.encode("utf-8")
    return b"\x8c" + struct.pack("<B", len(data)) + data


def integer(n):
    if 0 <= n < 256:
        return b"K" + bytes([n])
    if -(2 ** 31) <= n < 2 ** 31:
        return b"J" + struct.pack("<i", n)
    raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw  # LONG1


def global_(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def int_tuple(values):
    return MARK + b"".join(integer(v) for v in values) + TUPLE


def ordered_dict():
    return global_("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE


def tensor(key, numel, size, stride, offset=0, storage="FloatStorage"):
    """torch._utils._rebuild_tensor_v2(('storage', torch.<storage>, key, 'cpu', numel), offset, size, stride, False,
    OrderedDict())"""
    pid = MARK + unicode("storage") + global_("torch", storage) + unicode(key) + unicode("cpu") + integer(numel) + TUPLE
    return (global_("torch._utils", "_rebuild_tensor_v2") + MARK + pid + BINPERSID + integer(offset)
            + int_tuple(size) + int_tuple(stride) + NEWFALSE + ordered_dict() + TUPLE + REDUCE)


def state_dict(entries):
    """OrderedDict with (name, pickled value) entries."""
    body = b"".join(unicode(name) + value for name, value in entries)
    return ordered_dict() + (MARK + body + SETITEMS if entries else b"")


def checkpoint_dict(entries):
    """A plain dict (a Lightning-like checkpoint) with (key, pickled value) entries."""
    return EMPTY_DICT + MARK + b"".join(unicode(k) + v for k, v in entries) + SETITEMS


def plain_dict(entries):
    """A dict with (key, pickled value) entries."""
    return EMPTY_DICT + (MARK + b"".join(unicode(k) + v for k, v in entries) + SETITEMS if entries else b"")


NEWOBJ, BUILD, BINPUT, BINGET = b"\x81", b"b", b"q", b"h"


def module(cls, parameters=(), children=(), attributes=(), memo=None):
    """An nn.Module as torch.save(model) pickles it: NEWOBJ of its class, then BUILD with its __dict__
    (_parameters, _buffers, _modules and plain attributes). `memo` puts the object in the memo (BINPUT)."""
    obj = global_(*cls) + EMPTY_TUPLE + NEWOBJ + (BINPUT + bytes([memo]) if memo is not None else b"")
    state = [("training", NEWFALSE), ("_parameters", plain_dict(parameters)), ("_buffers", plain_dict([])),
             ("_modules", plain_dict(children))] + list(attributes)
    return obj + plain_dict(state) + BUILD


FOUR_FLOATS = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
WEIGHT = ("weight", tensor("0", 4, [2, 2], [2, 1]))

# --------------------------------------------------------------------------------------------------------------
# Containers.


def torch_zip(pickle, storages, compress_pickle=False, folder="archive"):
    """A torch.save-style ZIP: <folder>/data.pkl, byteorder, data/<key>, version."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        def add(name, data, method=zipfile.ZIP_STORED):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=FIXED_TIME)
            info.compress_type = method
            archive.writestr(info, data)
        add("data.pkl", pickle, zipfile.ZIP_DEFLATED if compress_pickle else zipfile.ZIP_STORED)
        add("byteorder", b"little")
        for key, data in storages.items():
            add(f"data/{key}", data)
        add("version", b"3\n")
    return buffer.getvalue()


def local_header(name, method, crc, csize, usize, flags=0):
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, 0, 0x5021, crc, csize, usize, len(name), 0) + name


def central_header(name, method, crc, csize, usize, offset, flags=0):
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, 0, 0x5021, crc, csize, usize,
                       len(name), 0, 0, 0, 0, 0, offset) + name


def end_record(entries, cd_size, cd_offset, disk=0):
    return struct.pack("<IHHHHIIH", 0x06054B50, disk, 0, entries, entries, cd_size, cd_offset, 0)


def handmade_zip(files, flags=0):
    """A ZIP written field by field: files = [(name, method, crc, stored bytes, declared size)]."""
    out, central = b"", b""
    for name, method, crc, stored, declared in files:
        offset = len(out)
        out += local_header(name, method, crc, len(stored), declared, flags) + stored
        central += central_header(name, method, crc, len(stored), declared, offset, flags)
    return out + central + end_record(len(files), len(central), len(out))


def npy(descr, shape, data, header=None):
    if header is None:
        dims = "(" + "".join(f"{d}, " for d in shape).rstrip(" ") + ")" if len(shape) != 1 else f"({shape[0]},)"
        header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}"
    text = header.encode("latin1")
    pad = (64 - (10 + len(text) + 1) % 64) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


# --------------------------------------------------------------------------------------------------------------
# The hostile files: name -> (bytes, what it attacks, the error the readers must give).

def fixtures():
    f = {}

    # Code execution through pickle globals, inside otherwise valid torch archives.
    payload = global_("os", "system") + MARK + unicode("echo pwned > /tmp/kru-pwned") + TUPLE + REDUCE
    f["reduce_os_system.pt"] = (
        torch_zip(PROTO2 + state_dict([WEIGHT, ("payload", payload)]) + STOP, {"0": FOUR_FLOATS}),
        "GLOBAL os.system + REDUCE inside a state dict", "refusedGlobal(os.system)")
    payload = global_("builtins", "eval") + MARK + unicode("__import__('os').system('echo pwned')") + TUPLE + REDUCE
    f["reduce_builtins_eval.pt"] = (
        torch_zip(PROTO2 + checkpoint_dict([("state_dict", state_dict([WEIGHT])),
                                            ("hyper_parameters", payload)]) + STOP,
                  {"0": FOUR_FLOATS}),
        "GLOBAL builtins.eval + REDUCE in Lightning-style hyper_parameters", "refusedGlobal(builtins.eval)")
    popen = (short_unicode("subprocess") + short_unicode("Popen") + b"\x93"
             + EMPTY_LIST + MARK + short_unicode("sh") + short_unicode("-c") + short_unicode("echo pwned") + APPENDS
             + b"\x85" + REDUCE)
    f["stack_global_popen.pt"] = (
        torch_zip(b"\x80\x04" + state_dict([WEIGHT, ("payload", popen)]) + STOP, {"0": FOUR_FLOATS}),
        "protocol 4 STACK_GLOBAL subprocess.Popen + REDUCE", "refusedGlobal(subprocess.Popen)")

    # Whole saved models (torch.save(model)) that try to run code where Python's unpickler would: an attribute
    # whose __reduce__ names os.system, a child "module" that is subprocess.Popen, a class whose __setstate__
    # Python would call with a command. The first two are refused; the third is an inert record.
    linear = ("torch.nn.modules.linear", "Linear")
    payload = global_("posix", "system") + MARK + unicode("echo pwned > /tmp/kru-pwned") + TUPLE + REDUCE
    f["module_reduce_os_system.pt"] = (
        torch_zip(PROTO2 + module(("model", "Net"), children=[("fc", module(linear, [WEIGHT]))],
                                  attributes=[("hook", payload)]) + STOP, {"0": FOUR_FLOATS}),
        "torch.save(model) whose attribute pickles as posix.system(...) (a __reduce__)", "refusedGlobal(posix.system)")
    popen = global_("subprocess", "Popen") + MARK + EMPTY_LIST + MARK + unicode("sh") + unicode("-c")
    popen += unicode("echo pwned > /tmp/kru-pwned") + APPENDS + TUPLE + NEWOBJ
    f["module_newobj_popen.pt"] = (
        torch_zip(PROTO2 + module(("model", "Net"), children=[("fc", module(linear, [WEIGHT])), ("evil", popen)])
                  + STOP, {"0": FOUR_FLOATS}),
        "torch.save(model) with a child that is NEWOBJ subprocess.Popen(['sh', '-c', ...])",
        "refusedGlobal(subprocess.Popen)")
    setstate = (global_("evil", "Payload") + EMPTY_TUPLE + NEWOBJ
                + plain_dict([("command", unicode("echo pwned > /tmp/kru-pwned"))]) + BUILD)
    f["module_setstate_payload.pt"] = (
        torch_zip(PROTO2 + module(("model", "Net"), children=[("fc", module(linear, [WEIGHT]))],
                                  attributes=[("payload", setstate)]) + STOP, {"0": FOUR_FLOATS}),
        "torch.save(model) with an attribute of a class whose __setstate__ Python would call with a command: kept "
        "as an inert record, the model's tensors read", "none: reads")
    f["setstate_root.pt"] = (
        torch_zip(PROTO2 + setstate + STOP, {}),
        "the whole file is one object of a class whose __setstate__ Python would call", "notAStateDict")
    scripted = global_("__torch__", "M") + EMPTY_TUPLE + NEWOBJ + plain_dict([
        ("weight", tensor("0", 4, [2, 2], [2, 1])),
        ("loader", global_("torch.jit", "load") + MARK + unicode("other.pt") + TUPLE + REDUCE)]) + BUILD
    f["scripted_jit_load.pt"] = (
        torch_zip(PROTO2 + scripted + STOP, {"0": FOUR_FLOATS}),
        "a TorchScript module whose attribute calls torch.jit.load", "refusedGlobal(torch.jit.load)")
    # A module that is its own child, and a chain of modules each holding the next one twice (2^40 paths).
    cycle = module(("model", "Net"), children=[("again", BINGET + b"\x00")], memo=0)
    f["module_cycle.pt"] = (torch_zip(PROTO2 + cycle + STOP, {}),
                            "a module whose _modules holds itself", "limitExceeded(nestingDepth)")
    chain = module(linear, [WEIGHT], memo=0)
    for level in range(1, 41):
        previous = BINGET + bytes([level - 1])
        chain = module(("model", "Block"), children=[("a", chain), ("b", previous)], memo=level)
    f["module_fanout.pt"] = (torch_zip(PROTO2 + chain + STOP, {"0": FOUR_FLOATS}),
                             "40 modules each holding the next one twice: 2^40 paths to the last one",
                             "limitExceeded(memoryBudget)")

    # Storage and tensor records that lie.
    f["missing_storage.pt"] = (
        torch_zip(PROTO2 + state_dict([WEIGHT, ("bias", tensor("1", 2, [2], [1]))]) + STOP, {"0": FOUR_FLOATS}),
        "a tensor whose storage record archive/data/1 does not exist", "missingEntry(archive/data/1)")
    f["stride_past_storage.pt"] = (
        torch_zip(PROTO2 + state_dict([("weight", tensor("0", 10, [4, 4], [4, 1]))]) + STOP,
                  {"0": struct.pack("<10f", *range(10))}),
        "size (4, 4) with stride (4, 1) over a 10-element storage", "tensorOutOfBounds")
    f["absurd_shape.pt"] = (
        torch_zip(PROTO2 + state_dict([("weight", tensor("0", 4, [2 ** 31, 2 ** 31], [2 ** 31, 1]))]) + STOP,
                  {"0": FOUR_FLOATS}),
        "a tensor of 2^31 x 2^31 = 2^62 elements over a 4-element storage", "limitExceeded(tensorElements)")

    # Resource exhaustion inside the pickle.
    f["deep_marks.pt"] = (
        torch_zip(PROTO2 + MARK * 100_000 + STOP, {}, compress_pickle=True),
        "100,000 nested MARKs", "limitExceeded(pickleMarkDepth)")
    deep = EMPTY_LIST * 100_000 + APPEND * 99_999
    f["deep_lists.pt"] = (
        torch_zip(PROTO2 + checkpoint_dict([("state_dict", state_dict([WEIGHT])), ("deep", deep)]) + STOP,
                  {"0": FOUR_FLOATS}, compress_pickle=True),
        "a list nested 100,000 deep beside the state dict", "limitExceeded(nestingDepth)")
    # Billion laughs through the memo: level i is a list holding level i-1 twice, 40 levels (2^40 leaves).
    # The memo indices are near 2^32, so an array-backed memo would try to allocate gigabytes.
    POP = b"0"
    bomb = EMPTY_LIST + unicode("lol") + APPEND + b"r" + struct.pack("<I", 0xFFFFFF00) + POP
    for level in range(1, 41):
        previous = struct.pack("<I", 0xFFFFFF00 + level - 1)
        bomb += (EMPTY_LIST + MARK + b"j" + previous + b"j" + previous + APPENDS
                 + b"r" + struct.pack("<I", 0xFFFFFF00 + level) + POP)
    bomb += b"j" + struct.pack("<I", 0xFFFFFF00 + 40)
    f["memo_bomb.pt"] = (
        torch_zip(PROTO2 + checkpoint_dict([("state_dict", state_dict([WEIGHT])), ("laughs", bomb)]) + STOP,
                  {"0": FOUR_FLOATS}),
        "a 40-level list that shares its child twice per level (2^40 leaves) at memo indices near 2^32",
        "limitExceeded(metadataValues)")
    cycle = EMPTY_LIST + b"q\x00" + b"h\x00" + APPEND  # a list that contains itself
    f["self_containing_list.pt"] = (
        torch_zip(PROTO2 + checkpoint_dict([("state_dict", state_dict([WEIGHT])), ("loop", cycle)]) + STOP,
                  {"0": FOUR_FLOATS}),
        "a list appended to itself (a reference cycle) beside the state dict", "limitExceeded(nestingDepth)")
    # One 4 MB key set again and again: each SETITEM hashes it; the pickle deflates to a few kilobytes.
    long_key = b"X" + struct.pack("<I", 4 << 20) + b"k" * (4 << 20)
    rehash = EMPTY_DICT + long_key + b"q\x00" + b"N" + SETITEM + (b"h\x00" + b"N" + SETITEM) * 100_000
    f["dict_key_rehash.pt"] = (
        torch_zip(PROTO2 + checkpoint_dict([("state_dict", state_dict([WEIGHT])), ("keys", rehash)]) + STOP,
                  {"0": FOUR_FLOATS}, compress_pickle=True),
        "a 4 MB dict key set 100,000 times (each set hashes it: 400 GB of hashing)", "limitExceeded(pickleKeyBytes)")
    # A tensor name of 100,000 nested "module." wrappers.
    nested = "module." * 100_000 + "weight"
    f["nested_prefixes.pt"] = (
        torch_zip(PROTO2 + state_dict([(nested, tensor("0", 4, [2, 2], [2, 1]))]) + STOP, {"0": FOUR_FLOATS},
                  compress_pickle=True),
        "one tensor named 'module.' x 100,000 + 'weight' (prefix stripping stops after 16 removals)", "none: reads")
    f["protocol0_inst.pt"] = (
        torch_zip(PROTO2 + MARK + b"ios\nsystem\n" + STOP, {}),
        "the text-protocol INST opcode, which calls a class", "pickleUnsupportedOpcode(0x69)")

    # ZIP containers.
    valid = torch_zip(PROTO2 + state_dict([WEIGHT]) + STOP, {"0": FOUR_FLOATS})
    f["truncated.pt"] = (valid[: len(valid) // 2], "a valid torch archive cut in half", "zipEndRecordMissing")
    body = npy("<f4", [1], b"\0\0\x80\x3f")
    crc = zlib.crc32(body)
    name = b"x.npy"
    local = local_header(name, 0, crc, len(body), len(body)) + body
    central = central_header(name, 0, crc, len(body), len(body), 0)
    zip64_end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 2 ** 32, 2 ** 32, len(central), len(local))
    locator = struct.pack("<IIQI", 0x07064B50, 0, len(local) + len(central), 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    f["zip64_2pow32_entries.npz"] = (local + central + zip64_end + locator + end,
                                     "a ZIP64 end record claiming 2^32 entries", "limitExceeded(zipEntries)")
    # A DEFLATE entry declaring 1,000 bytes whose stream inflates to 10 MB of zeros.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb_stream = compressor.compress(b"\0" * 10_000_000) + compressor.flush()
    f["deflate_bomb.npz"] = (handmade_zip([(b"w.npy", 8, 0, bomb_stream, 1000)]),
                             "a DEFLATE entry declaring 1,000 bytes that inflates to 10,000,000", "zipSizeMismatch")
    f["zip_encrypted.npz"] = (handmade_zip([(b"w.npy", 0, crc, body, len(body))], flags=1),
                              "an entry with the encryption flag set", "zipEncrypted")
    twice = local_header(b"a.npy", 0, crc, len(body), len(body)) + body
    central = (central_header(b"a.npy", 0, crc, len(body), len(body), 0)
               + central_header(b"b.npy", 0, crc, len(body), len(body), 0))
    f["zip_overlapping_entries.npz"] = (twice + central + end_record(2, len(central), len(twice)),
                                        "two directory entries sharing one local record", "zipOverlappingEntries")
    f["zip_crc_mismatch.npz"] = (handmade_zip([(b"w.npy", 0, crc ^ 1, body, len(body))]),
                                 "an entry whose recorded CRC-32 is off by one bit", "zipChecksumMismatch")
    f["zip_multidisk.npz"] = (local + central_header(name, 0, crc, len(body), len(body), 0)
                              + end_record(1, 46 + len(name), len(local), disk=1),
                              "an end record on disk 1 of a split archive", "zipMultiDisk")

    # NumPy.
    f["npy_header_import.npy"] = (
        npy(None, None, b"\0" * 8,
            header="{'descr': __import__('os').system('echo pwned'), 'fortran_order': False, 'shape': (1,), }"),
        "a header whose descr is Python code", "npyBadHeader")
    f["npy_short_data.npy"] = (npy("<f8", [1000, 1000], b"\0" * 16),
                               "shape (1000, 1000) of float64 with 16 data bytes", "dataSizeMismatch")

    # safetensors.
    header = (b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
              b'"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}')
    f["safetensors_overlap.safetensors"] = (struct.pack("<Q", len(header)) + header + b"\0" * 8,
                                            "two tensors over the same 8 bytes", "safetensorsBadOffsets")
    f["safetensors_huge_header.safetensors"] = (struct.pack("<Q", 2 ** 60) + b'{"a":{}}',
                                                "a header length of 2^60", "limitExceeded(safetensorsHeaderBytes)")
    return f


README_HEAD = """# Hostile checkpoint fixtures

Made by `tools/make_hostile_fixtures.py` (standard library only; rerun it to regenerate, the output is
deterministic). Each file attacks one check of the checkpoint readers in `Sources/Convert/Checkpoints`;
`Tests/ConvertTests/CheckpointHostileTests.swift` requires the error kind listed here. None of them is ever
executed: the pickles are interpreted, and calls outside the allow-list are refused.

| file | attack | expected error kind |
|---|---|---|
"""


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        os.remove(os.path.join(OUT, old))
    rows = []
    for name, (data, attack, expected) in sorted(fixtures().items()):
        with open(os.path.join(OUT, name), "wb") as out:
            out.write(data)
        rows.append(f"| `{name}` | {attack} | `{expected}` |")
        print(f"{name:40} {len(data):7} bytes  {expected}")
    with open(os.path.join(OUT, "README.md"), "w") as readme:
        readme.write(README_HEAD + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
