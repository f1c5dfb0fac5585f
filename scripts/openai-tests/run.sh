#!/usr/bin/env bash
# The gateway's integration tests, driven by the official `openai` Python client: makes (once) a virtualenv at
# .venv-openai with a pinned `openai`, then runs each test against a real `cairn devnet`.
# CAIRN_BIN: the cairn binary (default .build/debug/cairn); CAIRN_MODELS: the models folder (default ./.models).
# Prints PASS/FAIL and the seconds of each test; exits non-zero when any failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/lib/python-tests.sh
VENV=.venv-openai
python_venv openai-tests "$VENV" openai 3.57.0
cairn_bin openai-tests

failed=0
summary=()
for test in test_devnet test_failover; do
  start=$(date +%s)
  set +e
  PYTHONUNBUFFERED=1 "$VENV/bin/python" "scripts/openai-tests/$test.py"
  status=$?
  set -e
  took=$(( $(date +%s) - start ))
  if [ "$status" -eq 0 ]; then
    summary+=("PASS $test ${took}s")
  else
    summary+=("FAIL $test ${took}s (exit $status)")
    failed=1
  fi
  echo "${summary[-1]}"
done
echo "openai-tests summary:"
printf '  %s\n' "${summary[@]}"
exit "$failed"
