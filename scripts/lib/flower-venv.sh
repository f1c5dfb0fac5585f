#!/usr/bin/env bash
# The Flower baseline's virtualenv. Source it from the repository root and call flower_venv, or run it to only
# make the virtualenv. Sets FLOWER_PYTHON to its interpreter.
#
# flwr 1.42.0 still carries the legacy start_server/start_client pair (deprecated since 1.13, kept under
# flwr.compat), which runs the server and each client as a plain OS process over gRPC without Ray or the
# SuperLink/SuperNode/ServerApp machinery. grpcio and protobuf are pinned too because they carry the traffic
# that the per-round time measures.

FLOWER_VENV_PINS=(flwr==1.42.0 numpy==2.4.6 grpcio==1.85.4 protobuf==6.33.6)

flower_venv() {
  local venv="${FLOWER_VENV:-$PWD/.venv-flower}"
  if [ ! -x "$venv/bin/python" ]; then
    echo "flower-venv: making the virtualenv $venv" >&2
    python3 -m venv "$venv"
  fi
  # Reinstall only when a pin changed, so repeated runs cost nothing and need no network.
  local want="${FLOWER_VENV_PINS[*]}"
  if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$want" ]; then
    echo "flower-venv: installing ${FLOWER_VENV_PINS[*]}" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${FLOWER_VENV_PINS[@]}"
    echo "$want" >"$venv/.pins"
  fi
  FLOWER_PYTHON="$venv/bin/python"
  export FLOWER_PYTHON
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cd "$(dirname "$0")/../.."
  flower_venv
  echo "$FLOWER_PYTHON"
fi
