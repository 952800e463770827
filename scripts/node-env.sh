# Sourced by every script: puts Node 24 first on PATH when scripts/install-deps.sh installed it
# (the system Node is older), and tells node-gyp where its headers are. Safe to source twice.
MESHPILOT_NODE_VERSION="24.22.3"
MESHPILOT_NODE_DIR="${MESHPILOT_CACHE:-$HOME/.cache/meshpilot}/node-$MESHPILOT_NODE_VERSION"
if [ -x "$MESHPILOT_NODE_DIR/bin/node" ]; then
  case ":$PATH:" in
    *":$MESHPILOT_NODE_DIR/bin:"*) ;;
    *) export PATH="$MESHPILOT_NODE_DIR/bin:$PATH" ;;
  esac
  export npm_config_nodedir="$MESHPILOT_NODE_DIR"
fi
