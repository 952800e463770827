import type { Db } from "../state/db";

export type RunState = "running" | "completed" | "rolling_back" | "rolled_back" | "rollback_failed";
export type StepState = "doing" | "done" | "failed" | "undoing" | "undone" | "undo_failed";

export interface RunRecord {
  id: string;
  device: string;
  pipeline: string;
  state: RunState;
  steps_total: number;
  /** The run's data as JSON: what later steps and every undo need (ids, paths, keys' public halves). */
  data: string;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

export interface StepRecord {
  run_id: string;
  idx: number;
  name: string;
  state: StepState;
  detail: string | null;
}

/**
 * The provisioning journal in SQLite. Every state change is committed before the engine
 * moves on, so after a crash the next start knows which side effects may have happened.
 */
export class Journal {
  constructor(private readonly db: Db) {}

  /** Starts a run; throws ActiveRunError when the device already has one in flight. */
  begin(run: Pick<RunRecord, "id" | "device" | "pipeline" | "steps_total" | "data">): void {
    try {
      this.db
        .prepare(
          "INSERT INTO runs (id, device, pipeline, state, steps_total, data, started_at) VALUES (?, ?, ?, 'running', ?, ?, ?)",
        )
        .run(run.id, run.device, run.pipeline, run.steps_total, run.data, Date.now());
    } catch (error) {
      if (String(error).includes("UNIQUE constraint failed")) throw new ActiveRunError(run.device);
      throw error;
    }
  }

  saveData(runId: string, data: string): void {
    this.db.prepare("UPDATE runs SET data = ? WHERE id = ?").run(data, runId);
  }

  setRunState(runId: string, state: RunState, error?: string): void {
    const finished = state === "running" || state === "rolling_back" ? null : Date.now();
    this.db
      .prepare("UPDATE runs SET state = ?, error = COALESCE(?, error), finished_at = ? WHERE id = ?")
      .run(state, error ?? null, finished, runId);
  }

  setStep(runId: string, idx: number, name: string, state: StepState, detail?: string): void {
    this.db
      .prepare(
        `INSERT INTO run_steps (run_id, idx, name, state, detail, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, idx) DO UPDATE SET state = excluded.state, detail = excluded.detail, updated_at = excluded.updated_at`,
      )
      .run(runId, idx, name, state, detail ?? null, Date.now());
  }

  run(runId: string): RunRecord | undefined {
    return this.db.prepare("SELECT * FROM runs WHERE id = ?").get(runId) as RunRecord | undefined;
  }

  steps(runId: string): StepRecord[] {
    return this.db
      .prepare("SELECT run_id, idx, name, state, detail FROM run_steps WHERE run_id = ? ORDER BY idx")
      .all(runId) as StepRecord[];
  }

  /** Runs a crash left behind: still running or half rolled back. */
  unfinished(): RunRecord[] {
    return this.db
      .prepare("SELECT * FROM runs WHERE state IN ('running', 'rolling_back') ORDER BY started_at")
      .all() as RunRecord[];
  }

  /**
   * The newest completed add or repair of a device: its data describes the device as it
   * is now (a repair may have swapped its keys). Revokes are not descriptions.
   */
  latestKnown(device: string): RunRecord | undefined {
    return this.db
      .prepare(
        "SELECT * FROM runs WHERE device = ? AND state = 'completed' AND (pipeline LIKE 'add-%' OR pipeline LIKE 'repair-%') ORDER BY started_at DESC, rowid DESC LIMIT 1",
      )
      .get(device) as RunRecord | undefined;
  }

  /** The newest run of a device among these pipelines, in any state. */
  latestOf(device: string, pipelines: readonly string[]): RunRecord | undefined {
    return this.db
      .prepare(
        `SELECT * FROM runs WHERE device = ? AND pipeline IN (${pipelines.map(() => "?").join(", ")}) ORDER BY started_at DESC, rowid DESC LIMIT 1`,
      )
      .get(device, ...pipelines) as RunRecord | undefined;
  }

  /** The run of this device in flight (running or rolling back), if any. */
  active(device: string): RunRecord | undefined {
    return this.db
      .prepare("SELECT * FROM runs WHERE device = ? AND state IN ('running', 'rolling_back')")
      .get(device) as RunRecord | undefined;
  }

  latestFor(device: string): RunRecord | undefined {
    return this.db
      .prepare("SELECT * FROM runs WHERE device = ? ORDER BY started_at DESC, rowid DESC LIMIT 1")
      .get(device) as RunRecord | undefined;
  }
}

export class ActiveRunError extends Error {
  constructor(readonly device: string) {
    super(`a provisioning run for ${device} is already in progress`);
    this.name = "ActiveRunError";
  }
}
