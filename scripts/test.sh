#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test suite, then the consensus simulator's campaign,
# the network fault campaign in namespaces, the gateway's openai-client tests and the explorer's tests in headless Chromium.
# A run that goes past CAIRN_TEST_TIMEOUT (default 40m) is stopped, and the tests that never
# reported a result are listed, so a hang names itself instead of running into CI's limit.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
export CAIRN_MODELS="${CAIRN_MODELS:-$PWD/.models}"
bash scripts/setup.sh
# llama.cpp's server, for the test of an honest provider behind it (VerifiedProvidersDevnetTests): built once from the
# llama-cpp-python source distribution into .bench-llama (git-ignored), about 10 minutes on 2 cores.
source scripts/lib/llama-build.sh
build_llama_tools "${BENCH_LLAMA_DIR:-$PWD/.bench-llama}" llama-server
export CAIRN_LLAMA_SERVER="${BENCH_LLAMA_DIR:-$PWD/.bench-llama}/llama.cpp/build/bin/llama-server"
start=$(date +%s)
# C code is compiled optimized (-Xcc -O2; Swift stays a debug build): at -O0 BoringSSL's Ed25519 is a third as fast and
# signature checks dominate every test that runs validators and the simulator's campaign.
swift build --build-tests -Xcc -O2
log=$(mktemp /tmp/cairn-test.XXXXXX.log)
set +e
# At most 8 tests run at once (Swift Testing's own limit, read from this variable): started all together, the
# suite's first seconds put hundreds of tests, processes and servers on 2 cores, and real-clock waits that are
# seconds on a quiet machine ran out; the suite takes as long either way (about 150 s on 2 cores).
export SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH="${CAIRN_TEST_WIDTH:-8}"
timeout -k 30s "${CAIRN_TEST_TIMEOUT:-40m}" swift test --skip-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "the tests did not finish within ${CAIRN_TEST_TIMEOUT:-40m} (the summary at the end names the ones still running)"
fi
echo "tests finished in $(( $(date +%s) - start ))s (build included), exit $status"
# Processes the tests started and could not stop (the test process crashed before its cleanup) would load the
# machine under the suites that follow.
pkill -9 -f "/cairn-test-" 2>/dev/null || true
# What went wrong in the Swift tests, repeated at the very end of the output: the failures, any fatal error, and
# the tests that started but never reported a result (after a crash, the crashed test is among them).
swift_summary() {
  [ "$status" -ne 0 ] || return 0
  echo "the Swift tests exited with $status:"
  grep -a -E '^✘|Fatal error|Precondition failed|Assertion failed|Program crashed' "$log" | head -40 || true
  echo "tests that started and never reported a result:"
  sed -n -E 's/^◇ Test ([^ ]+) started\.$/\1/p' "$log" | while read -r name; do
    grep -a -q -E "^[✔✘↷] Test ${name//[()]/.} " "$log" || echo "  $name"
  done
  # The crashed thread's frames, from the backtrace Swift's runtime prints.
  awk '/crashed:$/ { on = 1 } /^Registers:/ { on = 0 } on && shown++ < 40' "$log"
}
# suite NAME TIMEOUT SCRIPT [ARGS...]: runs a suite's runner within TIMEOUT; sets suite_status.
suite() {
  local start=$(date +%s)
  set +e
  timeout -k 30s "$2" bash "${@:3}"
  suite_status=$?
  set -e
  if [ "$suite_status" -eq 124 ] || [ "$suite_status" -eq 137 ]; then
    echo "the $1 tests did not finish within $2"
  fi
  echo "$1 tests finished in $(( $(date +%s) - start ))s, exit $suite_status"
}
# The consensus simulator: thousands of seeded runs under every fault (scripts/consensus-simulation.sh).
suite consensus-simulation "${CAIRN_SIMULATION_TIMEOUT:-15m}" scripts/consensus-simulation.sh
simulation_status=$suite_status
# Real validator and full-node processes in Linux network namespaces under partitions, kills, pauses, delay and loss,
# clock offsets and an equivocating validator; the short, seeded form (scripts/network-faults.sh).
suite network-faults "${CAIRN_NETWORK_FAULTS_TIMEOUT:-15m}" scripts/network-faults.sh --seed "${CAIRN_NETWORK_FAULTS_SEED:-1}"
network_status=$suite_status
# The gateway through the official openai Python client, against real devnets (scripts/openai-tests).
suite openai "${CAIRN_OPENAI_TEST_TIMEOUT:-20m}" scripts/openai-tests/run.sh
openai_status=$suite_status
# The explorer's pages in headless Chromium against a devnet of 4 validator processes with activity through its
# providers and gateway (scripts/explorer-tests).
export CAIRN_DEVNET_VALIDATORS="${CAIRN_DEVNET_VALIDATORS:-4}"
suite explorer "${CAIRN_EXPLORER_TEST_TIMEOUT:-15m}" scripts/explorer-tests/run.sh
explorer_status=$suite_status
# The simulator's report rendered in headless Chromium, with a screenshot (scripts/sim-report-test).
suite sim-report "${CAIRN_SIM_REPORT_TIMEOUT:-5m}" scripts/sim-report-test/run.sh
sim_report_status=$suite_status
if [ "$status" -ne 0 ]; then swift_summary; exit "$status"; fi
if [ "$simulation_status" -ne 0 ]; then exit "$simulation_status"; fi
if [ "$network_status" -ne 0 ]; then exit "$network_status"; fi
if [ "$openai_status" -ne 0 ]; then exit "$openai_status"; fi
if [ "$sim_report_status" -ne 0 ]; then exit "$sim_report_status"; fi
exit "$explorer_status"
