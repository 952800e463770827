# Shared settings of the lab, sourced by up.sh and down.sh.
# Addresses are documentation ranges (RFC 5737) and exist only on links this lab makes.
LAB_DIR="${MESHPILOT_LAB_DIR:-/var/lib/meshpilot-lab}"
CACHE="${MESHPILOT_CACHE:-$HOME/.cache/meshpilot}"
VENV="$CACHE/synapse-venv"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

SERVER_NAME="meshpilot.test"
HS_PORT=8008
# Root namespace <-> hub: the operator's side (Synapse, tests, Element) and the hub.
ROOT_IP="198.51.100.1"
HUB_UPLINK_IP="198.51.100.2"
ROOT_IF="mp-hub"
# The hub's LAN, a bridge inside the hub namespace; PCs hang off it.
HUB_LAN_IP="192.0.2.1"
PCS=(pc1 pc2)
declare -A PC_IP=([pc1]=192.0.2.11 [pc2]=192.0.2.12)
AS_PORT=9000

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
