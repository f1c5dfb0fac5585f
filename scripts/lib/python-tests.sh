# Shared by the Python test runners (scripts/openai-tests, scripts/explorer-tests, scripts/sim-report-test); source it
# from the repository root.

# cairn_bin NAME: exports CAIRN_BIN (default .build/debug/cairn) as an absolute path, so a test that changes its
# folder still finds it, and CAIRN_MODELS (default ./.models); fails, naming NAME, when there is no binary.
cairn_bin() {
  export CAIRN_BIN="${CAIRN_BIN:-.build/debug/cairn}"
  export CAIRN_MODELS="${CAIRN_MODELS:-$PWD/.models}"
  case "$CAIRN_BIN" in /*) ;; *) CAIRN_BIN="$PWD/$CAIRN_BIN" ;; esac
  if [ ! -x "$CAIRN_BIN" ]; then
    echo "$1: no cairn binary at $CAIRN_BIN (build it, or set CAIRN_BIN)" >&2
    return 1
  fi
}

# python_venv NAME DIR PACKAGE VERSION: makes the virtualenv DIR once and installs PACKAGE==VERSION into it unless
# that version is there already.
python_venv() {
  local name=$1 venv=$2 package=$3 version=$4
  if [ ! -x "$venv/bin/python" ]; then
    echo "$name: making the virtualenv $venv"
    python3 -m venv "$venv"
  fi
  if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('$package') != '$version')" 2>/dev/null; then
    echo "$name: installing $package==$version"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$package==$version"
  fi
}

# browser_tests NAME: installs Debian's chromium when no browser is there (and CHROMIUM names none), then makes the
# browser driver's virtualenv .venv-explorer (websocket-client) and sets VENV to it.
browser_tests() {
  if [ -z "${CHROMIUM:-}" ] && ! command -v chromium chromium-browser google-chrome >/dev/null 2>&1; then
    echo "$1: installing chromium with apt"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
  VENV=.venv-explorer
  python_venv "$1" "$VENV" websocket-client 1.9.2
}
