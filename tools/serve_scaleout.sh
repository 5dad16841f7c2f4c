#!/usr/bin/env bash
# Scale-out on loopback: two kru-serve replicas behind nginx (Debian's package), showing that requests spread over
# both, that a replica's death is absorbed (nginx retries the other), and that a replica shutting down (SIGTERM)
# loses no request (it answers 503 while draining; nginx retries those too).
#
#   tools/serve_scaleout.sh [KRU_SERVE_BINARY] [MODELS_DIR]      (defaults: .build/release/kru-serve, models)
#
# Everything listens on 127.0.0.1 only; every loop is bounded; all processes are stopped at the end.
# Needs nginx and curl (apt-get install -y nginx curl).
set -euo pipefail
cd "$(dirname "$0")/.."
server=${1:-.build/release/kru-serve}
models=${2:-models}
model=kjv-kru512
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "needs nginx: apt-get install -y nginx" >&2; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$server" ] || { echo "no $server: swift build -c release --product kru-serve" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill -QUIT "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_healthy() {  # port
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.1; done
  echo "replica on port $1 did not start" >&2; exit 1
}
start_replica() {  # port -> pid in $replica_pid
  "$server" --models "$models" --port "$1" --max-tokens 100000 --shutdown-grace 30 >"$work/replica-$1.log" 2>&1 &
  replica_pid=$!
  pids+=("$replica_pid")
}

port_a=$(free_port); port_b=$(free_port); port_lb=$(free_port)
start_replica "$port_a"; pid_a=$replica_pid
start_replica "$port_b"; pid_b=$replica_pid
wait_healthy "$port_a"; wait_healthy "$port_b"

cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  upstream kru {
    server 127.0.0.1:$port_a max_fails=1 fail_timeout=10s;
    server 127.0.0.1:$port_b max_fails=1 fail_timeout=10s;
    keepalive 16;
  }
  server {
    listen 127.0.0.1:$port_lb;
    location / {
      proxy_pass http://kru;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;                     # server-sent events pass through as they are made
      proxy_read_timeout 120s;
      # A completion has no side effect, so a POST may be retried on the other replica: after a failed
      # connection (a dead replica) and after a 503 (a full or draining replica).
      proxy_next_upstream error timeout http_503 non_idempotent;
      proxy_next_upstream_tries 2;
      add_header X-Upstream \$upstream_addr always;
    }
  }
}
EOF
"$nginx" -c "$work/nginx.conf" -p "$work" &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port_lb/health" >/dev/null && break; sleep 0.1; done

# Sends N completions through nginx; prints how many each replica answered and any non-200 status.
phase() {  # name count
  local name=$1 count=$2 ok=0 a=0 b=0 retried=0 other=""
  for i in $(seq 1 "$count"); do
    headers=$(curl -s -o /dev/null -D - -X POST "http://127.0.0.1:$port_lb/v1/completions" \
      -H 'Content-Type: application/json' \
      -d "{\"model\": \"$model\", \"prompt\": \"And God said\", \"max_tokens\": 50, \"seed\": $i}" | tr -d '\r' || true)
    # (No `| head` or `grep -q` on pipes here: with pipefail, their early exit is a SIGPIPE failure.)
    read -r _ status _ <<<"$headers" || true
    status=${status:-none}  # curl got no response at all
    upstream=$(sed -n 's/^X-Upstream: //Ip' <<<"$headers")
    if [ "$status" = 200 ]; then ok=$((ok + 1)); else other="$other $status"; fi
    # With a retry nginx lists both addresses ("A, B"); the last one answered.
    case "$upstream" in *,*) retried=$((retried + 1)) ;; esac
    case "${upstream##* }" in
      "127.0.0.1:$port_a") a=$((a + 1)) ;;
      "127.0.0.1:$port_b") b=$((b + 1)) ;;
    esac
  done
  printf '%-38s %3d requests: %3d × 200 (replica A %2d, replica B %2d; %2d retried by nginx)%s\n' "$name" \
    "$count" "$ok" "$a" "$b" "$retried" "${other:+, other statuses:$other}"
}

echo "replica A 127.0.0.1:$port_a, replica B 127.0.0.1:$port_b, nginx 127.0.0.1:$port_lb, model $model"
phase "1. both replicas up" 40
kill -KILL "$pid_a"; wait "$pid_a" 2>/dev/null || true
phase "2. replica A killed (SIGKILL)" 40
start_replica "$port_a"; pid_a=$replica_pid; wait_healthy "$port_a"
sleep 10  # nginx's fail_timeout: A is tried again after it
phase "3. replica A restarted" 40
# A long streaming request on B, then SIGTERM to B: the stream completes, new requests move to A.
curl -sN -X POST "http://127.0.0.1:$port_b/v1/completions" -H 'Content-Type: application/json' \
  -d "{\"model\": \"$model\", \"prompt\": \"And\", \"max_tokens\": 60000, \"stream\": true, \"seed\": 3}" \
  >"$work/draining-stream.txt" &
stream_pid=$!
sleep 0.3
kill -TERM "$pid_b"
phase "4. replica B draining after SIGTERM" 40
wait "$stream_pid" || true
if [[ "$(tail -c 20 "$work/draining-stream.txt")" == *"[DONE]"* ]]; then
  characters=$(python3 -c '
import json, sys
events = [e[6:] for e in open(sys.argv[1]).read().split("\n\n") if e.startswith("data: {")]
print(sum(len(c["text"]) for e in events for c in json.loads(e)["choices"]))' "$work/draining-stream.txt")
  echo "   the stream running on B when it got SIGTERM completed: $characters characters, then [DONE]"
else
  echo "   the stream running on B when it got SIGTERM did NOT complete" >&2; exit 1
fi
wait "$pid_b" && echo "   replica B exited with status 0 after draining" || echo "   replica B exited with status $?"
