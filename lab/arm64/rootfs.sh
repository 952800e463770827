#!/usr/bin/env bash
# Builds the Debian 12 (bookworm) arm64 root filesystem of the lab's arm64 host, once:
#   lab/arm64/rootfs.sh           print the cached tarball's path, building it if missing
#   lab/arm64/rootfs.sh --force   build it again
# debootstrap --foreign fetches and unpacks the arm64 packages natively; the second stage
# (maintainer scripts) runs inside the rootfs under qemu-aarch64-static via binfmt_misc.
# The result is cached as $MESHPILOT_CACHE/arm64-rootfs-<version>.tar.zst (common.sh),
# so later runs, CI on the same machine included, only unpack it. Needs root.
set -euo pipefail
source "$(dirname "$0")/common.sh"

[ "$(id -u)" = 0 ] || a64_die "building the rootfs needs root (debootstrap, chroot, binfmt_misc)"
if [ "${1:-}" != --force ] && [ -s "$ARM64_TARBALL" ]; then echo "$ARM64_TARBALL"; exit 0; fi
for tool in debootstrap zstd chroot unshare; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || a64_die "$tool is missing: run scripts/install-deps.sh"
done
ensure_binfmt

mkdir -p "$ARM64_CACHE"
BUILD=$(mktemp -d "$ARM64_CACHE/arm64-rootfs-build.XXXXXX")
# A failed build leaves nothing behind (its chroot mounts live in a private mount namespace).
trap 'rm -rf --one-file-system "$BUILD"' EXIT
ROOT="$BUILD/rootfs"
MIRROR=$(debian_mirror)
start=$(date +%s)

a64_log "first stage: $ARM64_SUITE arm64 from $MIRROR ($ARM64_PACKAGES)"
debootstrap --foreign --arch=arm64 --variant=minbase --include="$ARM64_PACKAGES" \
  "$ARM64_SUITE" "$ROOT" "$MIRROR" > "$BUILD/first-stage.log" 2>&1 ||
  { tail -20 "$BUILD/first-stage.log" >&2; a64_die "debootstrap's first stage failed"; }

a64_log "second stage, emulated (a few minutes)"
# Own mount, network and UTS namespaces: no maintainer script can start a daemon listening on
# this machine's network, and /proc mounted by debootstrap goes away with the namespace.
unshare -m -n -u --propagation private chroot "$ROOT" /debootstrap/debootstrap --second-stage \
  > "$BUILD/second-stage.log" 2>&1 ||
  { tail -20 "$BUILD/second-stage.log" >&2; tail -20 "$ROOT/debootstrap/debootstrap.log" >&2 2>/dev/null; a64_die "debootstrap's second stage failed"; }

a64_log "configuring"
# Host keys are made per host by host.sh; a tarball's keys would be shared by every copy.
rm -f "$ROOT"/etc/ssh/ssh_host_*
# Nothing in the lab starts services through init scripts; keep it that way on upgrades too.
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d" && chmod 755 "$ROOT/usr/sbin/policy-rc.d"
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb
: > "$ROOT/etc/machine-id"
echo "$ARM64_ROOTFS_VERSION" > "$ROOT/etc/meshpilot-rootfs-version"
# The apt source a real Pi would have, so `apt-get install` on it names the right mirror.
echo "deb $MIRROR $ARM64_SUITE main" > "$ROOT/etc/apt/sources.list"

a64_log "packing"
tar --numeric-owner --xattrs --acls -C "$ROOT" -cf - . | zstd -q -T0 -10 -o "$ARM64_TARBALL.tmp"
mv "$ARM64_TARBALL.tmp" "$ARM64_TARBALL"
a64_log "built $ARM64_TARBALL ($(du -h "$ARM64_TARBALL" | cut -f1), rootfs $(du -sh "$ROOT" | cut -f1)) in $(($(date +%s) - start)) s"
echo "$ARM64_TARBALL"
