#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
export CAIRN_MODELS="${CAIRN_MODELS:-$PWD/.models}"
bash scripts/setup.sh
start=$(date +%s)
swift build --build-tests
swift test --skip-build 2>&1 | tee /tmp/cairn-test.log
status=${PIPESTATUS[0]}
echo "tests finished in $(( $(date +%s) - start ))s (build included)"
exit "$status"
