#!/usr/bin/env python3
"""Fails (exit 1) when a tracked source line is longer than 120 characters, the project's limit (DESIGN.md).

Counts characters, not bytes (`→`, `⊗` and `×` are one column each). Covers the Swift, C, Python and shell sources
git tracks; prose, data and generated model cards are not code and are not checked. Run from anywhere:
`python3 tools/check_line_length.py`.
"""
import pathlib
import subprocess
import sys

LIMIT = 120
SOURCE_SUFFIXES = {".swift", ".c", ".h", ".py", ".sh"}
EXTENSIONLESS_SCRIPTS = {"scripts", ".ci"}      # scripts/setup, scripts/test, .ci/run have no suffix

root = pathlib.Path(__file__).resolve().parent.parent
tracked = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
too_long = []
for name in filter(None, tracked.decode().split("\0")):
    path = root / name
    if path.suffix not in SOURCE_SUFFIXES and path.parts[len(root.parts)] not in EXTENSIONLESS_SCRIPTS:
        continue
    if not path.is_file():
        continue
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if len(line) > LIMIT:
            too_long.append(f"{name}:{number}: {len(line)} characters")
for entry in too_long:
    print(entry)
if too_long:
    sys.exit(f"{len(too_long)} line(s) over {LIMIT} characters")
print(f"every tracked source line is at most {LIMIT} characters")
