import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../../common/errors";
import {
  agentSecretPath,
  findAgentSecret,
  newAgentSecret,
  readAgentSecret,
  removeAgentSecret,
  saveAgentSecret,
} from "../../../state/agent-secret";

describe("the per-device agent secret", () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), "meshpilot-secret-"));
  });
  const secret = "ab".repeat(32);

  test("saved 0600 in a 0700 directory of its own, and read back trimmed", () => {
    saveAgentSecret(stateDir, "pc1", secret);
    const file = agentSecretPath(stateDir, "pc1");
    expect(file).toBe(join(stateDir, "devices", "pc1", "agent.secret"));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, "devices", "pc1")).mode & 0o777).toBe(0o700);
    expect(findAgentSecret(stateDir, "pc1")).toBe(secret);
    expect(readAgentSecret(stateDir, "pc1")).toBe(secret);
  });

  test.each([
    ["640", 0o640],
    ["604", 0o604],
    ["620", 0o620],
    ["644", 0o644],
  ])("a secret file the group or others can touch (mode %s) is refused by both readers", (_shown, mode) => {
    saveAgentSecret(stateDir, "pc1", secret);
    const file = agentSecretPath(stateDir, "pc1");
    chmodSync(file, mode);
    const refusal = `${file} is readable by others — run chmod 600 ${file}`;
    expect(() => findAgentSecret(stateDir, "pc1")).toThrow(new UserError(refusal));
    expect(() => readAgentSecret(stateDir, "pc1")).toThrow(new UserError(refusal));
  });

  test("0600 and 0400 are the owner's alone and are read", () => {
    saveAgentSecret(stateDir, "pc1", secret);
    chmodSync(agentSecretPath(stateDir, "pc1"), 0o400);
    expect(readAgentSecret(stateDir, "pc1")).toBe(secret);
    chmodSync(agentSecretPath(stateDir, "pc1"), 0o600);
    expect(readAgentSecret(stateDir, "pc1")).toBe(secret);
  });

  test("none yet: find says undefined, read says what to do", () => {
    expect(findAgentSecret(stateDir, "pc9")).toBeUndefined();
    expect(() => readAgentSecret(stateDir, "pc9")).toThrow(
      new UserError("there is no agent secret for pc9 — re-run !add-pc pc9"),
    );
  });

  test("an empty secret file is an error, never an empty key", () => {
    saveAgentSecret(stateDir, "pc1", "  ");
    expect(() => findAgentSecret(stateDir, "pc1")).toThrow(/agent\.secret is empty — re-run !add-pc pc1/);
  });

  test("a path that cannot be read says why and what to do", () => {
    mkdirSync(join(stateDir, "devices"), { recursive: true });
    writeFileSync(join(stateDir, "devices", "pc2"), "not a directory");
    expect(() => findAgentSecret(stateDir, "pc2")).toThrow(
      new UserError("cannot read the agent secret of pc2 (ENOTDIR) — re-run !add-pc pc2"),
    );
    mkdirSync(agentSecretPath(stateDir, "pc3"), { recursive: true, mode: 0o700 });
    expect(() => findAgentSecret(stateDir, "pc3")).toThrow(
      new UserError("cannot read the agent secret of pc3 (EISDIR) — re-run !add-pc pc3"),
    );
  });

  test("new secrets are 32 random bytes in hex; removing one removes the device's directory", () => {
    const a = newAgentSecret();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newAgentSecret()).not.toBe(a);
    saveAgentSecret(stateDir, "pc1", a);
    removeAgentSecret(stateDir, "pc1");
    expect(existsSync(join(stateDir, "devices", "pc1"))).toBe(false);
    expect(findAgentSecret(stateDir, "pc1")).toBeUndefined();
  });
});
