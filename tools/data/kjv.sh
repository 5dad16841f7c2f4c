#!/usr/bin/env bash
# The King James Bible as plain text, from Debian's bible-kjv packages (text public domain; program GPL-2+).
# Usage: tools/data/kjv.sh [OUT_DIR, default data/kjv]
# Writes OUT_DIR/kjv.txt (4,137,850 bytes, 63 symbols) and the 90/5/5 contiguous split train.txt, valid.txt,
# test.txt (cut at line boundaries). Verifies the sha256 of the decoded text; downloads nothing else.
set -euo pipefail
out=${1:-data/kjv}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download bible-kjv=4.38 bible-kjv-text=4.38 >/dev/null 2>&1) || {
  echo "kjv.sh: apt-get download failed (run 'apt-get update' first?)" >&2; exit 1; }
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
"$work/x/usr/bin/bible" -p "$work/x/usr/lib" -f Gen1:1-Rev22:21 > "$work/kjv_refs.txt"
sed 's/^[^ ]* //' "$work/kjv_refs.txt" > "$out/kjv.txt"
echo "b5c4940bcfeee072c0935b5200d0f9d88a00a0199cb0961d16133458fcdfae5d  $out/kjv.txt" | sha256sum -c --quiet -
python3 - "$out" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
lines = (out / "kjv.txt").read_text().splitlines(keepends=True)
total = sum(map(len, lines))
parts, acc, bounds = [[], [], []], 0, (0.90 * total, 0.95 * total)
for line in lines:
    parts[0 if acc < bounds[0] else 1 if acc < bounds[1] else 2].append(line)
    acc += len(line)
for name, part in zip(["train", "valid", "test"], parts):
    (out / f"{name}.txt").write_text("".join(part))
    print(f"{name}.txt: {sum(map(len, part))} bytes")
PY
