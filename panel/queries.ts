import type { Incident } from "../health/incidents";
import type { Db } from "../state/db";

/** Read-only queries the panel makes on the bot's database (tables owned by health/ and agents/). */
export interface PendingApproval {
  eventId: string;
  roomId: string;
  device: string;
  call: string;
  createdAt: number;
}

export interface TurnSummary {
  at: number;
  /** The operator's words, the tools the agent called (names only) and its answer. */
  asked: string;
  tools: string[];
  answer: string;
}

export function pendingApprovals(db: Db, device: string): PendingApproval[] {
  const rows = db
    .prepare(
      "SELECT event_id, room_id, device, call, created_at FROM agent_approvals WHERE state = 'pending' AND device = ? ORDER BY created_at",
    )
    .all(device) as Array<{
    event_id: string;
    room_id: string;
    device: string;
    call: string;
    created_at: number;
  }>;
  return rows.map((r) => ({
    eventId: r.event_id,
    roomId: r.room_id,
    device: r.device,
    call: r.call,
    createdAt: r.created_at,
  }));
}

export function pendingApprovalCounts(db: Db): Map<string, number> {
  const rows = db
    .prepare("SELECT device, COUNT(*) AS n FROM agent_approvals WHERE state = 'pending' GROUP BY device")
    .all() as Array<{ device: string; n: number }>;
  return new Map(rows.map((r) => [r.device, r.n]));
}

/** Incidents closed lately, newest first (open ones come from IncidentStore.allOpen). */
export function recentIncidents(db: Db, limit: number): Incident[] {
  return db
    .prepare("SELECT * FROM health_incidents WHERE closed_at IS NOT NULL ORDER BY closed_at DESC LIMIT ?")
    .all(limit) as Incident[];
}

interface Block {
  type: string;
  text?: string;
  name?: string;
}

/**
 * A room's latest turns as the page shows them: tool outputs are left out (what a tool read
 * stays in the chat, never in a page a browser caches).
 */
export function recentTurns(db: Db, roomId: string, limit: number): TurnSummary[] {
  const rows = db
    .prepare("SELECT messages, created_at FROM agent_turns WHERE room_id = ? ORDER BY id DESC LIMIT ?")
    .all(roomId, limit) as Array<{ messages: string; created_at: number }>;
  return rows.map((row) => {
    const messages = JSON.parse(row.messages) as Array<{ role: string; content: Block[] }>;
    const texts = (role: string): string =>
      messages
        .filter((m) => m.role === role)
        .flatMap((m) => m.content.filter((b) => b.type === "text").map((b) => b.text ?? ""))
        .join("\n")
        .trim();
    const tools = messages.flatMap((m) =>
      m.content.filter((b) => b.type === "tool_use").map((b) => b.name ?? "?"),
    );
    return { at: row.created_at, asked: texts("user"), tools, answer: texts("assistant") };
  });
}
