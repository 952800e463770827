import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";

/**
 * lab/relay.py on namespaces of its own (not the lab's): `rlytestpc` has only loopback
 * (the pull-enrollment PC behind NAT), `rlytestgw` and `rlytesthub` share a veth on
 * 198.51.100.220/30 (a documentation range lab/up.sh does not use). The relay listens in
 * rlytestpc and connects from rlytestgw, so the PC reaches the hub only through it. Runs
 * as root; needs no lab.
 */
const RELAY = join(__dirname, "..", "..", "lab", "relay.py");
const NS = { pc: "rlytestpc", gw: "rlytestgw", hub: "rlytesthub" };
const HUB_IP = "198.51.100.221";
const GW_IP = "198.51.100.222";
const children: ChildProcess[] = [];

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function removeNamespaces(): void {
  for (const ns of Object.values(NS)) {
    try {
      ip("netns", "del", ns);
    } catch {
      // not there: nothing to remove
    }
  }
}

/** Starts argv and resolves with its first stdout line matching `ready` (the process keeps running). */
async function startUntil(argv: string[], ready: RegExp, timeoutMs = 30_000): Promise<ChildProcess> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${argv.join(" ")}: not ready in ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    lines.on("line", (line) => {
      if (ready.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(" ")} exited ${code} before ready: ${stderr}`));
    });
  });
  return child;
}

/** Runs a Node program in a namespace to completion; its stdout is one JSON value. */
async function runIn<T>(ns: string, program: string, ...args: string[]): Promise<T> {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, "-e", program, "--", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`program in ${ns} exited ${code}: ${err}`);
  return JSON.parse(out) as T;
}

function relay(...args: string[]): Promise<ChildProcess> {
  return startUntil(
    ["python3", RELAY, "--listen-ns", NS.pc, "--connect-ns", NS.gw, ...args],
    /^relay ready: /,
  );
}

// A TCP sink that answers each connection, after its EOF, with the byte count and SHA-256.
const SINK = `
const net = require("node:net"), crypto = require("node:crypto");
net.createServer((c) => {
  const h = crypto.createHash("sha256"); let n = 0;
  c.on("data", (d) => { n += d.length; h.update(d); });
  c.on("end", () => c.end(JSON.stringify({ n, sha: h.digest("hex") })));
}).listen(5001, "${HUB_IP}", () => console.log("listening"));`;

// Sends argv[1] random bytes; timed from connect to the sink's answer (so nothing can sit in buffers).
const SENDER = `
const net = require("node:net"), crypto = require("node:crypto");
const size = Number(process.argv[1]); const data = crypto.randomBytes(size);
const t0 = performance.now(); let answer = "";
const s = net.connect(5001, "${HUB_IP}", () => s.end(data));
s.on("data", (d) => (answer += d));
s.on("end", () => {
  const seconds = (performance.now() - t0) / 1000; const got = JSON.parse(answer);
  console.log(JSON.stringify({ seconds, mbit: (size * 8) / seconds / 1e6,
    intact: got.n === size && got.sha === crypto.createHash("sha256").update(data).digest("hex") }));
});`;

const TCP_ECHO = `require("node:net").createServer((c) => c.pipe(c)).listen(5003, "${HUB_IP}", () => console.log("listening"));`;

// Round trips of one small message each, after the connection is up; prints them in ms.
const TCP_PING = `
const s = require("node:net").connect(5003, "${HUB_IP}"); s.setNoDelay(true);
const rtts = []; let t0 = 0;
const ping = () => { t0 = performance.now(); s.write("x"); };
s.on("connect", ping);
s.on("data", () => { rtts.push(performance.now() - t0); if (rtts.length < 10) ping(); else { s.end(); console.log(JSON.stringify(rtts)); } });`;

const UDP_ECHO = `
const u = require("node:dgram").createSocket("udp4");
u.on("message", (m, r) => u.send(m, r.port, r.address));
u.bind(5002, "${HUB_IP}", () => console.log("listening"));`;

// 10 timed round trips one at a time, then a burst of 50 datagrams whose order must hold.
const UDP_PING = `
const u = require("node:dgram").createSocket("udp4"); const rtts = [], burst = [];
let t0 = 0, i = 0;
setTimeout(() => { console.error("udp: no answer"); process.exit(1); }, 20000).unref();
const next = () => { t0 = performance.now(); u.send(String(i), 5002, "${HUB_IP}"); };
u.on("message", (m) => {
  if (rtts.length < 10) { rtts.push(performance.now() - t0); i++;
    if (rtts.length < 10) return next();
    for (let k = 0; k < 50; k++) u.send("b" + k, 5002, "${HUB_IP}"); return; }
  burst.push(Number(String(m).slice(1)));
  if (burst.length === 50) { console.log(JSON.stringify({ rtts, burst })); u.close(); }
});
u.bind(0, next);`;

// Resets every connection once it has read a byte (RST, not FIN).
const RESETTER = `require("node:net").createServer((c) => c.once("data", () => c.resetAndDestroy())).listen(5004, "${HUB_IP}", () => console.log("listening"));`;

// Sends a byte, then waits for the relay to end the connection; prints how.
const RESET_CLIENT = `
const s = require("node:net").connect(5004, "${HUB_IP}", () => s.write("x"));
let how = "closed";
s.on("error", (e) => (how = e.code));
s.on("close", () => console.log(JSON.stringify(how)));`;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, "exit") as Promise<[number | null]>;
  child.kill("SIGTERM");
  return (await exited)[0];
}

beforeAll(async () => {
  // A crashed earlier run may have left them behind: start from nothing.
  removeNamespaces();
  for (const ns of Object.values(NS)) {
    ip("netns", "add", ns);
    ip("-n", ns, "link", "set", "lo", "up");
  }
  ip("link", "add", "rlyt-gw", "netns", NS.gw, "type", "veth", "peer", "name", "rlyt-hub", "netns", NS.hub);
  ip("-n", NS.gw, "addr", "add", `${GW_IP}/30`, "dev", "rlyt-gw");
  ip("-n", NS.gw, "link", "set", "rlyt-gw", "up");
  ip("-n", NS.hub, "addr", "add", `${HUB_IP}/30`, "dev", "rlyt-hub");
  ip("-n", NS.hub, "link", "set", "rlyt-hub", "up");
  // The PC dials the hub's own address (as pc4 will); only the relay answers it there.
  ip("-n", NS.pc, "addr", "add", `${HUB_IP}/32`, "dev", "lo");
  for (const [ns, program] of [
    [NS.hub, SINK],
    [NS.hub, TCP_ECHO],
    [NS.hub, UDP_ECHO],
    [NS.hub, RESETTER],
  ] as const)
    await startUntil(["ip", "netns", "exec", ns, process.execPath, "-e", program], /^listening$/);
}, 60_000);

afterAll(async () => {
  await Promise.all(children.map(stop));
  removeNamespaces();
}, 60_000);

// The e2e project's testTimeout is not applied by this jest (a validation warning): each test sets its own.
const LIMIT = 90_000;

describe("lab/relay.py", () => {
  test(
    "without the relay the PC namespace reaches nothing of the hub",
    async () => {
      const probe = `require("node:net").connect(5001, "${GW_IP}").on("error", (e) => console.log(JSON.stringify(e.code))).on("connect", () => console.log('"connected"'));`;
      expect(await runIn<string>(NS.pc, probe)).toBe("ENETUNREACH");
    },
    LIMIT,
  );

  test(
    "unshaped: bytes arrive intact and fast",
    async () => {
      const r = await relay("--listen", `${HUB_IP}:5001`, "--connect", `${HUB_IP}:5001`);
      const got = await runIn<{ mbit: number; intact: boolean }>(NS.pc, SENDER, String(20e6));
      expect(got.intact).toBe(true);
      expect(got.mbit).toBeGreaterThan(50);
      expect(await stop(r)).toBe(0);
    },
    LIMIT,
  );

  test(
    "20 Mbit/s, 40 ms: TCP throughput near 20 Mbit/s and round trips of at least 80 ms",
    async () => {
      const r = await relay(
        ...["--tcp", `${HUB_IP}:5001=${HUB_IP}:5001`, "--tcp", `${HUB_IP}:5003=${HUB_IP}:5003`],
        ...["--rate-mbit", "20", "--delay-ms", "40"],
      );
      const sent = await runIn<{ seconds: number; mbit: number; intact: boolean }>(
        NS.pc,
        SENDER,
        String(5e6),
      );
      const rtts = await runIn<number[]>(NS.pc, TCP_PING);
      // The figures the lead quotes; stderr so they show without failing anything.
      process.stderr.write(
        `relay 20mbit/40ms: ${sent.mbit.toFixed(1)} Mbit/s over 5 MB; TCP RTT median ${median(rtts).toFixed(1)} ms\n`,
      );
      expect(sent.intact).toBe(true);
      expect(sent.mbit).toBeGreaterThan(8);
      expect(sent.mbit).toBeLessThan(24);
      expect(Math.min(...rtts)).toBeGreaterThanOrEqual(80);
      expect(median(rtts)).toBeLessThan(2000);
      expect(await stop(r)).toBe(0);
    },
    LIMIT,
  );

  test(
    "UDP: answers come back to the PC through the relay, 2 × 40 ms later, in order",
    async () => {
      const r = await relay(
        "--udp",
        `${HUB_IP}:5002=${HUB_IP}:5002`,
        "--rate-mbit",
        "20",
        "--delay-ms",
        "40",
      );
      const got = await runIn<{ rtts: number[]; burst: number[] }>(NS.pc, UDP_PING);
      process.stderr.write(`relay udp 40ms: RTT median ${median(got.rtts).toFixed(1)} ms\n`);
      expect(Math.min(...got.rtts)).toBeGreaterThanOrEqual(80);
      expect(got.burst).toEqual(Array.from({ length: 50 }, (_, k) => k));
      expect(await stop(r)).toBe(0);
    },
    LIMIT,
  );

  test(
    "the server resets the connection: the relay drops the client's side too",
    async () => {
      const r = await relay("--listen", `${HUB_IP}:5004`, "--connect", `${HUB_IP}:5004`, "--delay-ms", "40");
      expect(await runIn<string>(NS.pc, RESET_CLIENT)).toBe("ECONNRESET");
      expect(await stop(r)).toBe(0);
    },
    LIMIT,
  );

  test(
    "SIGTERM with a connection open: exits 0",
    async () => {
      const r = await relay("--listen", `${HUB_IP}:5003`, "--connect", `${HUB_IP}:5003`, "--delay-ms", "40");
      const hold = spawn(
        "ip",
        [
          "netns",
          "exec",
          NS.pc,
          process.execPath,
          "-e",
          `require("node:net").connect(5003, "${HUB_IP}", () => console.log("up")).on("error", () => {});`,
        ],
        {
          stdio: ["ignore", "pipe", "ignore"],
        },
      );
      children.push(hold);
      await once(createInterface({ input: hold.stdout }), "line");
      expect(await stop(r)).toBe(0);
      await stop(hold);
    },
    LIMIT,
  );
});
