#!/usr/bin/env bash
# The gateway's integration tests, driven by the official `openai` Python client: makes (once) a virtualenv at
# .venv-openai with a pinned `openai`, then runs each test against a real `cairn devnet`.
# CAIRN_BIN: the cairn binary (default .build/debug/cairn); CAIRN_MODELS: the models folder (default ./.models).
# Prints PASS/FAIL and the seconds of each test; exits non-zero when any failed.
set -euo pipefail
cd "$(dirname "$0")/../.."

OPENAI_VERSION="3.57.0"
VENV=.venv-openai
export CAIRN_BIN="${CAIRN_BIN:-.build/debug/cairn}"
export CAIRN_MODELS="${CAIRN_MODELS:-$PWD/.models}"
# A relative binary path would change meaning if a test changed its folder; make it absolute.
case "$CAIRN_BIN" in /*) ;; *) CAIRN_BIN="$PWD/$CAIRN_BIN" ;; esac

if [ ! -x "$VENV/bin/python" ]; then
  echo "openai-tests: making the virtualenv $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null; then
  echo "openai-tests: installing openai==$OPENAI_VERSION"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "openai==$OPENAI_VERSION"
fi

if [ ! -x "$CAIRN_BIN" ]; then
  echo "openai-tests: no cairn binary at $CAIRN_BIN (build it, or set CAIRN_BIN)" >&2
  exit 1
fi

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
