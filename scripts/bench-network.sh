#!/usr/bin/env bash
# Network figures of a real Cairn network across Linux network namespaces (root only; see scripts/netns/README.md):
# commit latency p50/p99 with no added delay and with 50 ms one-way delay, % heights decided in round 0,
# transfers per second with 4 validators vs 1 (ratio), block sync speed of a new node, and the first commit after a
# 2|2 partition of 30 s heals. A figure whose piece the binary lacks prints "skipped: <why>".
#
#   scripts/bench-network.sh [--seconds 30] [--block-time 1000] [--sync-blocks 300] [--sync-block-time 100]
#                            [--partition-seconds 30] [--only latency,throughput,sync,partition] [--keep]
#
# CAIRN_BIN picks the binary (default: .build/debug/cairn);
# use a release build for figures worth comparing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then echo "bench-network: needs root (network namespaces)" >&2; exit 2; fi
missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v tc >/dev/null || missing+=(iproute2)
command -v iptables >/dev/null || missing+=(iptables)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench-network: installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
exec python3 -m scripts.netns.bench "$@"
