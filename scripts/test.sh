#!/usr/bin/env bash
# Every test: typecheck, lint, unit tests, then the e2e tests on the real-parts lab
# (brought up here when this runs as root, torn down after unless it was already up).
# Last line: "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source lab/lib.sh

bash scripts/install-deps.sh || exit 1
source scripts/node-env.sh
npm run -s build || exit 1
# The device agent executables (e2e runs the built ones; the first build fetches Bun runtimes from npm).
npm run -s build:agent || exit 1

status=0
step() { printf '\n== %s\n' "$*"; }
step "typecheck"; npm run -s typecheck || status=1
step "lint"; npm run -s lint || status=1

REPORTS="$(mktemp -d)"
step "unit tests"
npx jest --selectProjects unit --ci --json --outputFile="$REPORTS/unit.json" || status=1

lab_was_up=0
[ -f "$LAB_DIR/lab.json" ] && curl -fsS -m 2 "http://127.0.0.1:$HS_PORT/health" >/dev/null 2>&1 && lab_was_up=1
if [ "$(id -u)" = 0 ]; then
  step "lab up"
  bash lab/up.sh || status=1
else
  echo "not root: the lab cannot be brought up here; e2e tests will skip (CI runs them as root)"
fi
step "e2e tests (lab)"
# The tests talk to lab hosts, so they run where the bot runs: inside the hub namespace.
in_hub=()
[ "$(id -u)" = 0 ] && ip netns list 2>/dev/null | grep -qw hub && in_hub=(ip netns exec hub)
"${in_hub[@]}" npx jest --selectProjects e2e --ci --runInBand --json --outputFile="$REPORTS/e2e.json" || status=1
if [ "$(id -u)" = 0 ] && [ "$lab_was_up" = 0 ] && [ "${MESHPILOT_KEEP_LAB:-}" != 1 ]; then
  step "lab down"; bash lab/down.sh || status=1
fi

summary=$(node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  process.exit(failed > 0 ? 1 : 0);
' "$REPORTS/unit.json" "$REPORTS/e2e.json") || status=1
echo
echo "$summary"
exit $status
