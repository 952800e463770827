import { randomBytes } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { UserError } from "../../common/errors";
import { readManifestTemplate, renderManifest, type TemplateOs } from "../../device-agent/manifest/render";
import type { AgentLayout, LocalAgent, TargetFacts } from "../targets/types";

/** What the agent needs on every OS: its executable from the build, and its own config. */

/** The executable for a target and its expected SHA-256, from npm run build:agent's output. */
export function localAgent(agentDir: string, target: string): LocalAgent {
  const name = `device-agent-${target}${target.startsWith("windows") ? ".exe" : ""}`;
  const path = join(agentDir, name);
  let sums: string;
  try {
    sums = readFileSync(join(agentDir, "SHA256SUMS"), "utf8");
  } catch {
    throw new UserError(
      `the device agent is not built (no ${join(agentDir, "SHA256SUMS")}) — run npm run build:agent on the bot's host`,
    );
  }
  const line = sums.split("\n").find((l) => l.trim().endsWith(` ${name}`) || l.trim().endsWith(`*${name}`));
  if (!line)
    throw new UserError(
      `SHA256SUMS in ${agentDir} has no entry for ${name} — rebuild with npm run build:agent`,
    );
  return { path, sha256: line.split(/\s+/)[0]!, bytes: statSync(path).size };
}

/**
 * gzip -1: on the 110 MB linux-amd64 agent, level 1 gives 55.1 MB in 2.3 s and level 6
 * 51.5 MB in 7.6 s (level 9: 51.3 MB, 17.6 s); gunzip on the target takes ~0.8 s at every
 * level. Level 1 keeps the first add after a build fast when the bot makes the file itself.
 */
export const AGENT_GZIP_LEVEL = 1;

/** The agent as it goes over the wire: gzip of the executable, and how many bytes that is. */
export interface CompressedAgent {
  bytes: number;
  open(): NodeJS.ReadableStream;
}

/** Where the compressed copy of an executable is cached: next to it, keyed by its SHA-256. */
export function compressedPath(agent: LocalAgent): string {
  return `${agent.path}.${agent.sha256.slice(0, 16)}.gz`;
}

const compressing = new Map<string, Promise<CompressedAgent>>();

/**
 * The gzip of the agent, from dist/agent/*.gz (npm run build:agent makes them) or made
 * once here and kept there, so an add never recompresses; where the agent directory is
 * read-only, kept in the system's temp directory instead.
 */
export function compressedAgent(agent: LocalAgent): Promise<CompressedAgent> {
  const path = compressedPath(agent);
  let made = compressing.get(path);
  if (!made) {
    made = cachedGzip(agent.path, path).catch(() =>
      cachedGzip(agent.path, join(tmpdir(), `meshpilot-${basename(path)}`)),
    );
    compressing.set(path, made);
    // Concurrent adds share one compression; later ones find the file.
    const forget = (): void => void compressing.delete(path);
    made.then(forget, forget);
  }
  return made;
}

async function cachedGzip(source: string, path: string): Promise<CompressedAgent> {
  if (!existsSync(path)) {
    // Written aside and renamed, so a concurrent add never reads half a file.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await pipeline(
        createReadStream(source),
        createGzip({ level: AGENT_GZIP_LEVEL }),
        createWriteStream(tmp),
      );
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  return { bytes: statSync(path).size, open: () => createReadStream(path) };
}

/** The device's manifest: its OS's template for the user and home the target reported. */
export function manifestFor(
  facts: Pick<TargetFacts, "os" | "user" | "home">,
): ReturnType<typeof renderManifest> {
  return renderManifest(readManifestTemplate(facts.os as TemplateOs), { user: facts.user, home: facts.home });
}

/** The agent's own config: it listens on the mesh IP only. */
export function agentConfigYaml(meshIp: string, port: number, files: AgentLayout): string {
  return [
    "# written by meshpilot",
    "listen:",
    `  address: ${meshIp}`,
    `  port: ${port}`,
    `secret_file: ${files.secret}`,
    `manifest: ${files.manifest}`,
    `audit_db: ${files.audit}`,
    "log_level: info",
    "",
  ].join("\n");
}
