#!/usr/bin/env bash
# The consensus simulator's campaign in the test command: 2,000 seeded runs of 4 validators with 1 byzantine and 200 of
# 7 with 2, every fault on (drops, duplicates, partitions, crashes with restarts from the log, clock skew, equivocation,
# withheld votes, amnesia). The two campaigns run side by side, one per core; each exits 1 on a fork, a double signature,
# an invalid decision, missed evidence or a run that stops deciding. The longer campaign is in the README.
# CAIRN_BIN: the cairn binary (default .build/debug/cairn).
set -uo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
bin="${CAIRN_BIN:-.build/debug/cairn}"
out=$(mktemp -d /tmp/cairn-simulation.XXXXXX)
"$bin" consensus simulate --validators 4 --byzantine 1 --seeds "${SEEDS_4:-2000}" --heights 5 --faults all > "$out/4-1.txt" 2>&1 &
four=$!
"$bin" consensus simulate --validators 7 --byzantine 2 --seeds "${SEEDS_7:-200}" --heights 5 --faults all > "$out/7-2.txt" 2>&1 &
seven=$!
wait "$four"; four_status=$?
wait "$seven"; seven_status=$?
status=0
for run in 4-1:$four_status 7-2:$seven_status; do
  name=${run%%:*}; code=${run##*:}
  echo "consensus simulate ($name): $(grep -E '^[0-9]+ runs:' "$out/$name.txt" || tail -n 5 "$out/$name.txt")"
  if [ "$code" -ne 0 ]; then
    status=$code
    echo "the $name campaign failed (exit $code); the runs that broke something, and each fork's trace:"
    grep -E '^seed ' "$out/$name.txt" | grep -v -E ' 0 forks, 0 double signatures, .* equivocators punished by evidence$' | head -20
    grep -A 42 '^fork in seed' "$out/$name.txt" | head -90
  fi
done
rm -rf "$out"
exit "$status"
