import { PanelAuth } from "../../../panel/auth";
import { PanelServer } from "../../../panel/server";
import type { PanelData } from "../../../panel/data";
import type { Command } from "../../../bot/commands/types";
import type { HealthRecord } from "../../../health/store";
import type { Logger } from "../../../common/log";
import { device, health } from "./support";

const silent = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;
(silent as unknown as { child: () => Logger }).child = () => silent;

function fixture(now: () => number = Date.now) {
  const records = new Map<string, HealthRecord>([["pc1", health()]]);
  const devices = [device()];
  const data: PanelData = {
    devices: () => devices,
    health: () => records,
    openIncidents: () => [],
    recentIncidents: () => [],
    pendingCounts: () => new Map([["pc1", 1]]),
    pendingApprovals: () => [
      {
        eventId: "$e",
        roomId: "!r:x",
        device: "pc1",
        call: "shell.exec systemctl restart nginx",
        createdAt: 0,
      },
    ],
    recentTurns: () => [],
    audit: () => ({ ok: true, summary: "chain ok", calls: [] }),
    roomLink: () => undefined,
  };
  const decided: Array<[string, string, string, boolean]> = [];
  const ran: Array<[string, unknown, string]> = [];
  const command = (name: string): Command => ({
    name,
    summary: "",
    usage: "",
    args: { positionals: [], flags: {} },
    run: async (ctx, args) => {
      ran.push([name, args, ctx.sender]);
      await ctx.tell({
        body: args.flags.confirm
          ? "✓ pc1 revoked: everything."
          : "Revoking pc1 removes it. To go ahead, type: !revoke pc1 --confirm K3F9 (within 1 min; only you can confirm).",
      });
    },
  });
  const auth = new PanelAuth(
    { public_url: "http://127.0.0.1", login_ttl_s: 600, session_ttl_s: 43_200 },
    now,
  );
  const server = new PanelServer({
    settings: { bind_address: "127.0.0.1", port: 0, session_ttl_s: 43_200 },
    auth,
    operators: new Set(["@a:x", "@b:x"]),
    data,
    commands: { find: (name) => command(name) },
    approve: (roomId, eventId, operator, yes) => {
      decided.push([roomId, eventId, operator, yes]);
      return true;
    },
    log: silent,
    fallbackMs: 60_000,
  });
  return { server, auth, records, decided, ran };
}

