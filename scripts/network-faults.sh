#!/usr/bin/env bash
# Fault campaigns against a real Cairn network across Linux network namespaces (root only; see scripts/netns/README.md).
#
#   scripts/network-faults.sh                        # short form for CI: a seeded campaign of 20 perturbations on
#                                                    # 4 validators (+1 full node where the binary has them), plus a
#                                                    # kill/restart run, a partition/heal run and, where the binary
#                                                    # has CAIRN_TEST_BYZANTINE, an equivocating validator
#   scripts/network-faults.sh --long                 # 1,000 perturbations, 50 per fresh network
#   scripts/network-faults.sh --kills 200            # 200 kills (SIGKILL) and restarts
#   scripts/network-faults.sh --byzantine-heights 1000   # one equivocating validator for 1,000 heights
#   scripts/network-faults.sh --seed 7 --perturbations 100 --validators 4 --full-nodes 1
#   scripts/network-faults.sh --cleanup              # remove namespaces and links any run left behind
#
# Every run prints one JSON line; the exit status is non-zero when a property was violated (the seed and the
# violation are printed) or the network could not be set up. CAIRN_BIN picks the binary (default: .build/debug/cairn).
set -euo pipefail
cd "$(dirname "$0")/.."

seed="" mode=short perturbations=20 validators=4 full_nodes=1 kills=0 byzantine_heights=0 extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift 2 ;;
    --long) mode=long; shift ;;
    --kills) mode=kills; kills=$2; shift 2 ;;
    --byzantine-heights) mode=byzantine; byzantine_heights=$2; shift 2 ;;
    --perturbations) mode=custom; perturbations=$2; shift 2 ;;
    --validators) validators=$2; shift 2 ;;
    --full-nodes) full_nodes=$2; shift 2 ;;
    --block-time|--per-run|--kinds|--workdir) extra+=("$1" "$2"); shift 2 ;;
    --keep) extra+=("$1"); shift ;;
    --cleanup) exec python3 -m scripts.netns.campaign cleanup ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "network-faults: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then echo "network-faults: needs root (network namespaces)" >&2; exit 2; fi
missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v tc >/dev/null || missing+=(iproute2)
command -v iptables >/dev/null || missing+=(iptables)
if [ ${#missing[@]} -gt 0 ]; then
  echo "network-faults: installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

seed=${seed:-$(( (RANDOM << 15 | RANDOM) ))}
echo "network-faults: seed $seed ($mode)"
campaign() { python3 -m scripts.netns.campaign --seed "$seed" --validators "$validators" --full-nodes "$full_nodes" ${extra[@]+"${extra[@]}"} "$@"; }

status=0
case "$mode" in
  short)
    campaign --perturbations 20 --per-run 20 || status=$?
    campaign --kinds kill --perturbations 3 || status=$?
    campaign --kinds partition,isolate --perturbations 3 || status=$?
    campaign --byzantine --kinds kill,partition,delay --perturbations 4 || status=$?
    ;;
  long) campaign --perturbations 1000 --per-run 50 || status=$? ;;
  kills) campaign --kinds kill --perturbations "$kills" --per-run 50 || status=$? ;;
  byzantine) campaign --byzantine --byzantine-heights "$byzantine_heights" --kinds kill,partition,delay --perturbations 10 || status=$? ;;
  custom) campaign --perturbations "$perturbations" || status=$? ;;
esac
if [ "$status" -ne 0 ]; then echo "network-faults: FAILED (seed $seed, status $status)" >&2; else echo "network-faults: passed (seed $seed)"; fi
exit "$status"
