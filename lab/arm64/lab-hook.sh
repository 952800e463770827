# The lab's arm64 host "pi" (Debian 12 arm64 userland, sshd and everything else emulated),
# wired into lab/up.sh and lab/down.sh by one line each, after they source lab/lib.sh:
#   lab/up.sh, at its very end:       source "$REPO/lab/arm64/lab-hook.sh" && arm64_lab_up
#   lab/down.sh, before the netns loop: source "$REPO/lab/arm64/lab-hook.sh" && arm64_lab_down
# MESHPILOT_LAB_ARM64=0 leaves it out (the first up on a machine builds the rootfs, minutes).
# Uses lib.sh's LAB_DIR, REPO, HUB_LAN_IP, ADMIN_USER, log.

ARM64_LAB_NS="pi"
ARM64_LAB_IP="192.0.2.14" # beside pc1-pc3 (192.0.2.11-13) on the hub's lan0
ARM64_LAB_ALIAS="pi-admin"

arm64_lab_enabled() { [ "${MESHPILOT_LAB_ARM64:-1}" != 0 ]; }

# arm64_lab_up: the host on the hub's LAN like pc1 (lucas with NOPASSWD sudo, the bot's key),
# then what the rest of the lab knows about it: its host key in known_hosts, the ssh_hosts
# alias pi-admin in the bot's config, and hosts.pi in lab.json. Idempotent.
arm64_lab_up() {
  arm64_lab_enabled || return 0
  "$REPO/lab/arm64/host.sh" up "$ARM64_LAB_NS" "$ARM64_LAB_IP/24" --link-ns hub --bridge lan0 \
    --gateway "$HUB_LAN_IP" --user "$ADMIN_USER" --key "$LAB_DIR/bot/id_ed25519.pub" \
    --dir "$LAB_DIR/hosts/$ARM64_LAB_NS"
  local key_line
  key_line="$ARM64_LAB_IP $(cut -d' ' -f1,2 "$LAB_DIR/hosts/$ARM64_LAB_NS/ssh/host_ed25519_key.pub")"
  grep -qxF "$key_line" "$LAB_DIR/known_hosts" || echo "$key_line" >> "$LAB_DIR/known_hosts"
  if ! grep -q "^  $ARM64_LAB_ALIAS:" "$LAB_DIR/meshpilot.yaml"; then
    sed -i "/^ssh_hosts:\$/a\\  $ARM64_LAB_ALIAS: $ADMIN_USER@$ARM64_LAB_IP" "$LAB_DIR/meshpilot.yaml"
  fi
  ARM64_HOST_JSON="{\"netns\": \"$ARM64_LAB_NS\", \"ip\": \"$ARM64_LAB_IP\", \"adminUser\": \"$ADMIN_USER\", \"home\": \"$LAB_DIR/hosts/$ARM64_LAB_NS/rootfs/home\"}" \
    node -e '
      const fs = require("node:fs");
      const file = process.argv[1];
      const facts = JSON.parse(fs.readFileSync(file, "utf8"));
      facts.hosts[process.argv[2]] = JSON.parse(process.env.ARM64_HOST_JSON);
      fs.writeFileSync(file + ".new", JSON.stringify(facts, null, 2) + "\n");
      fs.renameSync(file + ".new", file);
    ' "$LAB_DIR/lab.json" "$ARM64_LAB_NS"
  log "arm64 host $ARM64_LAB_NS ($ARM64_LAB_IP, ssh_hosts alias $ARM64_LAB_ALIAS) with sshd under qemu-aarch64"
}

# arm64_lab_down: every process in pi, pi and its veth, the unpacked rootfs (the host key stays).
arm64_lab_down() {
  [ -x "$REPO/lab/arm64/host.sh" ] || return 0
  "$REPO/lab/arm64/host.sh" down "$ARM64_LAB_NS" --link-ns hub --dir "$LAB_DIR/hosts/$ARM64_LAB_NS"
}
