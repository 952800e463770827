import type { Tool } from "../capabilities/types";
import { ModelError, type Model } from "./model";

/**
 * The fan-out engine behind `!ask`: one question to many devices' agents, at most
 * `concurrency` turns at once, each bounded by `timeoutMs`, and exactly one result row per
 * device — a device that is down, times out or has no model is a row saying so, never a
 * missing line. Nothing here knows Matrix; the bot renders the rows.
 */

/** A device to ask; `down` (a short reason) when it is known not to answer, so no slot is spent on it. */
export interface FanoutTarget {
  name: string;
  down?: string;
}

/** What one device's turn hands back to the engine. */
export type DeviceAnswer =
  | { kind: "answered"; text: string }
  /** The turn ended without an answer (the model failed): one short reason. */
  | { kind: "failed"; reason: string }
  | { kind: "no_model" };

/** Given to each device's turn: the timeout's signal, and where to list calls it did not run. */
export interface FanoutCall {
  signal: AbortSignal;
  /** Calls that needed an operator's approval: skipped, never run (one line each). */
  skipped: string[];
}

export type FanoutRow = { device: string; ms: number; skipped: string[] } & (
  | { kind: "answered"; text: string }
  | { kind: "failed"; reason: string }
  | { kind: "no_model" }
  | { kind: "down"; reason: string }
  | { kind: "timed_out"; afterS: number }
);

export interface FanoutOptions {
  concurrency: number;
  timeoutMs: number;
  now?: () => number;
}

/** Asks every target, `concurrency` at a time; resolves with one row per target, in the targets' order. */
export async function fanOut<T extends FanoutTarget>(
  targets: readonly T[],
  ask: (target: T, call: FanoutCall) => Promise<DeviceAnswer>,
  options: FanoutOptions,
): Promise<FanoutRow[]> {
  const now = options.now ?? Date.now;
  const rows: FanoutRow[] = new Array<FanoutRow>(targets.length);
  const waiting: number[] = [];
  targets.forEach((target, index) => {
    if (target.down !== undefined)
      rows[index] = { device: target.name, ms: 0, skipped: [], kind: "down", reason: target.down };
    else waiting.push(index);
  });
  const worker = async (): Promise<void> => {
    for (let index = waiting.shift(); index !== undefined; index = waiting.shift()) {
      const target = targets[index]!;
      rows[index] = await askOne(target, ask, options.timeoutMs, now);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, waiting.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return rows;
}

async function askOne<T extends FanoutTarget>(
  target: T,
  ask: (target: T, call: FanoutCall) => Promise<DeviceAnswer>,
  timeoutMs: number,
  now: () => number,
): Promise<FanoutRow> {
  const started = now();
  const controller = new AbortController();
  const call: FanoutCall = { signal: controller.signal, skipped: [] };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timed_out">((resolve) => {
    timer = setTimeout(() => resolve("timed_out"), timeoutMs);
  });
  const base = (): { device: string; ms: number; skipped: string[] } => ({
    device: target.name,
    ms: now() - started,
    // A copy: a turn that outlives its timeout must not change a row already reported.
    skipped: [...call.skipped],
  });
  try {
    const answer = await Promise.race([ask(target, call), timedOut]);
    if (answer === "timed_out") {
      // The slot is freed now; the abandoned turn stops at its next model request or tool call.
      controller.abort();
      return { ...base(), kind: "timed_out", afterS: Math.round(timeoutMs / 1000) };
    }
    return { ...base(), ...answer };
  } catch (error) {
    return { ...base(), kind: "failed", reason: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The sentence a turn's model and tools see once its fan-out gave up on it. */
const ABANDONED = "the !ask this turn answered timed out";

/** A model that refuses new requests once the fan-out gave up on this device's turn. */
export function abortableModel(model: Model, signal: AbortSignal): Model {
  return {
    create: (request) =>
      signal.aborted ? Promise.reject(new ModelError("timeout", ABANDONED, 1)) : model.create(request),
  };
}

/** The device's own tools, except that none starts once the fan-out gave up on this turn. */
export function abortableTools(tools: readonly Tool[], signal: AbortSignal): Tool[] {
  return tools.map((tool) => ({
    ...tool,
    execute: (input, ctx) =>
      signal.aborted ? Promise.reject(new Error(`not run: ${ABANDONED}`)) : tool.execute(input, ctx),
  }));
}
