#!/usr/bin/env bash
# Coverage-guided fuzzing of the readers with libFuzzer (Swift's -sanitize=fuzzer, plus AddressSanitizer):
#   format     — the .kru reader (fuzz/FormatFuzzer.swift), seeded from spec/vectors;
#   checkpoint — Checkpoint.read: torch zip and legacy pickles, npy/npz, safetensors (fuzz/CheckpointFuzzer.swift),
#                seeded from Tests/Fixtures/{torch,scripts,hostile,memory}.
# Usage: tools/fuzz-format.sh [seconds per target, default 300] [format|checkpoint|all, default all] [libFuzzer flags…]
# New corpus entries go to fuzz-corpus/<target>/ (git-ignored); crashes to fuzz-artifacts/. Prints libFuzzer's final
# statistics; exits non-zero on a crash, a leak, a timeout or an allocation over -malloc_limit_mb (docs/MEMORY.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
which=${2:-all}
shift $(( $# > 2 ? 2 : $# )) || true
out=.build-fuzz
flags=(-O -sanitize=fuzzer,address -parse-as-library)
mkdir -p "$out" fuzz-artifacts

build_format() {
  swiftc "${flags[@]}" -module-name KRUFormatFuzz -I Sources/CZlib -lz Sources/Format/*.swift fuzz/FormatFuzzer.swift \
    -o "$out/format-fuzzer"
}

build_checkpoint() {
  # KRUFormat as a module of its own (the checkpoint readers import it), then the readers with the entry point.
  mkdir -p "$out/modules"
  swiftc "${flags[@]}" -module-name KRUFormat -I Sources/CZlib -emit-module \
    -emit-module-path "$out/modules/KRUFormat.swiftmodule" \
    -emit-library -static Sources/Format/*.swift -o "$out/modules/libKRUFormat.a"
  find Sources/Convert/Checkpoints -name '*.swift' -print0 | xargs -0 \
    swiftc "${flags[@]}" -module-name KRUCheckpointFuzz -I "$out/modules" -I Sources/CZlib -L "$out/modules" \
      -lKRUFormat -lz \
      fuzz/CheckpointFuzzer.swift -o "$out/checkpoint-fuzzer"
}

run() {  # run TARGET SEED-FOLDERS… -- EXTRA-FLAGS…
  local target=$1; shift
  local seeds=()
  while [ "$1" != "--" ]; do [ -d "$1" ] && seeds+=("$1"); shift; done
  shift
  mkdir -p "fuzz-corpus/$target"
  "$out/$target-fuzzer" "fuzz-corpus/$target" "${seeds[@]}" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -artifact_prefix="fuzz-artifacts/$target-" -print_final_stats=1 "$@"
}

if [ "$which" = format ] || [ "$which" = all ]; then
  build_format
  run format spec/vectors/valid spec/vectors/invalid -- -max_len=65536 -dict=fuzz/kru.dict "$@"
fi
if [ "$which" = checkpoint ] || [ "$which" = all ]; then
  build_checkpoint
  # An input of at most 256 KiB may hold up to 264 MB of real DEFLATE output (1032:1), the largest legitimate
  # allocation; anything larger breaks the memory bound and is reported as a crash.
  run checkpoint Tests/Fixtures/torch Tests/Fixtures/scripts Tests/Fixtures/hostile Tests/Fixtures/memory -- \
    -max_len=262144 -malloc_limit_mb=300 -dict=fuzz/checkpoint.dict "$@"
fi
