#!/usr/bin/env bash
# npm run build:agent: the device agent as one self-contained executable per OS/arch, with
# Bun from the npm registry (devDependency). Cross-compiling fetches each target's Bun
# runtime from the npm registry the first time; later builds reuse Bun's cache.
# Writes dist/agent/device-agent-<os>-<arch>[.exe], their .gz and dist/agent/SHA256SUMS.
set -euo pipefail
cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
[ -x "$BUN" ] || { echo "bun is missing: run npm ci" >&2; exit 1; }
version=$(node -p 'require("./package.json").version')
out=dist/agent
rm -rf "$out" && mkdir -p "$out"

# name (as the provisioning pipeline calls it) → Bun target
targets=(
  "linux-amd64 bun-linux-x64"
  "linux-arm64 bun-linux-arm64"
  "windows-amd64 bun-windows-x64"
  "darwin-arm64 bun-darwin-arm64"
)
started=$(date +%s.%N)
for pair in "${targets[@]}"; do
  read -r name target <<<"$pair"
  file="device-agent-$name"
  [[ $name == windows-* ]] && file="$file.exe"
  # The build id is embedded verbatim (device-agent/version.ts); tests find it in files they cannot run.
  "$BUN" build device-agent/main.ts --compile --target="$target" \
    --define "MESHPILOT_AGENT_BUILD=\"meshpilot-device-agent $version $name\"" \
    --outfile "$out/$file" >/dev/null
  printf '[build:agent] %-34s %s\n' "$file" "$(du -h "$out/$file" | cut -f1)"
done
(cd "$out" && sha256sum device-agent-* > SHA256SUMS)
# The gzip that goes over the wire on each add, made once per build rather than per add; the
# name is the one provisioning/wg/agent-install.ts looks for (<file>.<16 hex of its sha>.gz).
# Level 1: 110 MB -> 55 MB in ~2 s; level 6 saves 7 % more for 3x the time.
pids=()
while read -r sum file; do
  gz="$out/$file.${sum:0:16}.gz"
  { gzip -1 -c "$out/$file" > "$gz.tmp" && mv "$gz.tmp" "$gz"; } &
  pids+=("$!")
done < "$out/SHA256SUMS"
for pid in "${pids[@]}"; do wait "$pid"; done # a failed gzip fails the build (set -e)
printf '[build:agent] 4 executables, their gzips and SHA256SUMS in %s (%.1f s)\n' "$out" "$(echo "$(date +%s.%N) - $started" | bc)"
