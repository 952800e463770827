#!/usr/bin/env bash
# npm run bench:<name> [-- ARGS]: installs what is missing, brings the lab up, runs bench/<name> ARGS in the hub namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/bench.sh <name>}"
bash scripts/install-deps.sh >/dev/null
source scripts/node-env.sh
npm run -s build
# The panel benchmark needs only Chromium and its own temporary state: no lab, no agent build.
if [ "$name" = panel ]; then exec node dist/bench/panel.js "${@:2}"; fi
# add-pc, agent and health benchmarks run the built device agent.
npm run -s build:agent >/dev/null
bash lab/up.sh >/dev/null
# Benchmarks that talk to lab hosts run where the bot runs: inside the hub namespace.
exec ip netns exec hub node "dist/bench/$name.js" "${@:2}"
