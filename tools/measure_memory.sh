#!/usr/bin/env bash
# Peak memory, wall time and exit status of `kru` on each file made by tools/make_memory_fixtures.py, measured with
# /usr/bin/time -v (Debian package `time`): .kru files with `kru inspect FILE`, the others with
# `kru convert FILE --list`. docs/MEMORY.md's before/after table was made with it.
# Usage: tools/measure_memory.sh KRU DIR        e.g. tools/measure_memory.sh .build/release/kru /tmp/memlarge
# Each run is limited to 12 GB of address space, so that a reader that trusts a declared size fails instead of
# taking the machine's memory.
set -euo pipefail
kru=$1
dir=$2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for path in "$dir"/*; do
  case $path in
    *.kru) args=(inspect "$path") ;;
    *.pt|*.npz|*.npy|*.safetensors|*.ckpt) args=(convert "$path" --list) ;;
    *) continue ;;
  esac
  ( ulimit -v 12000000; /usr/bin/time -v "$kru" "${args[@]}" ) > /dev/null 2> "$log" || true
  rss=$(awk '/Maximum resident/ {print $6}' "$log")
  wall=$(awk '/Elapsed \(wall/ {print $8}' "$log")
  status=$(awk '/Exit status/ {print $3}' "$log")
  message=$(grep -v -e '^\s' -e '^Command' "$log" | head -1 | cut -c1-100)
  printf '%-28s %10s KB  %8s  status %-3s %s\n' "$(basename "$path")" "$rss" "$wall" "$status" "$message"
done
