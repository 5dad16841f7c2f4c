"""`python3 -m kru.format FILE` prints the file's §7 JSON document; `--check` prints "ok". On a bad file it
prints `error: <code> at byte <offset>: <message>` to standard error and exits 1 (2 when the file cannot be
read at all)."""

from __future__ import annotations

import argparse
import json
import sys

from .document import to_json
from .errors import KruFormatError
from .reader import full_check
from .spec import DEFAULT_MAX_TENSOR_BYTES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m kru.format",
                                     description="Check a .kru file and print its content as JSON (spec §7).")
    parser.add_argument("file")
    parser.add_argument("--check", action="store_true", help='only check the whole file; print "ok"')
    parser.add_argument("--max-tensor-bytes", type=int, default=DEFAULT_MAX_TENSOR_BYTES,
                        help="this reader's limit on one tensor's raw bytes (default: 4 GiB)")
    args = parser.parse_args(argv)
    try:
        with full_check(args.file, max_tensor_bytes=args.max_tensor_bytes) as f:
            if args.check:
                print("ok")
            else:
                json.dump(to_json(f), sys.stdout, ensure_ascii=False, allow_nan=False)
                sys.stdout.write("\n")
    except KruFormatError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
