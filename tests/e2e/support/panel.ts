import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { LabFacts } from "../../../lab/facts";
import type { LabMatrixClient, MatrixEvent } from "../../../lab/matrix-client";
import { STANDIN_KEY } from "./agents";

export const PANEL_PORT = 8461;
export const PANEL_URL = `http://127.0.0.1:${PANEL_PORT}`;
export const LOGIN_TTL_S = 20;

/**
 * The lab's bot config plus the panel on loopback in the hub namespace (where Chromium runs
 * too), a second operator (the lab's stranger), short health timers, the model stand-in, and
 * a state directory of its own.
 */
export function writePanelConfig(facts: LabFacts, llmBaseUrl: string): string {
  const doc = parseDocument(readFileSync(facts.botConfig, "utf8"));
  const keyFile = join(facts.labDir, "secrets", "llm-key-panel");
  writeFileSync(keyFile, STANDIN_KEY);
  chmodSync(keyFile, 0o600);
  doc.set("state_dir", join(facts.labDir, "bot-state-panel"));
  doc.set("operators", [facts.operator.userId, facts.stranger.userId]);
  doc.set("health", {
    interval_s: 3,
    stale_after_s: 170,
    probe_timeout_s: 2,
    probe_retries: 1,
    concurrency: 8,
    flap_window_s: 60,
    flap_max_alerts: 50,
  });
  doc.set("revoke", { code_ttl_s: 300 });
  doc.set("llm", {
    api_key_file: keyFile,
    base_url: llmBaseUrl,
    retries: 1,
    retry_base_ms: 50,
    request_timeout_s: 20,
    approval_timeout_s: 300,
  });
  doc.set("panel", {
    bind_address: "127.0.0.1",
    port: PANEL_PORT,
    public_url: PANEL_URL,
    login_ttl_s: LOGIN_TTL_S,
  });
  const file = join(facts.labDir, "meshpilot-panel-test.yaml");
  writeFileSync(file, doc.toString());
  return file;
}

/** The login link the bot sent `who` (an m.text mentioning them) after their `!panel`. */
export async function panelLinkFor(
  watcher: LabMatrixClient,
  roomId: string,
  botUserId: string,
  who: string,
  after: string,
  timeoutMs: number,
): Promise<string> {
  const event: MatrixEvent = await watcher.waitForAfter(
    after,
    (e) =>
      e.room_id === roomId &&
      e.sender === botUserId &&
      e.content.msgtype === "m.text" &&
      typeof e.content.body === "string" &&
      e.content.body.includes("/login/") &&
      (e.content["m.mentions"] as { user_ids?: string[] } | undefined)?.user_ids?.includes(who) === true,
    timeoutMs,
    `the panel link for ${who}`,
  );
  return /(http:\/\/\S+\/login\/[A-Za-z0-9_-]+)/.exec(event.content.body as string)![1]!;
}

/** Polls until the condition holds (an event on real state), with a deadline. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
