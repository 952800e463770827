#!/usr/bin/env bash
# Runs a Windows executable under Wine with the prefix scripts/wine/setup.sh prepares:
#   scripts/wine/run.sh dist/agent/device-agent-windows-amd64.exe --self-test
set -euo pipefail
env_lines=$("$(dirname "$0")/setup.sh")
while read -r line; do export "${line%%=*}=${line#*=}"; done <<<"$env_lines"
export DISPLAY=
exec "$WINE" "$@"
