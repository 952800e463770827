import { UserError } from "../../common/errors";
import { validHome } from "../../device-agent/manifest/render";
import { SUPPORTED_TARGETS } from "../targets/builds";
import type { TargetFacts } from "../targets/types";

export interface BundleTarget {
  os: string;
  arch: string;
  user: string;
  home?: string | undefined;
}

const USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/** The account's usual home when --home is not given; install.sh checks it against the PC's account database. */
export function defaultHome(os: string, user: string): string {
  if (user === "root") return os === "darwin" ? "/var/root" : "/root";
  return os === "darwin" ? `/Users/${user}` : `/home/${user}`;
}

/**
 * What push would detect, taken from the flags instead: a bundle is made before the PC is
 * seen. Windows is refused: its scheduled task names the account by SID, which only the
 * PC knows (pull reads it in the PC's hello) — enroll a Windows PC with --via pull.
 */
export function bundleFacts(t: BundleTarget): TargetFacts {
  if (t.os === "windows")
    throw new UserError(
      "bundles are for Linux and macOS: a Windows agent's scheduled task needs the account's SID, which only the PC knows — use !add-pc <name> --via pull --os windows",
    );
  if (!(SUPPORTED_TARGETS as readonly string[]).includes(`${t.os}-${t.arch}`))
    throw new UserError(
      `there is no device agent for ${t.os}/${t.arch} — bundles exist for ${SUPPORTED_TARGETS.filter((s) => !s.startsWith("windows")).join(", ")} (as --os OS --arch ARCH)`,
    );
  if (!USER.test(t.user))
    throw new UserError(
      `--user ${JSON.stringify(t.user)} is not an account name — give the login name the agent runs as`,
    );
  const home = t.home ?? defaultHome(t.os, t.user);
  if (!validHome(home))
    throw new UserError(
      `--home ${JSON.stringify(home)}: the agent's manifest needs an absolute path without quotes, $, .. or glob characters`,
    );
  return {
    os: t.os,
    arch: t.arch,
    osPretty: `${t.os}/${t.arch}`,
    home,
    user: t.user,
    isRoot: t.user === "root",
    init: t.os === "darwin" ? "launchd" : "systemd",
    packageManager: "none",
    hasWgQuick: true,
    canSudo: true,
  };
}

/** --ttl: 7d, 12h, 30m, 90s or plain seconds; between 1 minute and 90 days (default 7 days). */
export function parseTtl(text: string | undefined): number {
  if (text === undefined) return 7 * 86_400;
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as "" | "s"] : NaN;
  if (!Number.isFinite(seconds) || seconds < 60 || seconds > 90 * 86_400)
    throw new UserError(`--ttl ${JSON.stringify(text)}: give a time between 1m and 90d, e.g. 7d, 12h or 30m`);
  return seconds;
}
