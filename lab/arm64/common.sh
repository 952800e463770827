# Shared by lab/arm64/*.sh: where the arm64 root filesystem is cached, and binfmt_misc.
# Sourced, not run.
ARM64_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ARM64_CACHE="${MESHPILOT_CACHE:-$HOME/.cache/meshpilot}"
# Bump when the package list or the rootfs configuration below changes: the tarball is keyed
# by it, so every machine rebuilds once and then reuses it.
ARM64_ROOTFS_VERSION="bookworm-1"
ARM64_SUITE="bookworm"
ARM64_PACKAGES="openssh-server,sudo,iproute2,wireguard-tools,wireguard-go,procps,psmisc"
ARM64_TARBALL="$ARM64_CACHE/arm64-rootfs-$ARM64_ROOTFS_VERSION.tar.zst"
QEMU_AARCH64="/usr/bin/qemu-aarch64-static"
BINFMT="/proc/sys/fs/binfmt_misc"

a64_log() { printf '[arm64] %s\n' "$*" >&2; }
a64_die() { printf '[arm64] error: %s\n' "$*" >&2; exit 1; }

# ensure_binfmt: aarch64 ELF files run through qemu-aarch64-static, also inside chroots and
# mount namespaces. Flags: F opens the interpreter now (so it need not exist inside the
# chroot), P keeps argv[0] (qemu is told so by the *-binfmt-P name), C computes credentials
# from the binary, not from qemu, so the rootfs's setuid sudo works for the login user.
# (C also lets setuid aarch64 programs elsewhere on this machine run as root: a lab setting.)
# Idempotent; an existing registration without these flags is replaced.
ensure_binfmt() {
  [ -x "$QEMU_AARCH64" ] || a64_die "$QEMU_AARCH64 is missing: run scripts/install-deps.sh (qemu-user-static)"
  if [ ! -e "$BINFMT/register" ]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT" || a64_die "could not mount binfmt_misc at $BINFMT"
  fi
  [ "$(cat "$BINFMT/status")" = enabled ] || echo 1 > "$BINFMT/status"
  local entry="$BINFMT/qemu-aarch64" interp=/usr/libexec/qemu-binfmt/aarch64-binfmt-P
  [ -e "$interp" ] || interp="$QEMU_AARCH64"
  local pflag=P
  [ "$interp" = "$QEMU_AARCH64" ] && pflag=""
  if [ -e "$entry" ]; then
    local flags
    flags=$(sed -n 's/^flags: //p' "$entry")
    if grep -q '^enabled' "$entry" && [[ "$flags" == *F* && "$flags" == *C* ]]; then return 0; fi
    a64_log "replacing the qemu-aarch64 binfmt entry (flags '$flags'): it needs F and C"
    echo -1 > "$entry"
  fi
  local magic='\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
  local mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
  echo ":qemu-aarch64:M::$magic:$mask:$interp:${pflag}OCF" > "$BINFMT/register" ||
    a64_die "could not register qemu-aarch64 with binfmt_misc"
}

# debian_mirror: the Debian mirror this machine's apt uses (deb822 or one-line sources),
# or $MESHPILOT_DEBIAN_MIRROR.
debian_mirror() {
  if [ -n "${MESHPILOT_DEBIAN_MIRROR:-}" ]; then echo "$MESHPILOT_DEBIAN_MIRROR"; return; fi
  local found
  found=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^$/ { if (uri != "" && suites ~ /(^| )'"$ARM64_SUITE"'( |$)/) { print uri; exit } uri=""; suites="" }
    /^URIs:/ { uri=$2 } /^Suites:/ { $1=""; suites=$0 }
    END { if (uri != "" && suites ~ /(^| )'"$ARM64_SUITE"'( |$)/) print uri }' | head -1)
  [ -n "$found" ] || found=$(cat /etc/apt/sources.list 2>/dev/null |
    awk '$1 == "deb" && $3 == "'"$ARM64_SUITE"'" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' | head -1)
  echo "${found:-http://deb.debian.org/debian}"
}
