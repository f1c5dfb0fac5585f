#!/usr/bin/env bash
# The explorer's integration test in headless Chromium: installs Debian's chromium when it is missing, makes (once) a
# virtualenv at .venv-explorer with a pinned websocket-client, then runs test_explorer.py against a real `cairn devnet`.
# CAIRN_BIN: the cairn binary (default .build/debug/cairn); CAIRN_MODELS: the models folder (default ./.models);
# CAIRN_TEST_OUTPUT: where screenshots go (default ./test-output, under explorer/); CHROMIUM: the browser to drive.
# Prints PASS/FAIL and the seconds taken; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/lib/python-tests.sh
browser_tests explorer-tests
cairn_bin explorer-tests

start=$(date +%s)
set +e
PYTHONUNBUFFERED=1 "$VENV/bin/python" scripts/explorer-tests/test_explorer.py
status=$?
set -e
took=$(( $(date +%s) - start ))
if [ "$status" -eq 0 ]; then
  echo "PASS test_explorer ${took}s"
else
  echo "FAIL test_explorer ${took}s (exit $status)"
fi
exit "$status"
