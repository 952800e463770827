#!/usr/bin/env bash
# Prepares Wine to run the Windows device agent (docs/windows.md): builds the
# bcryptprimitives.dll shim (Wine 8 has none) and a WINEPREFIX with it in system32.
# Both are cached under ${MESHPILOT_CACHE:-$HOME/.cache/meshpilot}/wine: wineboot takes
# 10-30 s the first time, a few ms to check afterwards. Rebuilt when the shim's source or
# the Wine version changes. Prints the environment to run under, as KEY=VALUE lines
# (scripts/wine/run.sh uses it). Needs Debian's wine64 and gcc-mingw-w64-x86-64-win32:
# without them it exits 3 saying which is missing. --check: only that, touching nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${MESHPILOT_CACHE:-$HOME/.cache/meshpilot}/wine

wine=${MESHPILOT_WINE:-}
for candidate in /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
  [[ -z $wine && -n $candidate && -x $candidate ]] && wine=$candidate
done
[[ -n $wine ]] || { echo "wine is not installed (Debian: apt-get install wine64)" >&2; exit 3; }
wineserver=$(dirname "$wine")/wineserver
[[ -x $wineserver ]] || wineserver=$(command -v wineserver || true)
[[ -n $wineserver ]] || { echo "wineserver is missing next to $wine" >&2; exit 3; }
command -v x86_64-w64-mingw32-gcc >/dev/null ||
  { echo "x86_64-w64-mingw32-gcc is missing (Debian: gcc-mingw-w64-x86-64-win32)" >&2; exit 3; }
[[ ${1:-} == --check ]] && exit 0

# One setup at a time: tests running in parallel share the cache.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

# Quiet and headless: no debug channels, no X display, and no Mono/Gecko installer
# dialogs (the agent needs neither .NET nor a browser engine).
export WINEPREFIX="$cache/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
version=$("$wine" --version)
stamp="$version $(sha256sum "$here/bcryptprimitives.c" | cut -c1-16)"

if [[ ! -f $WINEPREFIX/.meshpilot-ready || $(cat "$WINEPREFIX/.meshpilot-ready") != "$stamp" ]]; then
  rm -rf "$WINEPREFIX" "$cache/bcryptprimitives.dll"
  x86_64-w64-mingw32-gcc -O2 -Wall -shared -s -o "$cache/bcryptprimitives.dll" \
    "$here/bcryptprimitives.c" -ladvapi32
  started=$(date +%s.%N)
  "$wine" wineboot --init >"$cache/wineboot.log" 2>&1 || { cat "$cache/wineboot.log" >&2; exit 1; }
  "$wineserver" --wait || true
  cp "$cache/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/"
  printf '[wine] prefix %s ready (%s, wineboot %.1f s)\n' "$WINEPREFIX" "$version" \
    "$(echo "$(date +%s.%N) - $started" | bc)" >&2
  echo "$stamp" >"$WINEPREFIX/.meshpilot-ready"
fi

echo "WINE=$wine"
echo "WINESERVER=$wineserver"
echo "WINEPREFIX=$WINEPREFIX"
echo "WINEDEBUG=$WINEDEBUG"
echo "WINEDLLOVERRIDES=$WINEDLLOVERRIDES"
