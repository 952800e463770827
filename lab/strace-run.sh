#!/usr/bin/env bash
# Runs argv lists on a lab host as an unprivileged user, each under strace, for the
# read-only proofs ("prove it by watching"). Run as root, from any namespace.
#
#   lab/strace-run.sh HOST USER ARGV_JSONL FIXTURE_DIR OUTSIDE_DIR OUT_DIR
#
# ARGV_JSONL: one JSON array of strings per line (argv[0] is a program name or path).
# FIXTURE_DIR: copied (cp -a) into the user's home as ~/fixture; OUTSIDE_DIR: copied to
# /mnt/outside (outside the home; the fixture's symlink points there).
# For line N (from 0) it writes OUT_DIR/N.trace (strace -f -y), N.out (stdout and stderr)
# and N.rc (the exit status; 124 = killed by the 10 s timeout). At most 2 run at a time.
#
# Everything happens in a throwaway mount namespace entered from the host's sshd: the home
# and /mnt are fresh tmpfs copies and /tmp a fresh tmpfs, so a program that did write
# would change nothing that outlives the run. The trace, not the sandbox, is the proof.
set -euo pipefail

# The syscalls watched: every path syscall and process event, plus the fd-based writes
# (fchmod, fchown, ftruncate, fsetxattr, fremovexattr) and fchdir.
TRACE="%file,%process,fchmod,fchown,ftruncate,fsetxattr,fremovexattr,fchdir,openat2"
PARALLEL=2
TIMEOUT_S=10

if [ "${1:-}" != --inside ]; then
  [ $# -eq 6 ] || { echo "usage: $0 HOST USER ARGV_JSONL FIXTURE_DIR OUTSIDE_DIR OUT_DIR" >&2; exit 2; }
  host="$1" user="$2" argv_file="$3" fixture="$4" outside="$5" out="$6"
  lab_dir="${MESHPILOT_LAB_DIR:-/var/lib/meshpilot-lab}"
  pid=$(cat "$lab_dir/hosts/$host/sshd.pid")
  kill -0 "$pid" || { echo "$host's sshd ($pid) is not running" >&2; exit 1; }
  mkdir -p "$out"
  # One NUL-separated argv file per line, made here (jq) so the runs need no JSON parsing.
  n=0
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    printf '%s\n' "$line" | jq -j '.[] | (. + "\u0000")' > "$out/$n.argv"
    n=$((n + 1))
  done < "$argv_file"
  exec nsenter -t "$pid" -m -n unshare -m --propagation private \
    bash "$(realpath "$0")" --inside "$user" "$fixture" "$outside" "$out" "$n"
fi

# Inside the host's namespaces, in a private mount namespace of our own.
shift
user="$1" fixture="$2" outside="$3" out="$4" count="$5"
home=$(getent passwd "$user" | cut -d: -f6)
[ -d "$home" ] || { echo "no home for $user" >&2; exit 1; }
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=750 tmpfs "$home"
cp -a "$fixture" "$home/fixture"
chown "$user:$user" "$home"
mount -t tmpfs -o mode=755 tmpfs /mnt
cp -a "$outside" /mnt/outside
# The lab has no DNS: a resolver that answers "refused" at once (on loopback) keeps
# hostname -A/-f from waiting out the timeout on every run.
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > /mnt/resolv.conf
mount --bind /mnt/resolv.conf /etc/resolv.conf

run_one() {
  local i="$1" words=()
  mapfile -d '' -t words < "$out/$i.argv"
  cd "$home"
  # A clean environment, as the device agent gives its children; strace -u drops to the
  # user (uid, gid, supplementary groups) only for the traced program.
  set +e
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 \
    timeout -k 2 "$TIMEOUT_S" strace -f -qq -y -s 256 -e trace="$TRACE" -e signal=none \
    -o "$out/$i.trace" -u "$user" -- "${words[@]}" < /dev/null > "$out/$i.out" 2>&1
  echo $? > "$out/$i.rc"
}
export -f run_one
export out home user TRACE TIMEOUT_S
[ "$count" -gt 0 ] || exit 0
seq 0 $((count - 1)) | xargs -P "$PARALLEL" -n 1 bash -c 'run_one "$0"'
