#!/usr/bin/env bash
# The explorer's integration test in headless Chromium: installs Debian's chromium when it is missing, makes (once) a
# virtualenv at .venv-explorer with a pinned websocket-client, then runs test_explorer.py against a real `cairn devnet`.
# CAIRN_BIN: the cairn binary (default .build/debug/cairn); CAIRN_MODELS: the models folder (default ./.models);
# CAIRN_TEST_OUTPUT: where screenshots go (default ./test-output, under explorer/); CHROMIUM: the browser to drive.
# Prints PASS/FAIL and the seconds taken; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

WEBSOCKET_CLIENT_VERSION="1.9.2"
VENV=.venv-explorer
export CAIRN_BIN="${CAIRN_BIN:-.build/debug/cairn}"
export CAIRN_MODELS="${CAIRN_MODELS:-$PWD/.models}"
# A relative binary path would change meaning if a test changed its folder; make it absolute.
case "$CAIRN_BIN" in /*) ;; *) CAIRN_BIN="$PWD/$CAIRN_BIN" ;; esac

if [ -z "${CHROMIUM:-}" ] && ! command -v chromium chromium-browser google-chrome >/dev/null 2>&1; then
  echo "explorer-tests: installing chromium with apt"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "explorer-tests: making the virtualenv $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import websocket, sys; sys.exit(websocket.__version__ != '$WEBSOCKET_CLIENT_VERSION')" 2>/dev/null; then
  echo "explorer-tests: installing websocket-client==$WEBSOCKET_CLIENT_VERSION"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "websocket-client==$WEBSOCKET_CLIENT_VERSION"
fi

if [ ! -x "$CAIRN_BIN" ]; then
  echo "explorer-tests: no cairn binary at $CAIRN_BIN (build it, or set CAIRN_BIN)" >&2
  exit 1
fi

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
