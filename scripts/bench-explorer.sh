#!/usr/bin/env bash
# Explorer page times on a small chain, then on the same chain after its block, transaction and explorer tables
# are grown to millions of rows, and the ratio of the two.
#
# A devnet (no providers, no gateway) makes a few hundred blocks with transfers; the page times are taken; the
# node is stopped and SQLite copies the stored rows: the head block's index row to BLOCKS heights (with running
# totals that keep growing), one of the transfers to TXS transactions, and an account's references to each of
# those. The copies lie above the chain's head, which stays as it was: the pages read them as they would read a
# long chain's rows (lists, paging, look-ups by hash and height, an account with a million transactions).
#
# CAIRN_BIN: the binary (default .build/release/cairn); BLOCKS (default 3000000), TXS (default 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
CAIRN_BIN="${CAIRN_BIN:-.build/release/cairn}"
BLOCKS="${BLOCKS:-3000000}"
TXS="${TXS:-1000000}"
command -v sqlite3 >/dev/null || { echo "bench-explorer: needs sqlite3 (bash scripts/setup.sh installs it)" >&2; exit 1; }
[ -x "$CAIRN_BIN" ] || { echo "bench-explorer: no binary at $CAIRN_BIN (swift build -c release -Xswiftc -target-cpu -Xswiftc native)" >&2; exit 1; }

dir=$(mktemp -d /tmp/cairn-bench-explorer.XXXXXX)
home="$dir/home"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
pid=""
cleanup() { [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT

# start BLOCK_TIME_MS [devnet options]
start() {
  local block_time=$1
  shift
  "$CAIRN_BIN" devnet --home "$home" "$@" --rpc-port "$port" --providers 0 --no-gateway --block-time "$block_time" >>"$dir/devnet.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    curl -sf "$url/v1/status" >/dev/null && return 0
    sleep 0.2
  done
  echo "bench-explorer: the devnet did not answer" >&2; tail -20 "$dir/devnet.log" >&2; exit 1
}
stop() { kill -INT "$pid"; wait "$pid" || true; pid=""; }

# The median of 15 fetches of a page, in milliseconds; fails unless it answers 200.
page_ms() {
  local path=$1 times=() code
  for _ in $(seq 1 15); do
    read -r code t < <(curl -sL -o /dev/null -w '%{http_code} %{time_total}\n' "$url$path")
    [ "$code" = 200 ] || { echo "bench-explorer: $path answered $code" >&2; exit 1; }
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] * 1000 }'
}

start 100 --reset
keys=$("$CAIRN_BIN" keys list --home "$home" --node "$url" --json)
address() {
  python3 -c 'import json, sys
d = json.loads(sys.argv[1]); d = d.get("keys", d) if isinstance(d, dict) else d
print([k["address"] for k in d if k["name"] == sys.argv[2]][0])' "$keys" "$1"
}
dev0=$(address dev0)
dev1=$(address dev1)
for i in $(seq 1 30); do
  "$CAIRN_BIN" tx send --home "$home" --node "$url" --from dev0 --to "$dev1" --amount "${i}ucairn" --json >"$dir/tx.json"
done
tx=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["txHash"])' "$dir/tx.json")
# A few hundred blocks in all.
while [ "$(curl -s "$url/v1/status" | python3 -c 'import json, sys; print(json.load(sys.stdin)["height"])')" -lt 300 ]; do sleep 1; done

paths=("/explorer" "/explorer/blocks" "/explorer/blocks?before=1000" "/explorer/txs" "/explorer/txs?before=100.0"
       "/explorer/txs/$tx" "/explorer/accounts/$dev0" "/explorer/accounts/$dev0?before=100.0" "/explorer/search?q=$tx")
declare -A small
for p in "${paths[@]}"; do small[$p]=$(page_ms "$p"); done
stop

db="$home/data/chain.sqlite"
[ -f "$db" ] || db=$(find "$home" -name chain.sqlite | head -1)
# The copies go above the last stored block and the last indexed one.
head_height=$(sqlite3 "$db" "SELECT MAX((SELECT MAX(height) FROM blocks), (SELECT MAX(height) FROM ex_blocks))")
last_indexed=$(sqlite3 "$db" "SELECT MAX(height) FROM ex_blocks")
echo "growing the tables of $db (chain height $head_height) to $BLOCKS indexed blocks and $TXS more transactions..."
grow_start=$(date +%s)
sqlite3 -bail "$db" <<SQL
PRAGMA synchronous = OFF;
BEGIN;
-- Index rows for heights above the head: the head's figures, running totals left as they are.
WITH RECURSIVE h(n) AS (SELECT $head_height + 1 UNION ALL SELECT n + 1 FROM h WHERE n < $BLOCKS)
INSERT INTO ex_blocks (height, stats) SELECT n, (SELECT stats FROM ex_blocks WHERE height = $last_indexed) FROM h;
-- One copy of a transfer in each of TXS blocks above the head, with its own hash.
WITH RECURSIVE h(n) AS (SELECT $head_height + 1 UNION ALL SELECT n + 1 FROM h WHERE n < $head_height + $TXS)
INSERT INTO txs (height, idx, hash, body, receipt)
SELECT n, 0, randomblob(32), t.body, t.receipt FROM h, (SELECT body, receipt FROM txs WHERE hash = x'$tx') t;
-- The references of the copied transfer (its sender, dev0, and its recipient), to each copy.
WITH RECURSIVE h(n) AS (SELECT $head_height + 1 UNION ALL SELECT n + 1 FROM h WHERE n < $head_height + $TXS)
INSERT INTO ex_refs (kind, key, height, idx)
SELECT r.kind, r.key, n, 0 FROM h, (SELECT kind, key FROM ex_refs WHERE (height, idx) = (SELECT height, idx FROM txs WHERE hash = x'$tx')) r;
COMMIT;
SQL
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
echo "grown in $(( $(date +%s) - grow_start ))s; database $(du -h "$db" | cut -f1)"
rows=$(sqlite3 "$db" "SELECT (SELECT COUNT(*) FROM ex_blocks) || ' indexed blocks, ' || (SELECT COUNT(*) FROM txs) || ' transactions, ' || (SELECT COUNT(*) FROM ex_refs) || ' references'")
mid=$(( head_height + TXS / 2 ))
midhash=$(sqlite3 "$db" "SELECT lower(hex(hash)) FROM txs WHERE height = $mid AND idx = 0")

# Blocks far apart, so none is committed above the head while the pages are timed.
start 3600000
echo
echo "cairn bench explorer: median of 15 fetches per page, ms (chain of $head_height blocks vs $rows)"
printf '%-48s %10s %10s %7s\n' page small large ratio
for p in "${paths[@]}"; do
  large=$(page_ms "$p")
  printf '%-48s %10s %10s %7.2f\n' "${p:0:48}" "${small[$p]}" "$large" "$(python3 -c "print($large / max(${small[$p]}, 0.01))")"
done
for p in "/explorer/blocks?before=$(( BLOCKS / 2 ))" "/explorer/txs/$midhash" "/explorer/accounts/$dev0?before=$mid.0"; do
  printf '%-48s %10s %10s\n' "${p:0:48}" "-" "$(page_ms "$p")"
done
stop
