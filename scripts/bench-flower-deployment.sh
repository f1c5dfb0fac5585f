#!/usr/bin/env bash
# Flower's own secure aggregation on Cairn's training task: the federated sentiment head of scripts/bench-training.sh
# (VADER, four data owners, one per domain, 10 rounds, lr 0.5, one local epoch, batches of 32, on the same MiniLM
# embeddings) trained by a Flower App through Flower's deployment engine (a SuperLink, four SuperNodes and
# `flwr run`, every part its own process on loopback), once with FedAvg and once with SecAgg+ (Flower's
# implementation of the protocol Cairn's chain runs). Prints one JSON object per run: seconds per round (the
# ServerApp's clock) and accuracy.
#
#   scripts/bench-flower-deployment.sh [CAIRN_BINARY]
#
# CAIRN_BINARY (or $CAIRN_BIN; default .build/release/cairn) exports the embeddings (`cairn train demo --rounds 1
# --export-embeddings`). flwr 1.42.0 comes from scripts/lib/flower-venv.sh. Rounds: $ROUNDS (default 10).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export SWIFT_DETERMINISTIC_HASHING=1 FLWR_TELEMETRY_ENABLED=0
CAIRN=${1:-${CAIRN_BIN:-$ROOT/.build/release/cairn}}
ROUNDS=${ROUNDS:-10}
[ -x "$CAIRN" ] || { echo "bench-flower-deployment: no cairn binary at $CAIRN" >&2; exit 1; }
bash scripts/fetch-training-data.sh
source scripts/lib/flower-venv.sh
flower_venv >&2
BIN=$(dirname "$FLOWER_PYTHON")
# The SuperLink and SuperNodes start helpers of their own (flower-superexec, flwr-serverapp, flwr-clientapp) by name.
export PATH="$BIN:$PATH"

work=$(mktemp -d /tmp/cairn-bench-flower.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [ -n "${BENCH_KEEP:-}" ] && echo "bench-flower-deployment: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

"$CAIRN" train demo --participants 4 --rounds 1 --block-time 50 --json --export-embeddings "$work/embeddings.jsonl" > /dev/null
mkdir -p "$work/data" "$work/home"
"$FLOWER_PYTHON" scripts/reference/flower_deployment_data.py prepare "$work/embeddings.jsonl" "$work/data" --lr 0.5 --batch-size 32 >&2
link=$(free_port)
for variant in secagg plain; do
  cp -r scripts/reference/flower_deployment "$work/app-$variant"
  sed -i "s|SUPERLINK_ADDRESS|127.0.0.1:$link|; s|DATA_DIR|$work/data|; s|CLIENT_APP|${variant}_app|" "$work/app-$variant/pyproject.toml"
done

# Flower keeps its state and the SuperLinks it knows under $HOME/.flwr: a folder of this run's own, naming only ours.
export HOME="$work/home"
mkdir -p "$HOME/.flwr"
printf '[superlink]\ndefault = "local"\n\n[superlink.local]\naddress = "127.0.0.1:%s"\ninsecure = true\n' "$link" > "$HOME/.flwr/config.toml"
# Nothing is installed at run time (the App's dependencies are the virtualenv's): no traffic leaves loopback.
"$BIN/flower-superlink" --insecure --host 127.0.0.1 --port "$link" --disable-runtime-dependency-installation > "$work/superlink.log" 2>&1 &
pids+=($!)
disown
for i in 0 1 2 3; do
  "$BIN/flower-supernode" --insecure --superlink "127.0.0.1:$link" --port "$(free_port)" --node-config "partition-id=$i" \
    > "$work/supernode-$i.log" 2>&1 &
  pids+=($!)
  disown
done
sleep 10
for secagg in false true; do
  rm -f "$work/data/rounds.json" "$work/data/final.npy"
  app="$work/app-$([ "$secagg" = true ] && echo secagg || echo plain)"
  timeout 1200 "$BIN/flwr" run "$app" local --stream --run-config "secagg=$secagg num-server-rounds=$ROUNDS" \
    > "$work/run-$secagg.log" 2>&1 || { tail -n 30 "$work/run-$secagg.log" "$work/superlink.log" >&2; exit 1; }
  label=$([ "$secagg" = true ] && echo "flower-secagg+" || echo "flower-fedavg-deployment")
  "$FLOWER_PYTHON" scripts/reference/flower_deployment_data.py summary "$work/data" --label "$label"
done
