/**
 * A small, real Matrix client over the client-server API, used as "the operator's phone"
 * by the e2e tests, the demo and the benchmarks. It keeps a /sync loop running and lets
 * callers wait for an event matching a predicate, with a timeout — never a fixed sleep.
 */
export interface MatrixEvent {
  event_id: string;
  type: string;
  sender: string;
  room_id: string;
  origin_server_ts: number;
  state_key?: string;
  content: Record<string, unknown>;
}

type Waiter = { match: (e: MatrixEvent) => boolean; resolve: (e: MatrixEvent) => void };

export class LabMatrixClient {
  readonly events: MatrixEvent[] = [];
  readonly invites = new Set<string>();
  private waiters: Waiter[] = [];
  private inviteWaiters: Array<{ match: (roomId: string) => boolean; resolve: (roomId: string) => void }> =
    [];
  private since: string | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private txn = 0;

  private constructor(
    readonly baseUrl: string,
    readonly userId: string,
    private readonly accessToken: string,
  ) {}

  static async login(baseUrl: string, user: string, password: string): Promise<LabMatrixClient> {
    const response = await fetch(`${baseUrl}/_matrix/client/v3/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user }, password }),
    });
    const body = (await response.json()) as { user_id?: string; access_token?: string; error?: string };
    if (!response.ok || !body.access_token || !body.user_id) {
      throw new Error(`login as ${user} failed: ${response.status} ${body.error ?? ""}`);
    }
    return new LabMatrixClient(baseUrl, body.user_id, body.access_token);
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.accessToken}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json().catch(() => ({}))) as T & { errcode?: string; error?: string };
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${json.errcode ?? ""} ${json.error ?? ""}`);
    return json;
  }

  /** Starts syncing from now: only events after this call are seen. */
  async start(): Promise<void> {
    const first = await this.request<{ next_batch: string; rooms?: { invite?: Record<string, unknown> } }>(
      "GET",
      `/_matrix/client/v3/sync?timeout=0&filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 0 } } }))}`,
    );
    this.since = first.next_batch;
    for (const roomId of Object.keys(first.rooms?.invite ?? {})) this.invites.add(roomId);
    this.running = true;
    this.loop = this.syncLoop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop?.catch(() => undefined);
  }

  private async syncLoop(): Promise<void> {
    while (this.running) {
      try {
        const sync = await this.request<SyncResponse>(
          "GET",
          `/_matrix/client/v3/sync?timeout=1000&since=${encodeURIComponent(this.since ?? "")}`,
        );
        this.since = sync.next_batch;
        for (const [roomId, room] of Object.entries(sync.rooms?.join ?? {})) {
          for (const event of room.timeline?.events ?? []) this.deliver({ ...event, room_id: roomId });
        }
        for (const roomId of Object.keys(sync.rooms?.invite ?? {})) {
          this.invites.add(roomId);
          this.inviteWaiters = this.inviteWaiters.filter((w) =>
            w.match(roomId) ? (w.resolve(roomId), false) : true,
          );
        }
      } catch (error) {
        if (!this.running) return;
        await new Promise((r) => setTimeout(r, 200));
        void error;
      }
    }
  }

  private deliver(event: MatrixEvent): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => (w.match(event) ? (w.resolve(event), false) : true));
  }

  /** Resolves with the first event (already seen or coming) that matches, or rejects after timeoutMs. */
  waitFor(match: (e: MatrixEvent) => boolean, timeoutMs: number, what = "event"): Promise<MatrixEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Waits for a matching event that the homeserver ordered after `anchorId` (typically
   * the command just sent): an answer to an earlier message never counts.
   */
  waitForAfter(
    anchorId: string,
    match: (e: MatrixEvent) => boolean,
    timeoutMs: number,
    what = "event",
  ): Promise<MatrixEvent> {
    return this.waitFor((e) => match(e) && this.isAfter(e, anchorId), timeoutMs, what);
  }

  /** Whether `e` came after the event `anchorId` in this client's timeline (false if the anchor is unseen). */
  isAfter(e: MatrixEvent, anchorId: string): boolean {
    const anchor = this.events.findIndex((x) => x.event_id === anchorId);
    return anchor >= 0 && this.events.indexOf(e) > anchor;
  }

  /** Resolves when an invite to a room matching `match` is seen. */
  waitForInvite(match: (roomId: string) => boolean, timeoutMs: number): Promise<string> {
    const seen = [...this.invites].find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for an invite`)),
        timeoutMs,
      );
      this.inviteWaiters.push({
        match,
        resolve: (roomId) => {
          clearTimeout(timer);
          resolve(roomId);
        },
      });
    });
  }

  async resolveAlias(alias: string): Promise<string> {
    const body = await this.request<{ room_id: string }>(
      "GET",
      `/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`,
    );
    return body.room_id;
  }

  async join(roomIdOrAlias: string): Promise<string> {
    const body = await this.request<{ room_id: string }>(
      "POST",
      `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}`,
      {},
    );
    return body.room_id;
  }

  async send(roomId: string, content: Record<string, unknown>, type = "m.room.message"): Promise<string> {
    const txnId = `lab-${Date.now()}-${this.txn++}`;
    const body = await this.request<{ event_id: string }>(
      "PUT",
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/${txnId}`,
      content,
    );
    return body.event_id;
  }

  /** Uploads to the media repository as a client does (`/_matrix/media/v3/upload`); resolves with the mxc URI. */
  async upload(data: Uint8Array, contentType: string, filename: string): Promise<string> {
    const response = await fetch(
      `${this.baseUrl}/_matrix/media/v3/upload?filename=${encodeURIComponent(filename)}`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${this.accessToken}`, "content-type": contentType },
        body: data,
      },
    );
    const json = (await response.json().catch(() => ({}))) as { content_uri?: string; error?: string };
    if (!response.ok || !json.content_uri) throw new Error(`upload: ${response.status} ${json.error ?? ""}`);
    return json.content_uri;
  }

  sendText(roomId: string, text: string): Promise<string> {
    return this.send(roomId, { msgtype: "m.text", body: text });
  }

  react(roomId: string, eventId: string, key: string): Promise<string> {
    return this.send(
      roomId,
      { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } },
      "m.reaction",
    );
  }
}

interface SyncResponse {
  next_batch: string;
  rooms?: {
    join?: Record<string, { timeline?: { events?: Omit<MatrixEvent, "room_id">[] } }>;
    invite?: Record<string, unknown>;
  };
}

/** Helpers for predicates over what the bot says. */
export function isNoticeFrom(sender: string, roomId: string) {
  return (e: MatrixEvent): boolean =>
    e.type === "m.room.message" &&
    e.sender === sender &&
    e.room_id === roomId &&
    e.content.msgtype === "m.notice";
}

export function reactionTo(eventId: string, sender: string) {
  return (e: MatrixEvent): boolean =>
    e.type === "m.reaction" &&
    e.sender === sender &&
    (e.content["m.relates_to"] as { event_id?: string } | undefined)?.event_id === eventId;
}
