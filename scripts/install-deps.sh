#!/usr/bin/env bash
# Installs everything meshpilot's lab, tests and demo need on a Debian machine (root):
# Debian packages, npm packages, and Synapse from PyPI in a venv. Safe to re-run: it
# only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  wireguard-go wireguard-tools openssh-server openssh-client iproute2 iputils-ping procps
  sudo file sqlite3 util-linux ca-certificates curl
  git qemu-user-static libc6-arm64-cross strace
  espeak-ng ffmpeg chromium fonts-noto-color-emoji
)
SYNAPSE_VERSION="1.163.2"
CACHE="${MESHPILOT_CACHE:-$HOME/.cache/meshpilot}"
VENV="$CACHE/synapse-venv"

log() { printf '[install] %s\n' "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${MESHPILOT_NPM_CI:-}" = "1" ] || [ ! -d node_modules/better-sqlite3/build ]; then
  log "npm packages (better-sqlite3 builds from source: about 2 minutes)"
  npm ci --no-audit --no-fund --loglevel=error
fi

if ! "$VENV/bin/python" -c "import synapse" 2>/dev/null; then
  log "Synapse $SYNAPSE_VERSION into $VENV"
  mkdir -p "$CACHE"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "matrix-synapse==$SYNAPSE_VERSION" 2>&1 | grep -v "is ignored: it is neither" || true
  "$VENV/bin/python" -c "import synapse" || { echo "Synapse did not install" >&2; exit 1; }
fi

if [ ! -f dist/cli/main.js ] || [ -n "$(find cli bot config common state lab bench device-agent -name '*.ts' -newer dist/cli/main.js 2>/dev/null | head -1)" ]; then
  log "building (tsc)"
  npm run -s build
fi
log "ready"
