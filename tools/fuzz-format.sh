#!/usr/bin/env bash
# Coverage-guided fuzzing of the .kru reader with libFuzzer (Swift's -sanitize=fuzzer, plus AddressSanitizer).
# Usage: tools/fuzz-format.sh [seconds, default 300] [extra libFuzzer flags…]
# Seeds: spec/vectors (valid and invalid). New corpus entries go to fuzz-corpus/ (git-ignored);
# crashes to fuzz-artifacts/. Prints libFuzzer's final statistics; exits non-zero on a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
out=.build-fuzz
mkdir -p "$out" fuzz-corpus fuzz-artifacts
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name KRUFormatFuzz \
  -I Sources/CZlib -lz Sources/Format/*.swift fuzz/FormatFuzzer.swift -o "$out/format-fuzzer"
seeds=()
for d in spec/vectors/valid spec/vectors/invalid; do [ -d "$d" ] && seeds+=("$d"); done
"$out/format-fuzzer" fuzz-corpus "${seeds[@]}" -max_total_time="$seconds" -max_len=65536 \
  -dict=fuzz/kru.dict -rss_limit_mb=2048 -timeout=10 -artifact_prefix=fuzz-artifacts/ -print_final_stats=1 "$@"
