import type { Db } from "../state/db";
import { HealthStore, type HealthRecord } from "../health/store";

/** "Something the panel shows changed": a tiny signal the live grid listens to. */
export class Changes {
  private readonly listeners = new Set<() => void>();

  on(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** The health store that says when a verdict is written, so open grids update at once. */
export class WatchedHealthStore extends HealthStore {
  constructor(
    db: Db,
    private readonly changes: Changes,
  ) {
    super(db);
  }

  override put(record: HealthRecord): void {
    super.put(record);
    this.changes.emit();
  }

  override forget(name: string): void {
    super.forget(name);
    this.changes.emit();
  }
}
