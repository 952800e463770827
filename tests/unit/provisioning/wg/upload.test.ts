import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { WgAddData } from "../../../../provisioning/run-data";
import { linuxTarget } from "../../../../provisioning/targets/linux";
import { compressedAgent, compressedPath } from "../../../../provisioning/wg/agent-install";
import { FakeMachine } from "../support/machine";
import { disposeWorlds, World } from "../support/world";

/** The agent goes over the wire as a gzip, once per build, and is checked after unpacking. */

afterEach(disposeWorlds);

const LAYOUT = linuxTarget.layout("/home/ana");
const sha = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "mp-upload-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function agentFile(text = "#!/bin/sh\n# an agent that compresses well\n".repeat(200)) {
  const path = join(tmp, "device-agent-linux-amd64");
  writeFileSync(path, text);
  return { path, sha256: sha(text), bytes: Buffer.byteLength(text) };
}

describe("the agent upload", () => {
  test("an add sends the gzip, the PC holds the executable, and the step says the bytes on the wire", async () => {
    const world = World.create();
    const pc = world.machine({ host: "pc1.lan" });
    const result = await world.add("pc1", "pc1.lan");
    if (result.kind !== "added") throw new Error(JSON.stringify(result));

    const agent = world.wg.localAgent("linux-amd64");
    const gz = statSync(compressedPath(agent)).size;
    expect((result.data as WgAddData).bytesUploaded).toBe(gz);
    expect(pc.files.get(LAYOUT.binary)).toEqual({ data: readFileSync(agent.path), mode: 0o755 });
    expect(pc.files.has(`${LAYOUT.binary}.upload`)).toBe(false);
    const uploads = pc.history.filter((h) => h.command.includes("gunzip -c"));
    expect(uploads).toHaveLength(1);
    const step6 = world.journal.steps(result.outcome.runId).find((s) => s.idx === 6)!;
    expect(step6.detail).toBe(
      `linux-amd64, ${(gz / 1e6).toFixed(1)} MB sent (gzip of ${(agent.bytes / 1e6).toFixed(1)} MB)`,
    );
    expect(pc.unknown).toEqual([]);
  });

  test("the same build already on the PC: one checksum read, nothing sent", async () => {
    const agent = agentFile();
    const pc = new FakeMachine({ host: "pc1.lan" });
    const shell = pc.shell("pc1");
    const sent = await linuxTarget.uploadAgent(shell, LAYOUT, agent);
    expect(sent).toBe(statSync(compressedPath(agent)).size);
    expect(sent).toBeLessThan(agent.bytes / 5);
    const before = pc.history.length;
    await expect(linuxTarget.uploadAgent(shell, LAYOUT, agent)).resolves.toBe(0);
    expect(pc.history.slice(before).map((h) => h.kind)).toEqual(["read"]);
  });

  test("bytes that unpack wrong are refused by the checksum; a cut-off stream by gunzip; no .upload is left", async () => {
    const agent = agentFile();
    const pc = new FakeMachine({ host: "pc1.lan" });
    pc.corruptNextUpload();
    await expect(linuxTarget.uploadAgent(pc.shell("pc1"), LAYOUT, agent)).rejects.toThrow(
      "the agent uploaded to pc1 does not match its checksum — the transfer was corrupted; run the command again",
    );
    pc.truncateNextUpload();
    await expect(linuxTarget.uploadAgent(pc.shell("pc1"), LAYOUT, agent)).rejects.toThrow(
      "uploading the device agent failed on pc1 (exit 1: gzip: stdin: unexpected end of file)",
    );
    expect([...pc.files.keys()]).toEqual([]);
  });
});

describe("compressedAgent", () => {
  test("made once next to the build, keyed by the SHA-256, shared by concurrent adds", async () => {
    const agent = agentFile();
    const [a, b] = await Promise.all([compressedAgent(agent), compressedAgent(agent)]);
    expect(a).toBe(b);
    expect(readdirSync(tmp).sort()).toEqual([
      "device-agent-linux-amd64",
      `device-agent-linux-amd64.${agent.sha256.slice(0, 16)}.gz`,
    ]);
    const made = statSync(compressedPath(agent));
    expect(a.bytes).toBe(made.size);
    expect(gunzipSync(readFileSync(compressedPath(agent))).toString()).toBe(readFileSync(agent.path, "utf8"));

    // A later add reads the file; it does not compress again.
    const again = await compressedAgent(agent);
    expect(statSync(compressedPath(agent)).mtimeMs).toBe(made.mtimeMs);
    expect(again.bytes).toBe(made.size);
  });

  test("a directory the bot cannot write: the gzip is kept in the temp directory instead", async () => {
    // /proc refuses new files even to root.
    const text = readFileSync("/proc/version");
    const agent = { path: "/proc/version", sha256: sha(text), bytes: text.length };
    const cached = join(tmpdir(), `meshpilot-version.${agent.sha256.slice(0, 16)}.gz`);
    try {
      const gz = await compressedAgent(agent);
      expect(gz.bytes).toBe(statSync(cached).size);
      const chunks: Buffer[] = [];
      for await (const chunk of gz.open()) chunks.push(chunk as Buffer);
      expect(gunzipSync(Buffer.concat(chunks))).toEqual(text);
    } finally {
      rmSync(cached, { force: true });
    }
  });
});