describe("panel server", () => {
  let f: ReturnType<typeof fixture>;
  let base: string;
  beforeEach(async () => {
    f = fixture();
    base = `http://127.0.0.1:${await f.server.start()}`;
  });
  afterEach(() => f.server.stop());

  const login = async (operator = "@a:x"): Promise<{ cookie: string; csrf: string }> => {
    const { url } = f.auth.link(operator);
    const path = new URL(url).pathname;
    const res = await fetch(base + path, { method: "POST", redirect: "manual" });
    expect(res.status).toBe(303);
    const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
    const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
    return { cookie, csrf: /name="csrf-token" content="([^"]+)"/.exec(page)![1]! };
  };

  test("no cookie → 401 on every page and action; assets need none", async () => {
    for (const path of ["/", "/events", "/add", "/d/pc1", "/incidents"])
      expect((await fetch(base + path)).status).toBe(401);
    expect((await fetch(`${base}/add`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${base}/assets/panel.js`)).status).toBe(200);
    const css = await fetch(`${base}/assets/panel.css`);
    expect(css.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  test("login: GET shows Continue and uses nothing; POST logs in once; the session is that operator's", async () => {
    const { url } = f.auth.link("@b:x");
    const path = new URL(url).pathname;
    for (let i = 0; i < 3; i++) {
      const page = await fetch(base + path);
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text).toContain(">Continue<");
      expect(text).toContain("@b:x");
      expect(page.headers.get("set-cookie")).toBeNull();
    }
    const res = await fetch(base + path, { method: "POST", redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Strict/);
    const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
    expect(await (await fetch(`${base}/`, { headers: { cookie } })).text()).toContain("@b:x");
    expect((await fetch(base + path, { method: "POST", redirect: "manual" })).status).toBe(410);
    expect((await fetch(base + path)).status).toBe(410);
  });

  test("the grid shows each device's agent build as its /health reported it", async () => {
    const { cookie } = await login();
    const page = await (await fetch(`${base}/`, { headers: { cookie } })).text();
    expect(page).toContain(">Agent</th>");
    expect(page).toContain('data-label="Agent">0.1.0 linux-amd64</td>');
  });

  test("an expired link is refused", async () => {
    let now = 0;
    await f.server.stop();
    f = fixture(() => now);
    base = `http://127.0.0.1:${await f.server.start()}`;
    const path = new URL(f.auth.link("@a:x").url).pathname;
    now = 600_001;
    expect((await fetch(base + path, { method: "POST", redirect: "manual" })).status).toBe(410);
  });

  test("a POST without the CSRF token → 403, with another session's → 403", async () => {
    const a = await login("@a:x");
    const b = await login("@b:x");
    const post = (cookie: string, body: string) =>
      fetch(`${base}/d/pc1/approvals`, {
        method: "POST",
        headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
        body,
      });
    expect((await post(a.cookie, "decision=approve&event=%24e")).status).toBe(403);
    expect((await post(a.cookie, `decision=approve&event=%24e&csrf=${b.csrf}`)).status).toBe(403);
    expect(f.decided).toEqual([]);
    const ok = await post(a.cookie, `decision=approve&event=%24e&csrf=${a.csrf}`);
    expect(ok.status).toBe(200);
    expect(f.decided).toEqual([["!r:x", "$e", "@a:x", true]]);
  });

  test("logout ends the session", async () => {
    const a = await login();
    const out = await fetch(`${base}/logout`, {
      method: "POST",
      headers: { cookie: a.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: `csrf=${a.csrf}`,
    });
    expect(out.status).toBe(200);
    expect((await fetch(`${base}/`, { headers: { cookie: a.cookie } })).status).toBe(401);
  });

  test("a name with HTML in it is refused and shown escaped", async () => {
    const a = await login();
    const res = await fetch(`${base}/add`, {
      method: "POST",
      headers: { cookie: a.cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        csrf: a.csrf,
        mode: "push",
        name: '<img src=x onerror="alert(1)">',
        via: "ssh",
        target: "u@h",
      }).toString(),
    });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).not.toContain("<img");
    expect(text).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(f.ran).toEqual([]);
  });

  test("revoke: the code from the command, then the typed code, both as the operator", async () => {
    const a = await login();
    const post = (body: string) =>
      fetch(`${base}/d/pc1/revoke`, {
        method: "POST",
        headers: { cookie: a.cookie, "content-type": "application/x-www-form-urlencoded" },
        body: `csrf=${a.csrf}&${body}`,
      });
    const ask = await (await post("")).text();
    expect(ask).toContain("--confirm K3F9");
    expect(ask).toContain('name="code"');
    const done = await (await post("code=K3F9")).text();
    expect(done).toContain("✓ pc1 revoked");
    expect(f.ran).toEqual([
      ["revoke", { positionals: { device: "pc1" }, flags: {} }, "@a:x"],
      ["revoke", { positionals: { device: "pc1" }, flags: { confirm: "K3F9" } }, "@a:x"],
    ]);
  });

  test("the grid stream sends a changed row after a poke", async () => {
    const a = await login();
    const controller = new AbortController();
    const res = await fetch(`${base}/events`, { headers: { cookie: a.cookie }, signal: controller.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let seen = "";
    const until = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(seen)) seen += decoder.decode((await reader.read()).value as Uint8Array);
    };
    await until(/event: incidents/);
    seen = "";
    f.records.set("pc1", health({ status: "unreachable", reason: "/health: timeout" }));
    f.server.poke();
    await until(/event: row\ndata: .*data-color=\\"yellow\\"/);
    controller.abort();
  });
});
