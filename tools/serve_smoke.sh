#!/usr/bin/env bash
# CI's check of the kru-serve executable as an operator runs it: start it on a free loopback port, exercise every
# endpoint with curl, compare a seeded completion with `kru sample`, then send SIGTERM during a streaming request
# and check that the stream completes and the server exits with status 0. (The Swift tests, KRUServeTests, cover
# the behaviour in depth; this checks the built binary, its flags, signals and exit status.)
#
#   tools/serve_smoke.sh [KRU_SERVE] [KRU]     (defaults: .build/debug/kru-serve, .build/debug/kru)
set -euo pipefail
cd "$(dirname "$0")/.."
server=${1:-.build/debug/kru-serve}
kru=${2:-.build/debug/kru}
for binary in "$server" "$kru"; do
  [ -x "$binary" ] || { echo "serve_smoke: no $binary (build it first)" >&2; exit 1; }
done

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0
check() {  # description, then a command that must succeed
  local description=$1; shift
  if "$@" >/dev/null 2>"$work/check.err"; then
    passed=$((passed + 1)); echo "ok    $description"
  else
    failed=$((failed + 1)); echo "FAIL  $description: $(head -c 300 "$work/check.err")"
  fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
"$server" --models models --port "$port" --shutdown-grace 60 --max-tokens 20000 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do curl -sf "$url/health" >/dev/null && break; sleep 0.2; done

check "GET /health is ok" grep -q '"status":"ok"' <(curl -sf "$url/health")
check "GET /v1/models lists kjv-kru512 with its card's headline" \
  grep -q '"id":"kjv-kru512".*"headline":"[0-9.]* ± [0-9.]* bits/char"' <(curl -sf "$url/v1/models")

expected=$("$kru" sample models/kjv-kru512.kru --prime "And God said" --seed 1 --length 200 --no-echo)
actual=$(curl -sf "$url/v1/completions" -H 'Content-Type: application/json' \
  -d '{"model": "kjv-kru512", "prompt": "And God said", "max_tokens": 200, "seed": 1}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["choices"][0]["text"])')
check "a seeded completion is kru sample's text" test "$actual" = "$expected"

# The characters of an event stream, counted from its chunks; "incomplete" unless it ended with [DONE].
streamed_characters() {
  python3 -c '
import json, sys
events = [e[6:] for e in open(sys.argv[1]).read().split("\n\n") if e.startswith("data: ")]
if not events or events[-1] != "[DONE]":
    print("incomplete"); sys.exit()
chunks = [json.loads(e) for e in events[:-1]]
print(sum(len(c["text"]) for chunk in chunks for c in chunk.get("choices", [])))' "$1"
}
curl -sfN "$url/v1/completions" -d '{"model": "kjv-kru512", "prompt": "In", "max_tokens": 50, "stream": true}' \
  >"$work/stream.txt"
check "a streamed completion sends 50 characters, then [DONE]" test "$(streamed_characters "$work/stream.txt")" = 50

# echo with logprobs scores a list of prompts: the log-probabilities of a prompt's characters sum to kru score's
# mean NLL × characters predicted for the same text.
printf 'In the beginning God' >"$work/text.txt"
expected_nll=$("$kru" score models/kjv-kru512.kru "$work/text.txt" --json |
  python3 -c 'import json, sys; s = json.load(sys.stdin); print(s["mean_nll"] * s["tokens"])')
echoed_nll=$(curl -sf "$url/v1/completions" -d '{"model": "kjv-kru512", "prompt": ["In the beginning God", "And"],
  "echo": true, "logprobs": 1, "max_tokens": 0}' | python3 -c '
import json, sys
choice = json.load(sys.stdin)["choices"][0]
assert choice["text"] == "In the beginning God", choice["text"]
print(-sum(p for p in choice["logprobs"]["token_logprobs"] if p is not None))')
check "echo with logprobs scores a prompt as kru score does" python3 -c \
  "import sys; a, b = map(float, sys.argv[1:]); sys.exit(abs(a - b) > 1e-9 * b)" "$echoed_nll" "$expected_nll"

status=$(curl -s -o "$work/error.json" -w '%{http_code}' "$url/v1/completions" \
  -d '{"model": "kjv-kru512", "temperature": -1}')
check "a bad request gets 400 and a JSON error" test "$status" = 400
check "the error names the field" grep -q '"message":"temperature must be' "$work/error.json"
status=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/score" \
  -d '{"model": "kjv-kru512", "text": "In the beginning"}')
check "POST /v1/score answers" test "$status" = 200
check "GET /metrics counts the generated characters (200 + 50)" \
  grep -q '^kru_generated_tokens_total{model="kjv-kru512"} 250$' <(curl -sf "$url/metrics")

# SIGTERM while a stream runs: the stream completes, /health turns to "draining", the process exits 0. The stream
# must outlast the checks: kjv-lstm512 is the slowest model (10,000 characters take seconds even on an idle machine).
curl -sN "$url/v1/completions" \
  -d '{"model": "kjv-lstm512", "prompt": "And", "max_tokens": 10000, "stream": true}' \
  >"$work/draining.txt" &
stream_pid=$!
for _ in $(seq 1 100); do grep -q 'data: ' "$work/draining.txt" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$server_pid"
sleep 0.2
check "/health says draining after SIGTERM" grep -q '"status":"draining"' <(curl -s "$url/health")
wait "$stream_pid" || true
check "the stream running at SIGTERM completed" test "$(streamed_characters "$work/draining.txt")" = 10000
exit_status=0
wait "$server_pid" || exit_status=$?
server_pid=""
check "kru-serve exited with status 0 after draining" test "$exit_status" -eq 0

echo "serve_smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "--- server log"; tail -20 "$work/server.log"; exit 1; }
