import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { BotProcess } from "../../../lab/bot-process";
import type { LabFacts } from "../../../lab/facts";
import type { LabMatrixClient, MatrixEvent } from "../../../lab/matrix-client";
import { readManifestTemplate, renderManifest } from "../../../device-agent/manifest/render";
import type { Manifest } from "../../../device-agent/manifest/schema";
import { agentExecutable, waitForOutput } from "./device-agent";

export const STANDIN_KEY = "sk-standin-e2e-0123456789";

/**
 * The lab's bot config plus an llm section pointing the real SDK at the Messages API
 * stand-in (which runs in the test process, in the hub namespace like the bot).
 */
export function writeAgentsConfig(facts: LabFacts, name: string, llm: Record<string, unknown>): string {
  const doc = parseDocument(readFileSync(facts.botConfig, "utf8"));
  const keyFile = join(facts.labDir, "secrets", `llm-key-${name}`);
  writeFileSync(keyFile, STANDIN_KEY);
  chmodSync(keyFile, 0o600);
  // Its own state directory: another test's fresh start wipes the lab's, not this one.
  doc.set("state_dir", join(facts.labDir, `bot-state-${name}`));
  doc.set("llm", { api_key_file: keyFile, retries: 1, retry_base_ms: 50, request_timeout_s: 20, ...llm });
  const file = join(facts.labDir, `meshpilot-${name}.yaml`);
  writeFileSync(file, doc.toString());
  return file;
}

/**
 * The built device agent serving on pc1's LAN address inside the pc1 namespace (the mesh is
 * the lead's part; the bot reaches this address exactly as it would a mesh IP).
 */
export async function startPc1Agent(
  facts: LabFacts,
  repo: string,
  dir: string,
  port: number,
  secret: string,
): Promise<{ child: ChildProcess; home: string; manifest: Manifest }> {
  rmSync(dir, { recursive: true, force: true });
  const home = join(dir, "home", "lucas");
  mkdirSync(home, { recursive: true });
  writeFileSync(join(dir, "secret"), secret);
  chmodSync(join(dir, "secret"), 0o600);
  const doc = parseDocument(renderManifest(readManifestTemplate("linux"), { user: "lucas" }).text);
  doc.set("paths_allowed", [`${home}/**`]);
  doc.set("default_cwd", home);
  writeFileSync(join(dir, "manifest.yaml"), doc.toString());
  const manifest = renderManifest(doc.toString(), { user: "lucas" }).manifest;
  writeFileSync(
    join(dir, "agent.yaml"),
    `listen: { address: ${facts.hosts.pc1!.ip}, port: ${port} }\nsecret_file: secret\nmanifest: manifest.yaml\naudit_db: audit.db\n`,
  );
  const child = spawn(
    "ip",
    ["netns", "exec", "pc1", agentExecutable(repo), "--config", join(dir, "agent.yaml")],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  await waitForOutput(child, /"msg":"device agent listening"/, 20_000);
  return { child, home, manifest };
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/** The agent's m.text in the room after `after` that satisfies `match`. */
export function agentSays(
  client: LabMatrixClient,
  roomId: string,
  agent: string,
  after: string,
  match: (body: string) => boolean,
  timeoutMs: number,
  what: string,
): Promise<MatrixEvent> {
  return client.waitForAfter(
    after,
    (e) =>
      e.type === "m.room.message" &&
      e.room_id === roomId &&
      e.sender === agent &&
      typeof e.content.body === "string" &&
      match(e.content.body),
    timeoutMs,
    what,
  );
}

/** Waits for the bot to log a line matching `pattern` (an event in its log, with a timeout). */
export async function waitForBotLog(bot: BotProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(bot.log)) {
    if (Date.now() > deadline) throw new Error(`the bot did not log ${pattern} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
