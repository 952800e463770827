import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import pino from "pino";
import { EnrollServer } from "../../../enroll/server";
import { Rendezvous } from "../../../provisioning/pull/rendezvous";
import { EnrollmentStore, hashToken } from "../../../provisioning/pull/tokens";
import { openDatabase } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";

const KEY = "xTIaFbKsmvOz1ktNYgAPXWSzSh8lG+GuhjhmzjYXvVk=";
const MACHINE = "ab".repeat(32);
const FACTS =
  "os=linux\narch=x86_64\npretty=Debian 12\nhome=/home/lucas\nuser=lucas\nuid=1000\ninit=none\npm=apt-get\n";

async function world(
  ratePerMinute = 1000,
  tls: { tls_cert_file?: string; tls_key_file?: string } = {},
  lines: string[] = [],
) {
  const dir = mkdtempSync(join(tmpdir(), "mp-enroll-"));
  const agentBytes = Buffer.from("not really an executable, but real bytes ".repeat(1000));
  const agentPath = join(dir, "device-agent-linux-amd64");
  writeFileSync(agentPath, agentBytes);
  const sha256 = createHash("sha256").update(agentBytes).digest("hex");
  const enrollments = new EnrollmentStore(openDatabase(join(dir, "s.db"), BOT_MIGRATIONS));
  const rendezvous = new Rendezvous();
  const server = new EnrollServer({
    settings: {
      bind_address: "127.0.0.1",
      port: 0,
      public_url: "http://pub.example",
      rate_per_minute: ratePerMinute,
      trusted_proxies: [],
      ...tls,
    },
    enrollments,
    rendezvous,
    localAgent: () => ({ path: agentPath, sha256, bytes: agentBytes.length }),
    ifname: "mesh0",
    log: pino({ level: "info" }, { write: (line: string) => void lines.push(line) }),
  });
  const port = await server.start();
  const base = `${tls.tls_cert_file ? "https" : "http"}://127.0.0.1:${port}`;
  const link = (os = "linux") => {
    const { token, enrollment } = enrollments.create({
      name: "pc5",
      os,
      arch: "amd64",
      profile: "default",
      by: "@op:x",
      ttlS: 900,
    });
    rendezvous.open(enrollment.token_hash);
    return { token, hash: enrollment.token_hash, url: `${base}/e/${token}` };
  };
  const hello = (url: string, fields: Record<string, string> = {}) =>
    fetch(url, {
      method: "POST",
      body: new URLSearchParams({ public_key: KEY, machine_id: MACHINE, facts: FACTS, ...fields }),
    });
  return { server, enrollments, rendezvous, link, hello, base, agentBytes, sha256 };
}

let current: Awaited<ReturnType<typeof world>> | undefined;
afterEach(async () => {
  await current?.server.stop();
  current = undefined;
});

