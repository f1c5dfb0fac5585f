#!/usr/bin/env bash
# Federated training measured against Flower in one run: `cairn train demo` on a fresh devnet (one participant per
# VADER domain, secure aggregation on the ledger), then Flower's FedAvg (scripts/reference/flower_baseline.py, a
# server and four client processes over gRPC on 127.0.0.1) training the same linear head on the same MiniLM
# embeddings with the same rounds, learning rate, local epochs and batch size; then the demo again at each ε in
# EPSILONS (DP-SGD, δ = 1e-5) and once with a participant dropping out of a round; then Cairn and Flower again on the
# BBC News articles (five topics). Prints each JSON object and a comparison.
#
#   scripts/bench-training.sh [CAIRN_BINARY]
#
# CAIRN_BINARY (or $CAIRN_BIN; default .build/release/cairn): a release build,
#   swift build -c release -Xswiftc -target-cpu -Xswiftc native
# ROUNDS (default 10), EPSILONS (default "8 4 2 1"), BLOCK_TIME ms (default 100).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export SWIFT_DETERMINISTIC_HASHING=1
CAIRN=${1:-${CAIRN_BIN:-$ROOT/.build/release/cairn}}
ROUNDS=${ROUNDS:-10}
EPSILONS=${EPSILONS:-8 4 2 1}
BLOCK_TIME=${BLOCK_TIME:-100}
[ -x "$CAIRN" ] || { echo "bench-training: no cairn binary at $CAIRN (swift build -c release -Xswiftc -target-cpu -Xswiftc native)" >&2; exit 1; }
bash scripts/setup.sh
bash scripts/fetch-training-data.sh
source scripts/lib/flower-venv.sh
flower_venv >&2

out=$(mktemp -d /tmp/cairn-bench-training.XXXXXX)
trap 'rm -rf "$out"' EXIT
common=(--participants 4 --rounds "$ROUNDS" --learning-rate 0.5 --local-epochs 1 --batch-size 32 --block-time "$BLOCK_TIME" --json)

"$CAIRN" train demo "${common[@]}" --export-embeddings "$out/embeddings.jsonl" > "$out/cairn.json"
"$FLOWER_PYTHON" scripts/reference/flower_baseline.py --embeddings "$out/embeddings.jsonl" --rounds "$ROUNDS" --local-epochs 1 \
  --lr 0.5 --batch-size 32 --seed 1 > "$out/flower.json"
echo "cairn:  $(cat "$out/cairn.json")"
echo "flower: $(cat "$out/flower.json")"
python3 scripts/reference/training_summary.py compare "$out/cairn.json" "$out/flower.json"

for e in $EPSILONS; do
  "$CAIRN" train demo "${common[@]}" --epsilon "$e" > "$out/dp-$e.json"
  python3 scripts/reference/training_summary.py dp "$out/dp-$e.json"
done

"$CAIRN" train demo "${common[@]}" --dropout-round 2 > "$out/dropout.json"
python3 scripts/reference/training_summary.py dropout "$out/dropout.json"

# The BBC News articles (five topics; each owner holds mostly one or two, scripts/reference/bbc_dataset.py), against
# Flower on the same embeddings.
echo "== BBC News =="
bbc="${CAIRN_DATA:-$ROOT/.data}/bbc/bbc.jsonl"
"$CAIRN" train demo "${common[@]}" --data "$bbc" --export-embeddings "$out/bbc-embeddings.jsonl" > "$out/bbc.json"
"$FLOWER_PYTHON" scripts/reference/flower_baseline.py --embeddings "$out/bbc-embeddings.jsonl" --rounds "$ROUNDS" --local-epochs 1 \
  --lr 0.5 --batch-size 32 --seed 1 > "$out/bbc-flower.json"
echo "cairn:  $(cat "$out/bbc.json")"
echo "flower: $(cat "$out/bbc-flower.json")"
python3 scripts/reference/training_summary.py compare "$out/bbc.json" "$out/bbc-flower.json"
