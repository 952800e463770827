#!/usr/bin/env bash
# Mutation testing (Stryker, stryker.config.json): mutates the bot-side logic and runs the
# unit tests against each mutant. Its own npm script (npm run test:mutation), not part of
# npm test or CI: a full run takes tens of minutes on 2 cores. Incremental: the next run
# retests only mutants whose code or covering tests changed (reports/stryker-incremental.json).
# Extra arguments go to `stryker run`, e.g. --mutate 'health/**/*.ts' or --force (ignore the
# incremental file). Reports: reports/mutation/{clear-text.txt,mutation.json,mutation.html};
# the last lines are the score per directory and overall. See docs/mutation.md.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

mkdir -p reports/mutation
# A run stopped while writing it leaves the incremental file cut short, and Stryker then
# refuses to start: drop it (the next run is a full one).
incremental=reports/stryker-incremental.json
if [ -f "$incremental" ] && ! node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$incremental" 2>/dev/null; then
  echo "dropping the unreadable $incremental (an interrupted run?): this run tests every mutant"
  rm -f "$incremental"
fi
rm -f reports/mutation/mutation.json
npx stryker run "$@" 2>&1 | tee reports/mutation/clear-text.txt
status=${PIPESTATUS[0]}
[ -f reports/mutation/mutation.json ] || exit "$status"

# Score per directory: detected (killed or timed out) over valid mutants (detected, survived,
# no coverage), as Stryker counts it; mutants that did not compile or were ignored are left out.
node - reports/mutation/mutation.json <<'EOF' || status=1
const fs = require("fs");
const path = require("path");
const report = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const rows = new Map();
const add = (key, status) => {
  const row = rows.get(key) ?? { killed: 0, survived: 0, noCoverage: 0, timeout: 0 };
  if (status === "Killed") row.killed++;
  else if (status === "Timeout") row.timeout++;
  else if (status === "Survived") row.survived++;
  else if (status === "NoCoverage") row.noCoverage++;
  else return;
  rows.set(key, row);
};
for (const [file, { mutants }] of Object.entries(report.files)) {
  const dir = path.dirname(path.relative(process.cwd(), path.resolve(file)));
  for (const m of mutants) {
    add(dir, m.status);
    add("all", m.status);
  }
}
const score = (r) => {
  const detected = r.killed + r.timeout;
  const valid = detected + r.survived + r.noCoverage;
  return valid === 0 ? "n/a" : ((100 * detected) / valid).toFixed(2) + " %";
};
const keys = [...rows.keys()].filter((k) => k !== "all").sort();
const line = (k, r) =>
  [k.padEnd(32), score(r).padStart(9), String(r.killed + r.timeout).padStart(8),
   String(r.survived).padStart(9), String(r.noCoverage).padStart(11)].join(" ");
console.log("\nmutation score per directory");
console.log(["directory".padEnd(32), "score".padStart(9), "detected".padStart(8),
  "survived".padStart(9), "no coverage".padStart(11)].join(" "));
for (const k of keys) console.log(line(k, rows.get(k)));
if (rows.has("all")) console.log(line("all", rows.get("all")));
EOF
exit "$status"
