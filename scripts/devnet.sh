#!/usr/bin/env bash
# The run command: installs what is missing, builds cairn (release), starts the devnet.
# Arguments go to `cairn devnet` (e.g. --reset, --home DIR, --rpc-port N, --block-time MS, --providers N).
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_DETERMINISTIC_HASHING=1
bash scripts/setup.sh
swift build -c release -Xswiftc -target-cpu -Xswiftc native --product cairn
exec .build/release/cairn devnet "$@"
