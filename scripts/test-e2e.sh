#!/usr/bin/env bash
# Only the e2e tests, on a lab that is already up (npm run lab:up), from inside the hub namespace.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
npm run -s build
exec ip netns exec hub npx jest --selectProjects e2e --runInBand "$@"
