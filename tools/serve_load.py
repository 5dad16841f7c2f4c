#!/usr/bin/env python3
"""Load test for kru-serve: concurrent streaming completions on loopback, bounded in time and requests.

For each concurrency level, that many clients each send streaming completion requests back to back for
--duration seconds (or until --max-requests in all), and the script reports requests/s, generated characters/s,
and p50/p99 of the whole request's latency and of the time to the first generated character (TTFT).

    python3 tools/serve_load.py --server .build/release/kru-serve --models models \\
        --model kjv-kru512 --concurrency 1 8 64 --duration 20

starts the server itself (on a free loopback port, stopped with SIGTERM at the end) and prints a Markdown table;
--url http://127.0.0.1:8080 uses a running server instead. Only loopback addresses are accepted. Each request
opens a connection of its own unless --keep-alive is given, when each client sends its requests one after the
other on one connection, as HTTP client libraries do.

The client is one thread with non-blocking sockets (no third-party packages). It does not parse the events: it
notes the first one with text (the time to first token) and reads the character count from the usage chunk that
`stream_options.include_usage` adds at the end, so its own cost stays small beside the server's; its CPU time is
reported, since client and server share the machine.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Stream:
    """One streaming request, driven by the selector loop: on a new connection, or with keep-alive on the one the
    client's previous request used (`sock`)."""

    def __init__(self, host, port, body, keep_alive=False, sock=None):
        if sock is None:
            sock = socket.create_connection((host, port))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
        self.sock = sock
        connection = "keep-alive" if keep_alive else "close"
        request = (f"POST /v1/completions HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: {connection}\r\n\r\n").encode() + body
        self.pending = request
        self.start = time.perf_counter()
        self.first = None
        self.tokens = 0
        self.status = None
        self.buffer = b""
        self.done = False
        self.error = None

    def on_writable(self):
        sent = self.sock.send(self.pending)
        self.pending = self.pending[sent:]

    def on_readable(self):
        data = self.sock.recv(1 << 16)
        if not data:
            self.done = True
            if self.error is None and not self.buffer.endswith(b"0\r\n\r\n"):
                self.error = "connection closed early"
            return
        if self.status is None:
            self.buffer += data
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            self.status = int(head.split(b" ", 2)[1])
            if self.status != 200:
                # An error answer is not streamed; the request is over (and its connection is not reused, so a
                # kept-alive one cannot leave this client waiting for a close that does not come).
                self.error = f"HTTP {self.status}: {rest[:200]!r}"
                self.done = True
                return
            self.buffer = b""
            data = rest
        # The first chunk with text carries "finish_reason":null; the usage chunk at the end (stream_options
        # include_usage) gives the characters generated. A short tail is kept so that markers split across
        # reads are still found.
        window = self.buffer + data
        if self.first is None and b'"finish_reason":null' in window:
            self.first = time.perf_counter()
        if b'"error"' in data and self.error is None:
            self.error = data[data.find(b'"error"'):][:200].decode(errors="replace")
        usage = window.rfind(b'"completion_tokens":')
        if usage >= 0:
            digits = window[usage + 20:].split(b",", 1)[0]
            if digits.isdigit() and b"," in window[usage + 20:]:
                self.tokens = int(digits)
        self.buffer = window[-64:]
        if self.buffer.endswith(b"\r\n0\r\n\r\n"):  # the chunked body's last chunk: the response is complete
            self.done = True

    def close(self):
        self.sock.close()


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_level(host, port, body, concurrency, duration, max_requests, keep_alive=False):
    selector = selectors.DefaultSelector()
    finished, errors = [], []
    started = 0
    begin = time.perf_counter()
    cpu_begin = time.process_time()

    def launch(sock=None):
        nonlocal started
        stream = Stream(host, port, body, keep_alive, sock)
        started += 1
        selector.register(stream.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, stream)

    for _ in range(min(concurrency, max_requests)):
        launch()
    while selector.get_map():
        for key, events in selector.select(timeout=1.0):
            stream = key.data
            try:
                if events & selectors.EVENT_WRITE and stream.pending:
                    stream.on_writable()
                    if not stream.pending:
                        selector.modify(stream.sock, selectors.EVENT_READ, stream)
                if events & selectors.EVENT_READ:
                    stream.on_readable()
            except OSError as error:
                stream.error, stream.done = str(error), True
            if stream.done:
                selector.unregister(stream.sock)
                end = time.perf_counter()
                (errors if stream.error else finished).append((stream, end))
                more = time.perf_counter() - begin < duration and started < max_requests
                # A complete response leaves a kept-alive connection ready for the client's next request.
                if more and keep_alive and not stream.error and stream.status == 200:
                    launch(stream.sock)
                    continue
                stream.close()
                if more:
                    launch()
        if time.perf_counter() - begin > duration + 120:
            raise SystemExit("load test overran its time bound by 120 s; stopping")
    elapsed = time.perf_counter() - begin
    latencies = [end - s.start for s, end in finished]
    ttfts = [s.first - s.start for s, _ in finished if s.first is not None]
    tokens = sum(s.tokens for s, _ in finished)
    return {
        "concurrency": concurrency, "requests": len(finished), "errors": len(errors),
        "first_error": errors[0][0].error if errors else None, "seconds": elapsed,
        "requests_per_second": len(finished) / elapsed, "tokens_per_second": tokens / elapsed,
        "tokens": tokens, "latency_p50_ms": 1e3 * percentile(latencies, 0.5),
        "latency_p99_ms": 1e3 * percentile(latencies, 0.99), "ttft_p50_ms": 1e3 * percentile(ttfts, 0.5),
        "ttft_p99_ms": 1e3 * percentile(ttfts, 0.99), "client_cpu_seconds": time.process_time() - cpu_begin,
    }


