#!/usr/bin/env bash
# One lab host whose userland is Debian 12 arm64: its own network namespace, the cached
# arm64 rootfs (lab/arm64/rootfs.sh) unpacked under the host's directory, and the rootfs's
# own /usr/sbin/sshd running chrooted into it under qemu-aarch64-static (binfmt_misc), so
# `uname -m` over SSH says aarch64 and everything the bot runs there (sh, sudo, wg-quick,
# wireguard-go, the arm64 device agent) is the arm64 build, emulated.
#
#   lab/arm64/host.sh up NS ADDR/PREFIX [options]
#     --link-ns NS2    the namespace holding the other end of the host's eth0 (default: this one)
#     --bridge BR      put that end into bridge BR there (the lab: --link-ns hub --bridge lan0)
#     --peer-addr A/P  give that end an address (a stand-alone host: a /30 to this namespace)
#     --gateway IP     the host's default route
#     --user NAME      the login user, with passwordless sudo (default: lucas, like pc1)
#     --key FILE       the public key allowed to log in (default: the lab bot's key)
#     --dir DIR        the host's directory (default: $LAB_DIR/hosts/NS)
#   lab/arm64/host.sh down NS [--link-ns NS2] [--dir DIR] [--purge]
#     every process in NS, NS itself (and so its veth), the unpacked rootfs; --purge also
#     the directory with the host key (kept otherwise, so the bot's pinned key stays valid)
#   lab/arm64/host.sh status NS [--dir DIR]
#
# up is idempotent: what is already there is kept. The chroot's mounts (/proc, /sys, /dev,
# a tmpfs /run with /run/wireguard) live in the host's private mount namespace and vanish
# with its last process, so nothing is ever mounted in this machine's own mount namespace.
set -euo pipefail
source "$(dirname "$0")/common.sh"

