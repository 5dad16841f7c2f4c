#!/usr/bin/env bash
# Prepares every data set under data/ (gitignored: nothing there is ever committed). The Python scripts are
# idempotent (they do nothing when data/<name>/SHA256SUMS verifies) and fail loudly on any checksum mismatch.
# Usage: tools/data/all.sh   (from anywhere; needs `apt-get download` and `pip download`, see docs/DATA.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== kjv"
# kjv.sh always rebuilds, so skip it when its pinned text is already there with the split beside it.
if [ -f data/kjv/train.txt ] && [ -f data/kjv/valid.txt ] && [ -f data/kjv/test.txt ] &&
   echo "b5c4940bcfeee072c0935b5200d0f9d88a00a0199cb0961d16133458fcdfae5d  data/kjv/kjv.txt" |
     sha256sum -c --quiet - 2>/dev/null; then
  echo "  data/kjv: kjv.txt verified; nothing to do"
else
  tools/data/kjv.sh data/kjv
fi
for name in austen digits mnist5k fashion_mnist chorales; do
  echo "== $name"
  python3 "tools/data/$name.py"
done