def model_metrics(url, model):
    """The server's step counters for `model` from /metrics: step time, steps, sequences stepped."""
    wanted = {"kru_step_duration_seconds_sum": "step_seconds", "kru_step_duration_seconds_count": "steps",
              "kru_batch_size_sum": "sequence_steps"}
    values = {}
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            name, _, rest = line.partition("{")
            if name in wanted and rest.startswith(f'model="{model}"}}'):
                values[wanted[name]] = float(rest.rsplit(" ", 1)[1])
    return values


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not become healthy within {seconds} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (loopback only)")
    parser.add_argument("--server", help="kru-serve executable to start (with --models)")
    parser.add_argument("--models", default="models")
    parser.add_argument("--server-arg", action="append", default=[], help="extra kru-serve argument (repeatable)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt", default="And God said")
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--duration", type=float, default=20, help="seconds per level (at most 600)")
    parser.add_argument("--max-requests", type=int, default=100000, help="requests per level, at most")
    parser.add_argument("--keep-alive", action="store_true",
                        help="each client sends its requests on one connection (default: a connection per request)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per level")
    args = parser.parse_args()
    if not 0 < args.duration <= 600:
        raise SystemExit("--duration must be in (0, 600]")
    if any(c < 1 or c > 1024 for c in args.concurrency):
        raise SystemExit("--concurrency values must be in 1 … 1024")

    process = None
    if args.server:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen([args.server, "--models", args.models, "--port", str(port), *args.server_arg],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif args.url:
        url = args.url.rstrip("/")
    else:
        raise SystemExit("give --url or --server")
    parsed = urllib.parse.urlparse(url)
    if parsed.hostname not in LOOPBACK:
        raise SystemExit("the load test only targets loopback addresses")
    try:
        wait_healthy(url)
        body = json.dumps({"model": args.model, "prompt": args.prompt, "max_tokens": args.max_tokens,
                           "temperature": args.temperature, "stream": True,
                           "stream_options": {"include_usage": True}}).encode()
        rows = []
        for concurrency in args.concurrency:
            before = model_metrics(url, args.model)
            row = run_level(parsed.hostname, parsed.port, body, concurrency, args.duration, args.max_requests,
                            args.keep_alive)
            after = model_metrics(url, args.model)
            delta = {key: after.get(key, 0) - before.get(key, 0) for key in after}
            steps = max(delta.get("steps", 0), 1)
            row["mean_batch"] = delta.get("sequence_steps", 0) / steps
            row["step_us"] = 1e6 * delta.get("step_seconds", 0) / steps
            row["step_us_per_sequence"] = 1e6 * delta.get("step_seconds", 0) / max(delta.get("sequence_steps", 0), 1)
            row["model"] = args.model
            rows.append(row)
            if args.json:
                print(json.dumps(row), flush=True)
        if not args.json:
            load = os.getloadavg()
            connections = "one connection per client" if args.keep_alive else "a connection per request"
            print(f"model {args.model}, prompt {args.prompt!r} ({len(args.prompt)} chars), max_tokens "
                  f"{args.max_tokens}, {connections}, {args.duration:g} s per level; load average before the last "
                  f"level {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
            print("| clients | requests | errors | requests/s | chars/s | latency p50 / p99 (ms) | "
                  "TTFT p50 / p99 (ms) | mean batch | step (µs) | step per sequence (µs) | client CPU (s) |")
            print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for r in rows:
                print(f"| {r['concurrency']} | {r['requests']} | {r['errors']} | {r['requests_per_second']:.1f} | "
                      f"{r['tokens_per_second']:.0f} | {r['latency_p50_ms']:.0f} / {r['latency_p99_ms']:.0f} | "
                      f"{r['ttft_p50_ms']:.1f} / {r['ttft_p99_ms']:.1f} | {r['mean_batch']:.1f} | "
                      f"{r['step_us']:.0f} | {r['step_us_per_sequence']:.1f} | {r['client_cpu_seconds']:.1f} |")
            base = rows[0]["tokens_per_second"]
            for r in rows[1:]:
                print(f"{r['concurrency']} clients / 1 client aggregate chars/s: {r['tokens_per_second'] / base:.2f}x")
            for r in rows:
                if r["first_error"]:
                    print(f"first error at {r['concurrency']} clients: {r['first_error']}", file=sys.stderr)
    finally:
        if process:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
