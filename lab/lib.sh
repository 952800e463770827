# Shared settings of the lab, sourced by up.sh and down.sh.
# Addresses are documentation ranges (RFC 5737) and exist only on links this lab makes.
LAB_DIR="${MESHPILOT_LAB_DIR:-/var/lib/meshpilot-lab}"
CACHE="${MESHPILOT_CACHE:-$HOME/.cache/meshpilot}"
VENV="$CACHE/synapse-venv"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The lab runs the bot and the CLI with the project's Node (see scripts/node-env.sh).
source "$REPO/scripts/node-env.sh"

SERVER_NAME="meshpilot.test"
HS_PORT=8008
# Root namespace <-> hub: the operator's side (Synapse, tests, Element) and the hub.
ROOT_IP="198.51.100.1"
HUB_UPLINK_IP="198.51.100.2"
ROOT_IF="mp-hub"
# The hub's LAN, a bridge inside the hub namespace; PCs hang off it.
HUB_LAN_IP="192.0.2.1"
PCS=(pc1 pc2 pc3)
# A name for the namespace the lab was brought up from (Synapse's), so tests running inside
# hub can start a process there again (ip netns attach; deleting the name leaves it intact).
ROOT_NETNS="mp-root"
# pc3 is reached as root (its own private /root), like a Raspberry Pi set up with a root login.
declare -A PC_IP=([pc1]=192.0.2.11 [pc2]=192.0.2.12 [pc3]=192.0.2.13)
AS_PORT=9000
# pc4: a PC behind NAT for pull enrollment — no sshd, no link: only loopback, where the hub's
# address answers through lab/relay.py (the enrollment port and WireGuard's UDP), so the hub
# reaches pc4 only through the tunnel pc4 builds. Its holder process keeps its private mounts.
PULL_PC="pc4"
ENROLL_PORT=8448
# The mesh lives only inside the namespaces (the hub's mesh0 and the PCs' tunnels).
MESH_IF="mesh0"
MESH_SUBNET="10.42.0.0/24"
MESH_HUB_IP="10.42.0.1"
MESH_PORT=51820

OPERATOR_USER="operator"
OPERATOR_PASSWORD="operator-lab-password"
STRANGER_USER="stranger"
STRANGER_PASSWORD="stranger-lab-password"
# pc1: an admin with sudo (WireGuard devices); pc2 also has viewer, without sudo (SSH-only devices).
ADMIN_USER="lucas"
VIEWER_USER="viewer"

log() { printf '[lab] %s\n' "$*"; }
die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }
netns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start_sshd HOST LISTEN-IP PRIVATE(0|1) [HOSTKEY]: one sshd for a lab host, in its netns.
mkdir -p /run/sshd
start_sshd() {
  local host="$1" ip="$2" private="$3" dir="$LAB_DIR/hosts/$1"
  local hostkey="${4:-$LAB_DIR/hosts/$1/ssh/host_ed25519_key}"
  mkdir -p "$dir/ssh"
  pid_alive "$dir/sshd.pid" && return 0
  [ -f "$hostkey" ] || ssh-keygen -q -t ed25519 -N "" -C "$host" -f "$hostkey"
  install -m 644 "$LAB_DIR/bot/id_ed25519.pub" "$dir/ssh/authorized_keys"
  cat > "$dir/sshd_config" <<CONF
ListenAddress $ip:22
HostKey $hostkey
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
CONF
  if [ "$private" = 1 ]; then
    # A PC of its own: private /home, /root, /etc/wireguard and /run/wireguard (wireguard-go's
    # control sockets), so every host can use the same interface name, as real PCs do.
    mkdir -p "$dir/home" "$dir/etc-wireguard" "$dir/root" && chmod 700 "$dir/root"
    for user in "$ADMIN_USER" "$VIEWER_USER"; do
      mkdir -p "$dir/home/$user" && chown "$user:$user" "$dir/home/$user" && chmod 750 "$dir/home/$user"
    done
    chmod 700 "$dir/etc-wireguard"
    ip netns exec "$host" unshare -m --propagation private sh -c "
      mount --bind '$dir/home' /home &&
      mount --bind '$dir/root' /root &&
      mount --bind '$dir/etc-wireguard' /etc/wireguard &&
      mkdir -p /run/wireguard && mount -t tmpfs -o mode=755 tmpfs /run/wireguard &&
      exec /usr/sbin/sshd -f '$dir/sshd_config' -E '$dir/sshd.log'"
  else
    ip netns exec "$host" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  fi
  for _ in $(seq 50); do pid_alive "$dir/sshd.pid" && return 0; sleep 0.1; done
  die "sshd for $host did not start: see $dir/sshd.log"
}

host_ip() { if [ "$1" = hub ]; then echo "$HUB_LAN_IP"; else echo "${PC_IP[$1]}"; fi; }

# stop_sshd HOST: the listener and every session it spawned (all sshd processes in the netns).
stop_sshd() {
  local pids
  # (if, not &&: the loop's status must not depend on whether the last process was an sshd)
  pids=$(for p in $(ip netns pids "$1" 2>/dev/null); do if [ "$(cat /proc/$p/comm 2>/dev/null)" = sshd ]; then echo "$p"; fi; done)
  # A session may end between the listing and the kill: that is not a failure.
  [ -n "$pids" ] && { kill $pids 2>/dev/null || true; }
  for _ in $(seq 50); do pid_alive "$LAB_DIR/hosts/$1/sshd.pid" || break; sleep 0.1; done
  rm -f "$LAB_DIR/hosts/$1/sshd.pid"
}
