/* eslint-disable @typescript-eslint/no-unsafe-assignment -- jest's asymmetric matchers (expect.any, expect.stringContaining) are typed any */
import { CAPABILITY_NAMES, capabilitySpecs, parseCapabilityInput } from "../../../common/capabilities";

describe("capability specs", () => {
  test("exactly the fourteen names, each with a description and an object schema", () => {
    expect(CAPABILITY_NAMES).toEqual([
      "fs.read",
      "fs.list",
      "fs.write",
      "git.status",
      "git.log",
      "git.pull",
      "docker.ps",
      "docker.logs",
      "docker.restart",
      "pkg.install",
      "proc.list",
      "proc.kill",
      "shell.exec",
      "shell.eval",
    ]);
    for (const spec of capabilitySpecs()) {
      expect(spec.description.length).toBeGreaterThan(10);
      expect(spec.inputSchema).toMatchObject({ type: "object", additionalProperties: false });
      expect(spec.inputSchema).not.toHaveProperty("$schema");
    }
    expect(capabilitySpecs().find((s) => s.name === "shell.exec")!.inputSchema).toMatchObject({
      required: ["argv"],
      properties: { argv: { type: "array", items: { type: "string" } } },
    });
  });

  test("an input that is not an object, or a missing field, names the input or the field", () => {
    const notObject = parseCapabilityInput("fs.read", "just a string");
    expect(notObject).toMatchObject({ ok: false, error: expect.stringMatching(/^input: \S/) as unknown });
    const missing = parseCapabilityInput("fs.read", {});
    expect(missing).toMatchObject({ ok: false, error: expect.stringMatching(/^path: \S/) as unknown });
    expect(parseCapabilityInput("proc.list", undefined)).toEqual({ ok: true, value: {} });
  });

  test("inputs are validated, and the error names the field", () => {
    expect(parseCapabilityInput("fs.read", { path: "/x" })).toEqual({ ok: true, value: { path: "/x" } });
    expect(parseCapabilityInput("fs.read", { path: "/x", extra: 1 })).toMatchObject({ ok: false });
    expect(parseCapabilityInput("shell.exec", { argv: [] })).toMatchObject({
      ok: false,
      error: expect.stringContaining("argv"),
    });
    // Names that would become options are refused by the schema, before any command line is built.
    expect(parseCapabilityInput("docker.restart", { container: "--all" })).toMatchObject({
      ok: false,
      error: expect.stringContaining("container"),
    });
    expect(parseCapabilityInput("pkg.install", { packages: ["-y"] })).toMatchObject({ ok: false });
    expect(parseCapabilityInput("proc.kill", { pid: 1 })).toMatchObject({ ok: false });
  });
});
