#!/usr/bin/env bash
# Tears the lab down: every process in its namespaces (sshd, wireguard-go, the bot,
# device agents), Synapse, the namespaces and their links. Files stay in the lab
# directory for inspection; the next up reuses them.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || die "the lab needs root"

stop_pidfile() {
  local file="$1"
  pid_alive "$file" || return 0
  local pid; pid=$(cat "$file")
  kill "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop_pidfile "$LAB_DIR/synapse/synapse.pid"
source "$REPO/lab/arm64/lab-hook.sh" && arm64_lab_down
stop_pidfile "$LAB_DIR/hosts/$PULL_PC/relay.pid"
stop_pidfile "$LAB_DIR/hosts/$PULL_PC/holder.pid"
for ns in hub "${PCS[@]}" "$PULL_PC"; do
  netns_exists "$ns" || continue
  pids=$(ip netns pids "$ns" 2>/dev/null)
  [ -n "$pids" ] && kill $pids 2>/dev/null
  for _ in $(seq 50); do [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break; sleep 0.1; done
  pids=$(ip netns pids "$ns" 2>/dev/null)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null
done
for ns in "${PCS[@]}" "$PULL_PC" hub; do
  netns_exists "$ns" && ip netns del "$ns"
done
ip link show "$ROOT_IF" >/dev/null 2>&1 && ip link del "$ROOT_IF"
# Only the name: the namespace itself is the one this machine runs in.
netns_exists "$ROOT_NETNS" && ip netns del "$ROOT_NETNS"
# wireguard-go removes its socket on exit; a killed one may leave a stale socket behind.
for sock in /run/wireguard/*.sock; do
  [ -S "$sock" ] || continue
  name=$(basename "$sock" .sock)
  ip link show "$name" >/dev/null 2>&1 || rm -f "$sock"
done
rm -f /etc/sudoers.d/meshpilot-lab

left=""
for ns in hub "${PCS[@]}" "$PULL_PC" pi; do netns_exists "$ns" && left+=" namespace:$ns"; done
ip link show "$ROOT_IF" >/dev/null 2>&1 && left+=" link:$ROOT_IF"
pid_alive "$LAB_DIR/synapse/synapse.pid" && left+=" synapse"
pid_alive "$LAB_DIR/bot.pid" && left+=" bot"
[ -z "$left" ] || die "left behind:$left"
log "down"
