import type { Db } from "../state/db";
import { estimateTokens, type AgentMessage } from "./messages";

export interface HistoryLimits {
  maxTurns: number;
  maxTokens: number;
}

/**
 * Each device room's conversation, one row per finished turn, in the bot's SQLite (so it
 * survives restarts). Whole turns are kept or dropped together: a tool call is never
 * separated from its result, and what is sent always starts with the operator's words.
 */
export class HistoryStore {
  constructor(
    private readonly db: Db,
    private readonly limits: HistoryLimits,
  ) {}

  /** The newest turns that fit both limits, oldest first, as one message list. */
  load(roomId: string): AgentMessage[] {
    if (this.limits.maxTurns === 0) return [];
    const rows = this.db
      .prepare("SELECT messages, tokens FROM agent_turns WHERE room_id = ? ORDER BY id DESC LIMIT ?")
      .all(roomId, this.limits.maxTurns) as Array<{ messages: string; tokens: number }>;
    const kept: AgentMessage[][] = [];
    let tokens = 0;
    for (const row of rows) {
      if (tokens + row.tokens > this.limits.maxTokens) break;
      tokens += row.tokens;
      kept.push(JSON.parse(row.messages) as AgentMessage[]);
    }
    return kept.reverse().flat();
  }

  /** Stores a finished turn and forgets turns beyond maxTurns for the room. */
  append(roomId: string, turn: readonly AgentMessage[]): void {
    if (turn.length === 0 || this.limits.maxTurns === 0) return;
    this.db
      .prepare("INSERT INTO agent_turns (room_id, messages, tokens, created_at) VALUES (?, ?, ?, ?)")
      .run(roomId, JSON.stringify(turn), estimateTokens(turn), Date.now());
    this.db
      .prepare(
        "DELETE FROM agent_turns WHERE room_id = ? AND id NOT IN (SELECT id FROM agent_turns WHERE room_id = ? ORDER BY id DESC LIMIT ?)",
      )
      .run(roomId, roomId, this.limits.maxTurns);
  }

  turnCount(roomId: string): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM agent_turns WHERE room_id = ?").get(roomId) as { n: number }
    ).n;
  }

  clear(roomId: string): void {
    this.db.prepare("DELETE FROM agent_turns WHERE room_id = ?").run(roomId);
  }
}
