#!/usr/bin/env bash
# The simulator's report in headless Chromium: runs `cairn sim --scenario baseline` for a quarter year, loads
# report.html, fails on any console error, uncaught exception or failed load, and writes a full-page screenshot to
# ${CAIRN_TEST_OUTPUT:-test-output}/sim/report.png. Uses the explorer tests' browser driver and virtualenv.
# CAIRN_BIN: the cairn binary (default .build/debug/cairn); CHROMIUM: the browser to drive.
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/lib/python-tests.sh
browser_tests sim-report-test
cairn_bin sim-report-test

start=$(date +%s)
set +e
PYTHONUNBUFFERED=1 "$VENV/bin/python" scripts/sim-report-test/test_report.py
status=$?
set -e
took=$(( $(date +%s) - start ))
if [ "$status" -eq 0 ]; then echo "PASS test_report ${took}s"; else echo "FAIL test_report ${took}s (exit $status)"; fi
exit "$status"