describe("the enrollment listener", () => {
  test("GET serves the script and never uses the link; an unknown link gets a script that fails with a sentence", async () => {
    const w = (current = await world());
    const { token, url } = w.link();
    for (let i = 0; i < 3; i++) {
      const script = await (await fetch(url)).text();
      expect(script).toContain(`MP_URL=http://pub.example/e/${token}\n`);
      expect(script).toContain(w.sha256);
      expect(script).toContain("wg genkey");
    }
    expect(w.enrollments.find(token)?.status).toBe("pending");
    const unknown = await fetch(`${w.base}/e/${"A".repeat(43)}`);
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toMatch(/^echo 'meshpilot: this enrollment link is not valid.*'; exit 1\n$/);
  });

  test("a Windows link serves PowerShell", async () => {
    const w = (current = await world());
    const script = await (await fetch(w.link("windows").url)).text();
    expect(script).toContain("Invoke-WebRequest");
    expect(script).not.toContain("#!/bin/sh");
  });

  test("a malformed hello is refused and leaves the link unused", async () => {
    const w = (current = await world());
    const { token, url } = w.link();
    const bads: Record<string, string>[] = [
      { public_key: "short" },
      { machine_id: "zz" },
      { facts: "os=\n" },
    ];
    for (const bad of bads) {
      const res = await w.hello(url, bad);
      expect(res.status).toBe(400);
    }
    expect(w.enrollments.find(token)?.status).toBe("pending");
  });

  test("the first hello uses the link and waits for the run's answer; a second one is told what to do, or nothing", async () => {
    const w = (current = await world());
    const { token, hash, url } = w.link();
    const waiting = w.rendezvous.waitHello(hash, Date.now() + 10_000, "expired");
    const first = w.hello(url);
    const got = await waiting;
    expect(got).toMatchObject({
      publicKey: KEY,
      machineId: MACHINE,
      facts: { os: "linux", arch: "amd64", user: "lucas" },
    });
    expect(w.enrollments.find(token)).toMatchObject({ status: "used", machine_id: MACHINE, public_key: KEY });
    w.rendezvous.answer(hash, { ok: true, script: "echo installing" }, "linux-amd64");
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(await answered.text()).toBe("echo installing\n");

    const same = await w.hello(url);
    expect(same.status).toBe(409);
    expect(await same.text()).toContain(
      "this link was already used; ask for a new one with !add-pc pc5 --via pull",
    );
    const other = await w.hello(url, { machine_id: "cd".repeat(32) });
    const otherText = await other.text();
    expect(otherText).toContain("not valid");
    expect(otherText).not.toContain("pc5");
  });

  test("the agent is served (gzip, the build's bytes) only between the answer and the PC's report", async () => {
    const w = (current = await world());
    const { hash, url } = w.link();
    expect((await fetch(`${url}/agent`)).status).toBe(404);
    const waiting = w.rendezvous.waitHello(hash, Date.now() + 10_000, "expired");
    const first = w.hello(url);
    await waiting;
    w.rendezvous.answer(hash, { ok: true, script: "x" }, "linux-amd64");
    await first;
    const agent = await fetch(`${url}/agent`);
    expect(agent.status).toBe(200);
    expect(gunzipSync(Buffer.from(await agent.arrayBuffer())).equals(w.agentBytes)).toBe(true);
    const done = w.rendezvous.waitDone(hash, Date.now() + 10_000, "expired");
    const report = await fetch(`${url}/done`, {
      method: "POST",
      body: new URLSearchParams({ ok: "yes", detail: "installed" }),
    });
    expect(report.status).toBe(200);
    expect(await done).toEqual({ ok: true, detail: "installed" });
    expect((await fetch(`${url}/agent`)).status).toBe(404);
  });

  test("a link the run ended is refused with the run's sentence to a waiting PC", async () => {
    const w = (current = await world());
    const { hash, url } = w.link();
    const waiting = w.rendezvous.waitHello(hash, Date.now() + 10_000, "expired");
    const first = w.hello(url);
    await waiting;
    w.rendezvous.end(hash, "an operator refused the enrollment of pc5");
    const res = await first;
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("an operator refused the enrollment of pc5\n");
  });

  test("requests past the per-address rate get 429", async () => {
    const w = (current = await world(3));
    const { url } = w.link();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(url)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});

describe("the enrollment listener, served with its own certificate", () => {
  test("HTTPS with tls_cert_file/tls_key_file; every request is logged with the link's hash prefix, never the token", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mp-enroll-tls-"));
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    const lines: string[] = [];
    const w = (current = await world(1000, { tls_cert_file: cert, tls_key_file: key }, lines));
    const { token, url } = w.link();
    const body = await new Promise<string>((resolve, reject) => {
      httpsGet(url, { ca: readFileSync(cert) }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(text));
      }).on("error", reject);
    });
    expect(body).toContain("wg genkey");
    const logged = lines.join("");
    expect(logged).toContain('"msg":"enrollment request"');
    expect(logged).toContain(hashToken(token).slice(0, 8));
    expect(logged).not.toContain(token);
    // A path the listener does not know is logged as "unknown", never echoed (it may carry a token).
    await new Promise<void>((resolve, reject) => {
      httpsGet(`${url}/nope`, { ca: readFileSync(cert) }, (res) => {
        res.resume();
        res.on("end", resolve);
      }).on("error", reject);
    });
    expect(lines.join("")).toContain('"route":"unknown"');
    expect(lines.join("")).not.toContain(token.slice(0, 20));
  });
});
