import type { LabMatrixClient, MatrixEvent } from "./matrix-client";

/** Prints a room the way the operator reads it: who said what, and when (seconds since start). */
export class OperatorView {
  private readonly started = Date.now();
  constructor(
    private readonly client: LabMatrixClient,
    private readonly names: Record<string, string>,
  ) {}

  say(roomId: string, text: string): Promise<string> {
    this.print("you", text);
    return this.client.sendText(roomId, text);
  }

  show(event: MatrixEvent): void {
    if (event.type === "m.reaction") {
      const key = (event.content["m.relates_to"] as { key?: string } | undefined)?.key ?? "?";
      this.print(this.nameOf(event.sender), `(reacts ${key})`);
      return;
    }
    const body = event.content.body;
    this.print(this.nameOf(event.sender), typeof body === "string" ? body : `(${event.type})`);
  }

  note(text: string): void {
    console.log(`\n  ${text}`);
  }

  private nameOf(userId: string): string {
    return this.names[userId] ?? userId;
  }

  private print(who: string, text: string): void {
    const at = ((Date.now() - this.started) / 1000).toFixed(2).padStart(6);
    const [first = "", ...rest] = text.split("\n");
    console.log(`[${at}s] ${who.padEnd(10)} │ ${first}`);
    for (const line of rest) console.log(`${" ".repeat(9)} ${" ".repeat(10)} │ ${line}`);
  }
}
