import { fail, pass, type Check } from "./types";

const LABEL = "hub WireGuard interface";

/** The bot enrols peers with `wg set` on this interface; it must exist and be readable. */
export const wireguardCheck: Check = {
  label: LABEL,
  applies: ({ config }) => config.mesh !== undefined,
  async run({ config, run }) {
    const mesh = config.mesh!;
    if (mesh.hub_mode === "ssh")
      return pass(LABEL, `not checked here: the hub is ${mesh.hub_ssh ?? "reached over SSH"}`);
    let result;
    try {
      result = await run("wg", ["show", mesh.interface, "public-key"]);
    } catch {
      return fail(LABEL, "wg is not installed", "install wireguard-tools (apt install wireguard-tools)");
    }
    const key = result.stdout.trim();
    if (result.code === 0 && /^[A-Za-z0-9+/]{43}=$/.test(key))
      return pass(LABEL, `${mesh.interface}, ${key}`);
    const why = result.stderr.trim().split("\n")[0] || `exit ${result.code}`;
    const missing = /no such device|unable to access interface/i.test(why);
    return fail(
      LABEL,
      `${mesh.interface}: ${why}`,
      missing
        ? `bring it up: wg-quick up ${mesh.hub_config_file} (and systemctl enable wg-quick@${mesh.interface})`
        : `run as a user allowed to manage WireGuard (root or CAP_NET_ADMIN)`,
    );
  },
};
