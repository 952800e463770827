#!/usr/bin/env bash
# npm run demo: installs what is missing (Debian and npm packages, Synapse), brings up the
# lab, starts the bot, and plays the operator's side of a conversation. Leaves it running.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "the demo needs root (it builds network namespaces): run it as root" >&2; exit 1; }
bash scripts/install-deps.sh
source scripts/node-env.sh
npm run -s build
# The demo installs the device agent on pc1: build it (cached after the first time).
npm run -s build:agent
bash lab/up.sh
# The demo talks to the lab hosts (SSH to pc1), so it runs in the hub namespace, like the bot.
ip netns exec hub node dist/lab/demo.js
