#!/usr/bin/env bash
# Brings up the real-parts lab: network namespaces hub/pc1/pc2 with their own sshd and
# WireGuard tools, and Synapse (from PyPI, in a venv) loading the bot's registration.
# Idempotent: what is already up is left as it is. Needs root.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, sshd): run it as root"
for tool in ip wireguard-go wg wg-quick sshd sudo unshare; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || die "$tool is missing: run scripts/install-deps.sh"
done
[ -x "$VENV/bin/python" ] || die "Synapse is not installed in $VENV: run scripts/install-deps.sh"
[ -f "$REPO/dist/cli/main.js" ] || die "meshpilot is not built: run npm run build"

mkdir -p "$LAB_DIR" && chmod 755 "$LAB_DIR"
mkdir -p "$LAB_DIR/secrets" && chmod 700 "$LAB_DIR/secrets"

secret() { # name -> file holding a random token, made once
  local file="$LAB_DIR/secrets/$1"
  [ -s "$file" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$file")
  echo "$file"
}

# --- users on the (shared) system: the PCs' SSH logins --------------------------------
for user in "$ADMIN_USER" "$VIEWER_USER"; do
  id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  # "*": no password, but not locked — sshd (without PAM) refuses locked accounts even for keys.
  usermod -p '*' "$user"
done
echo "$ADMIN_USER ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/meshpilot-lab && chmod 440 /etc/sudoers.d/meshpilot-lab

# --- the bot's SSH key ----------------------------------------------------------------
mkdir -p "$LAB_DIR/bot" && chmod 700 "$LAB_DIR/bot"
[ -f "$LAB_DIR/bot/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C "meshpilot-lab-bot" -f "$LAB_DIR/bot/id_ed25519"

# --- network ---------------------------------------------------------------------------
netns_exists "$ROOT_NETNS" || ip netns attach "$ROOT_NETNS" $$
if ! netns_exists hub; then
  log "namespaces and links"
  ip netns add hub
  ip -n hub link set lo up
  ip link add "$ROOT_IF" type veth peer name uplink0 netns hub
  ip addr add "$ROOT_IP/30" dev "$ROOT_IF"
  ip link set "$ROOT_IF" up
  ip -n hub addr add "$HUB_UPLINK_IP/30" dev uplink0
  ip -n hub link set uplink0 up
  ip -n hub link add lan0 type bridge
  ip -n hub addr add "$HUB_LAN_IP/24" dev lan0
  ip -n hub link set lan0 up
fi
for pc in "${PCS[@]}"; do
  netns_exists "$pc" && continue
  ip netns add "$pc"
  ip -n "$pc" link set lo up
  ip -n hub link add "$pc-lan" type veth peer name eth0 netns "$pc"
  ip -n hub link set "$pc-lan" master lan0 up
  ip -n "$pc" addr add "${PC_IP[$pc]}/24" dev eth0
  ip -n "$pc" link set eth0 up
  ip -n "$pc" route add default via "$HUB_LAN_IP"
done

# --- one sshd per host, each with its own host key (start_sshd is in lib.sh) ---------
mkdir -p /etc/wireguard
start_sshd hub "$HUB_LAN_IP" 0
for pc in "${PCS[@]}"; do start_sshd "$pc" "${PC_IP[$pc]}" 1; done

# --- pc4: the pull-enrollment PC behind "NAT" (no sshd, no route from the hub) -----------
if ! netns_exists "$PULL_PC"; then
  ip netns add "$PULL_PC"
  ip -n "$PULL_PC" link set lo up
  # The hub's address, on pc4's own loopback: the relay answers there for the hub.
  ip -n "$PULL_PC" addr add "$HUB_LAN_IP/32" dev lo
fi
pull_dir="$LAB_DIR/hosts/$PULL_PC"
mkdir -p "$pull_dir/home/$ADMIN_USER" "$pull_dir/root" "$pull_dir/etc-wireguard"
chown "$ADMIN_USER:$ADMIN_USER" "$pull_dir/home/$ADMIN_USER" && chmod 750 "$pull_dir/home/$ADMIN_USER"
chmod 700 "$pull_dir/root" "$pull_dir/etc-wireguard"
if ! pid_alive "$pull_dir/holder.pid"; then
  ip netns exec "$PULL_PC" unshare -m --propagation private sh -c "
    mount --bind '$pull_dir/home' /home &&
    mount --bind '$pull_dir/root' /root &&
    mount --bind '$pull_dir/etc-wireguard' /etc/wireguard &&
    mkdir -p /run/wireguard && mount -t tmpfs -o mode=755 tmpfs /run/wireguard &&
    exec sleep infinity" </dev/null >/dev/null 2>&1 &
  echo $! > "$pull_dir/holder.pid"
fi
if ! pid_alive "$pull_dir/relay.pid"; then
  python3 "$REPO/lab/relay.py" --listen-ns "$PULL_PC" --connect-ns hub \
    --tcp "$HUB_LAN_IP:$ENROLL_PORT=$HUB_LAN_IP:$ENROLL_PORT" \
    --udp-map "$HUB_LAN_IP:$MESH_PORT=$HUB_LAN_IP:$MESH_PORT" > "$pull_dir/relay.log" 2>&1 &
  echo $! > "$pull_dir/relay.pid"
  for _ in $(seq 100); do grep -q "relay ready" "$pull_dir/relay.log" && break; sleep 0.1; done
  grep -q "relay ready" "$pull_dir/relay.log" || die "the relay for $PULL_PC did not start: see $pull_dir/relay.log"
fi

# known_hosts for the lab's own checks (the bot pins keys itself)
: > "$LAB_DIR/known_hosts"
for host in hub "${PCS[@]}"; do
  ip=$([ "$host" = hub ] && echo "$HUB_LAN_IP" || echo "${PC_IP[$host]}")
  echo "$ip $(cut -d' ' -f1,2 "$LAB_DIR/hosts/$host/ssh/host_ed25519_key.pub")" >> "$LAB_DIR/known_hosts"
done

# --- the hub's WireGuard interface, into which the bot enrolls devices -----------------
HUB_WG="$LAB_DIR/hub-wireguard"
mkdir -p "$HUB_WG" && chmod 700 "$HUB_WG"
if [ ! -f "$HUB_WG/$MESH_IF.conf" ]; then
  (umask 077 && printf '[Interface]\nPrivateKey = %s\nListenPort = %s\nAddress = %s/24\n' \
    "$(wg genkey)" "$MESH_PORT" "$MESH_HUB_IP" > "$HUB_WG/$MESH_IF.conf")
fi
if ! ip netns exec hub wg show "$MESH_IF" >/dev/null 2>&1; then
  ip netns exec hub env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 \
    wg-quick up "$HUB_WG/$MESH_IF.conf" >/dev/null 2>&1 || die "the hub's WireGuard interface did not come up: try wg-quick up $HUB_WG/$MESH_IF.conf in the hub namespace"
fi

# --- the bot's configuration and registration ------------------------------------------
AS_TOKEN_FILE=$(secret as_token)
HS_TOKEN_FILE=$(secret hs_token)
cat > "$LAB_DIR/meshpilot.yaml" <<CONF
# Written by lab/up.sh: the bot as it runs in the lab, inside the hub namespace.
homeserver:
  url: http://$ROOT_IP:$HS_PORT
  server_name: $SERVER_NAME
appservice:
  id: meshpilot
  bind_address: $HUB_UPLINK_IP
  port: $AS_PORT
  url: http://$HUB_UPLINK_IP:$AS_PORT
  as_token_file: $AS_TOKEN_FILE
  hs_token_file: $HS_TOKEN_FILE
operators:
  - "@$OPERATOR_USER:$SERVER_NAME"
state_dir: $LAB_DIR/bot-state
ssh:
  key_file: $LAB_DIR/bot/id_ed25519
ssh_hosts:
  pc2-viewer: $VIEWER_USER@${PC_IP[pc2]}
  pc1-admin: $ADMIN_USER@${PC_IP[pc1]}
  pc3-root: root@${PC_IP[pc3]}
mesh:
  interface: $MESH_IF
  subnet: $MESH_SUBNET
  hub_address: $MESH_HUB_IP
  endpoint: $HUB_LAN_IP:$MESH_PORT
  hub_mode: local
  hub_config_file: $HUB_WG/$MESH_IF.conf
  agent_port: 7700
  client_userspace: wireguard-go
  agent_dir: $REPO/dist/agent
  ready_timeout_s: 60
enroll:
  bind_address: $HUB_LAN_IP
  port: $ENROLL_PORT
  public_url: http://$HUB_LAN_IP:$ENROLL_PORT
log:
  level: info
startup:
  homeserver_wait_s: 60
CONF
(umask 077 && node "$REPO/dist/cli/main.js" registration --config "$LAB_DIR/meshpilot.yaml" > "$LAB_DIR/registration.new")
RESTART_SYNAPSE=0
if ! cmp -s "$LAB_DIR/registration.new" "$LAB_DIR/synapse-registration.yaml"; then
  mv "$LAB_DIR/registration.new" "$LAB_DIR/synapse-registration.yaml"
  RESTART_SYNAPSE=1 # Synapse reads its config and registrations only at start
else
  rm -f "$LAB_DIR/registration.new"
fi

# --- Synapse ---------------------------------------------------------------------------
# MESHPILOT_LAB_PUBLIC=1 also listens on every address, for Element on a phone on the
# same network (plain HTTP: a lab, not a deployment).
SYN="$LAB_DIR/synapse"
mkdir -p "$SYN/media"
cat > "$SYN/homeserver.yaml.new" <<CONF
server_name: "$SERVER_NAME"
public_baseurl: http://127.0.0.1:$HS_PORT/
listeners:
  - port: $HS_PORT
    bind_addresses: $([ "${MESHPILOT_LAB_PUBLIC:-}" = 1 ] && echo "['0.0.0.0']" || echo "['127.0.0.1', '$ROOT_IP']")
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: $SYN/homeserver.db
log_config: $SYN/log.config
media_store_path: $SYN/media
signing_key_path: $SYN/signing.key
registration_shared_secret_path: $(secret synapse_registration)
macaroon_secret_key: "$(cat "$(secret synapse_macaroon)")"
form_secret: "$(cat "$(secret synapse_form)")"
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
enable_registration: false
app_service_config_files:
  - $LAB_DIR/synapse-registration.yaml
# The lab's operator sends bursts (benchmarks, tests): lift the per-user limits.
rc_message: {per_second: 1000, burst_count: 1000}
rc_login:
  address: {per_second: 1000, burst_count: 1000}
  account: {per_second: 1000, burst_count: 1000}
  failed_attempts: {per_second: 1000, burst_count: 1000}
rc_joins:
  local: {per_second: 1000, burst_count: 1000}
rc_invites:
  per_room: {per_second: 1000, burst_count: 1000}
  per_user: {per_second: 1000, burst_count: 1000}
# Presence costs CPU on every request and nothing in meshpilot reads it.
presence:
  enabled: false
CONF
if ! cmp -s "$SYN/homeserver.yaml.new" "$SYN/homeserver.yaml"; then
  mv "$SYN/homeserver.yaml.new" "$SYN/homeserver.yaml"
  RESTART_SYNAPSE=1
else
  rm -f "$SYN/homeserver.yaml.new"
fi
cat > "$SYN/log.config" <<CONF
version: 1
formatters:
  precise: {format: '%(asctime)s %(levelname)s %(name)s %(message)s'}
handlers:
  file: {class: logging.FileHandler, formatter: precise, filename: $SYN/homeserver.log}
root: {level: WARNING, handlers: [file]}
disable_existing_loggers: false
CONF
[ -f "$SYN/signing.key" ] || "$VENV/bin/python" -m synapse.app.homeserver -c "$SYN/homeserver.yaml" --generate-keys >/dev/null

hs_up() { curl -fsS -m 2 "http://127.0.0.1:$HS_PORT/health" >/dev/null 2>&1; }
if [ "$RESTART_SYNAPSE" = 1 ] && pid_alive "$SYN/synapse.pid"; then
  log "restarting Synapse for its new configuration"
  pid=$(cat "$SYN/synapse.pid"); kill "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
if ! pid_alive "$SYN/synapse.pid"; then
  log "starting Synapse"
  # Synapse writes its own pid file only when daemonized; keep ours.
  pushd "$SYN" >/dev/null
  setsid "$VENV/bin/python" -m synapse.app.homeserver -c "$SYN/homeserver.yaml" >> "$SYN/stdout.log" 2>&1 < /dev/null &
  echo $! > "$SYN/synapse.pid"
  popd >/dev/null
fi
for _ in $(seq 120); do hs_up && break; sleep 0.5; done
hs_up || die "Synapse did not come up: see $SYN/homeserver.log and $SYN/stdout.log"

register() { # user password admin(0|1)
  local out
  if out=$("$VENV/bin/register_new_matrix_user" -u "$1" -p "$2" $([ "$3" = 1 ] && echo -a || echo --no-admin) \
      -c "$SYN/homeserver.yaml" "http://127.0.0.1:$HS_PORT" 2>&1); then return 0; fi
  grep -q "User ID already taken" <<<"$out" || die "could not register @$1: $out"
}
register "$OPERATOR_USER" "$OPERATOR_PASSWORD" 1
register "$STRANGER_USER" "$STRANGER_PASSWORD" 0

# --- facts for the tests, demo and benchmarks -----------------------------------------
# homeserverUrl works from the root namespace and from inside hub (where the e2e tests
# run, beside the bot); homeserverUrlLocal is what Element on this machine uses.
cat > "$LAB_DIR/lab.json" <<JSON
{
  "labDir": "$LAB_DIR",
  "repo": "$REPO",
  "homeserverUrl": "http://$ROOT_IP:$HS_PORT",
  "homeserverUrlLocal": "http://127.0.0.1:$HS_PORT",
  "serverName": "$SERVER_NAME",
  "botConfig": "$LAB_DIR/meshpilot.yaml",
  "botUserId": "@meshpilot:$SERVER_NAME",
  "alertsAlias": "#operator-alerts:$SERVER_NAME",
  "operator": {"userId": "@$OPERATOR_USER:$SERVER_NAME", "user": "$OPERATOR_USER", "password": "$OPERATOR_PASSWORD"},
  "stranger": {"userId": "@$STRANGER_USER:$SERVER_NAME", "user": "$STRANGER_USER", "password": "$STRANGER_PASSWORD"},
  "botSshKey": "$LAB_DIR/bot/id_ed25519",
  "rootNetns": "/run/netns/$ROOT_NETNS",
  "mesh": {"interface": "$MESH_IF", "subnet": "$MESH_SUBNET", "hubIp": "$MESH_HUB_IP", "hubConfig": "$HUB_WG/$MESH_IF.conf"},
  "knownHosts": "$LAB_DIR/known_hosts",
  "hosts": {
    "hub": {"netns": "hub", "ip": "$HUB_LAN_IP", "uplinkIp": "$HUB_UPLINK_IP"},
    "pc1": {"netns": "pc1", "ip": "${PC_IP[pc1]}", "adminUser": "$ADMIN_USER", "home": "$LAB_DIR/hosts/pc1/home"},
    "pc2": {"netns": "pc2", "ip": "${PC_IP[pc2]}", "adminUser": "$ADMIN_USER", "viewerUser": "$VIEWER_USER", "home": "$LAB_DIR/hosts/pc2/home"},
    "pc3": {"netns": "pc3", "ip": "${PC_IP[pc3]}", "rootHome": "$LAB_DIR/hosts/pc3/root"},
    "pc4": {"netns": "$PULL_PC", "holderPid": "$pull_dir/holder.pid", "adminUser": "$ADMIN_USER", "home": "$pull_dir/home", "enrollUrl": "http://$HUB_LAN_IP:$ENROLL_PORT"}
  }
}
JSON
log "up: Synapse http://127.0.0.1:$HS_PORT ($SERVER_NAME); namespaces hub ($HUB_LAN_IP) $(for p in "${PCS[@]}"; do printf "%s (%s) " "$p" "${PC_IP[$p]}"; done)with sshd; facts in $LAB_DIR/lab.json"
# pi: the arm64 host (Debian arm64 userland under qemu-user; its rootfs is built once and cached).
source "$REPO/lab/arm64/lab-hook.sh" && arm64_lab_up
