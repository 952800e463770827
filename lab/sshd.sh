#!/usr/bin/env bash
# Controls one lab host's sshd, for tests of dropped connections and changed host keys:
#   lab/sshd.sh HOST restart   stop every sshd of HOST (sessions too) and start it again
#   lab/sshd.sh HOST rekey     restart it with a new host key (as if the machine was reinstalled)
#   lab/sshd.sh HOST restore   restart it with its original host key
set -euo pipefail
source "$(dirname "$0")/lib.sh"
host="${1:?usage: lab/sshd.sh HOST restart|rekey|restore}"
action="${2:?usage: lab/sshd.sh HOST restart|rekey|restore}"
private=$([ "$host" = hub ] && echo 0 || echo 1)
mkdir -p /run/sshd
stop_sshd "$host"
case "$action" in
  restart | restore) start_sshd "$host" "$(host_ip "$host")" "$private" ;;
  rekey)
    key="$LAB_DIR/hosts/$host/ssh/rekeyed_ed25519_key"
    rm -f "$key" "$key.pub"
    start_sshd "$host" "$(host_ip "$host")" "$private" "$key"
    ;;
  *) die "unknown action $action" ;;
esac