LAB_DIR="${MESHPILOT_LAB_DIR:-/var/lib/meshpilot-lab}"
usage() { sed -n '8,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
netns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

action="${1:-}"; ns="${2:-}"
[ -n "$action" ] && [ -n "$ns" ] || usage
shift 2
addr=""
if [ "$action" = up ]; then addr="${1:-}"; [ -n "$addr" ] || usage; shift; fi
[[ -z "$addr" || "$addr" == */* ]] || a64_die "ADDR must carry its prefix length (192.0.2.21/24)"
link_ns="" bridge="" peer_addr="" gateway="" user="lucas" key="$LAB_DIR/bot/id_ed25519.pub" dir="" purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --link-ns) link_ns="$2"; shift 2 ;;
    --bridge) bridge="$2"; shift 2 ;;
    --peer-addr) peer_addr="$2"; shift 2 ;;
    --gateway) gateway="$2"; shift 2 ;;
    --user) user="$2"; shift 2 ;;
    --key) key="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --purge) purge=1; shift ;;
    *) usage ;;
  esac
done
[[ "$ns" =~ ^[a-z][a-z0-9-]{0,10}$ ]] || a64_die "NS must be a short lowercase name (its veth is NS-lan, at most 15 characters)"
[ "$(id -u)" = 0 ] || a64_die "the arm64 host needs root (namespaces, chroot, binfmt_misc)"
dir="${dir:-$LAB_DIR/hosts/$ns}"
ROOT="$dir/rootfs"
PIDFILE="$ROOT/meshpilot/sshd.pid"
in_link_ns() { if [ -n "$link_ns" ]; then ip netns exec "$link_ns" "$@"; else "$@"; fi; }
# The host runs while the process holding its PID namespace (unshare, outside) does.
HOSTPID="$dir/host.pid"
sshd_alive() { [ -f "$HOSTPID" ] && kill -0 "$(cat "$HOSTPID")" 2>/dev/null && netns_exists "$ns" && ip netns pids "$ns" | grep -qx "$(cat "$HOSTPID")"; }
ms() { date +%s%3N; }

unpack_rootfs() {
  if [ "$(cat "$ROOT/etc/meshpilot-rootfs-version" 2>/dev/null)" = "$ARM64_ROOTFS_VERSION" ]; then return 0; fi
  [ -s "$ARM64_TARBALL" ] || "$ARM64_DIR/rootfs.sh" >/dev/null
  local t0; t0=$(ms)
  rm -rf --one-file-system "$ROOT.new" "$ROOT"
  mkdir -p "$ROOT.new"
  zstd -q -dc "$ARM64_TARBALL" | tar --numeric-owner --xattrs --acls -C "$ROOT.new" -xf -
  mv "$ROOT.new" "$ROOT"
  a64_log "$ns: unpacked the arm64 rootfs in $(($(ms) - t0)) ms"
}

configure_rootfs() {
  mkdir -p "$dir/ssh" "$ROOT/meshpilot"
  # The host key lives outside the rootfs so it outlives down/up, as a real PC's does.
  [ -f "$dir/ssh/host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N "" -C "$ns" -f "$dir/ssh/host_ed25519_key"
  install -m 600 "$dir/ssh/host_ed25519_key" "$ROOT/etc/ssh/ssh_host_ed25519_key"
  install -m 644 "$dir/ssh/host_ed25519_key.pub" "$ROOT/etc/ssh/ssh_host_ed25519_key.pub"
  [ -f "$key" ] || a64_die "no public key at $key (--key FILE)"
  install -m 644 "$key" "$ROOT/etc/ssh/meshpilot_authorized_keys"
  # useradd/usermod -R: this machine's (native) tools, working on the rootfs's account files.
  if ! grep -q "^$user:" "$ROOT/etc/passwd"; then
    useradd -R "$ROOT" --create-home --shell /bin/bash "$user"
  fi
  # "*": no password, not locked — sshd without PAM refuses locked accounts even for keys.
  usermod -R "$ROOT" -p '*' "$user"
  echo "$user ALL=(ALL) NOPASSWD:ALL" > "$ROOT/etc/sudoers.d/meshpilot-lab"
  chmod 440 "$ROOT/etc/sudoers.d/meshpilot-lab"
  echo "$ns" > "$ROOT/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost ip6-localhost ip6-loopback\n' "$ns" > "$ROOT/etc/hosts"
  cat > "$ROOT/etc/ssh/sshd_config.lab" <<CONF
# Written by lab/arm64/host.sh: the arm64 lab host's sshd, like lab/lib.sh's start_sshd.
ListenAddress ${addr%/*}:22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /meshpilot/sshd.pid
AuthorizedKeysFile /etc/ssh/meshpilot_authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
CONF
}

make_netns() {
  netns_exists "$ns" || ip netns add "$ns"
  ip -n "$ns" link set lo up
  if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
    in_link_ns ip link add "$ns-lan" type veth peer name eth0 netns "$ns"
  fi
  [ -z "$bridge" ] || in_link_ns ip link set "$ns-lan" master "$bridge"
  if [ -n "$peer_addr" ] && ! in_link_ns ip -o addr show dev "$ns-lan" | grep -q " ${peer_addr%/*}/"; then
    in_link_ns ip addr add "$peer_addr" dev "$ns-lan"
  fi
  in_link_ns ip link set "$ns-lan" up
  ip -n "$ns" -o addr show dev eth0 | grep -q " ${addr%/*}/" || ip -n "$ns" addr add "$addr" dev eth0
  ip -n "$ns" link set eth0 up
  [ -z "$gateway" ] || ip -n "$ns" route replace default via "$gateway"
}

start_sshd() {
  local t0; t0=$(ms)
  rm -f "$PIDFILE"
  # Private mount, UTS and PID namespaces inside NS: the chroot's mounts, the host name and
  # the process table are this host's alone (a root pkill on another lab host, which shares
  # this machine's PID namespace, cannot reach pi's agent; ps on pi shows pi). /run is a
  # tmpfs: sshd's privilege separation directory, and wireguard-go's control sockets under
  # /run/wireguard. sshd -D is the namespace's init: it reaps what its sessions leave behind.
  setsid ip netns exec "$ns" unshare -m -u -p -f --propagation private sh -ec "
    mount -t proc proc '$ROOT/proc'
    mount -t sysfs sysfs '$ROOT/sys'
    mount --rbind /dev '$ROOT/dev'
    mount -t tmpfs -o mode=755 tmpfs '$ROOT/run'
    mkdir -p '$ROOT/run/sshd' '$ROOT/run/wireguard' '$ROOT/run/lock'
    hostname '$ns'
    exec chroot '$ROOT' /usr/sbin/sshd -D -f /etc/ssh/sshd_config.lab -E /var/log/sshd-lab.log" \
    < /dev/null >> "$dir/host.log" 2>&1 &
  echo $! > "$HOSTPID"
  for _ in $(seq 300); do sshd_alive && [ -s "$PIDFILE" ] && break; sleep 0.1; done
  sshd_alive && [ -s "$PIDFILE" ] || a64_die "$ns: sshd did not start: see $dir/host.log and $ROOT/var/log/sshd-lab.log"
  a64_log "$ns: arm64 sshd up on ${addr%/*}:22 in $(($(ms) - t0)) ms"
}

# TERM first (wireguard-go and the agent exit cleanly), then KILL: emulated processes on a
# busy machine may take a while, and KILL of the PID namespace's init ends all of them.
kill_netns_processes() {
  local pids
  for signal in TERM KILL; do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    kill -s "$signal" $pids 2>/dev/null || true
    for _ in $(seq 30); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && return 0; sleep 0.1; done
  done
  [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] || a64_die "$ns: processes survived SIGKILL: $(ip netns pids "$ns" | tr '\n' ' ')"
}

case "$action" in
  up)
    ensure_binfmt
    if sshd_alive; then a64_log "$ns: already up"; exit 0; fi
    # A half-made host (sshd died): start again from its processes, keep its files.
    netns_exists "$ns" && kill_netns_processes
    unpack_rootfs
    configure_rootfs
    make_netns
    start_sshd
    ;;
  down)
    if netns_exists "$ns"; then
      kill_netns_processes
      ip netns del "$ns"
    fi
    # The veth went with the namespace; a link left in the link namespace by a failed up does not.
    in_link_ns ip link del "$ns-lan" 2>/dev/null || true
    # Nothing may still be mounted under the rootfs (the mounts died with sshd's namespace).
    if grep -q " $ROOT/" /proc/self/mountinfo; then a64_die "$ns: something is still mounted under $ROOT"; fi
    rm -rf --one-file-system "$ROOT" "$ROOT.new"
    rm -f "$HOSTPID"
    [ "$purge" = 0 ] || rm -rf --one-file-system "$dir"
    left=""
    netns_exists "$ns" && left+=" namespace:$ns"
    in_link_ns ip link show "$ns-lan" >/dev/null 2>&1 && left+=" link:$ns-lan"
    [ -e "$ROOT" ] && left+=" $ROOT"
    [ -z "$left" ] || a64_die "$ns: left behind:$left"
    a64_log "$ns: down"
    ;;
  status)
    if sshd_alive; then echo "$ns: up (pid $(cat "$HOSTPID"))"; else echo "$ns: down"; exit 1; fi
    ;;
  *) usage ;;
esac
