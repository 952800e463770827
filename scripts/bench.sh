#!/usr/bin/env bash
# npm run bench:<name>: installs what is missing, brings the lab up, runs bench/<name>.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/bench.sh <name>}"
bash scripts/install-deps.sh >/dev/null
npm run -s build
bash lab/up.sh >/dev/null
node "dist/bench/$name.js"
