import { approvalNote, policyFlavor, toolDefinition, toolNameMap } from "../../../capabilities/registry";
import type { Tool } from "../../../capabilities/types";

const tool: Tool = {
  name: "fs.list",
  description: "List a directory. Runs without waiting for an operator.",
  inputSchema: { properties: { path: { type: "string" } } },
  classify: () => ({ needed: false, callClass: "read", reason: "fs.list only lists a directory" }),
  timeoutMs: 1000,
  execute: () => Promise.resolve({ ok: true, output: "" }),
};

describe("the tool registry", () => {
  test("a tool as the Messages API wants it: its own description, no blanket approval suffix", () => {
    expect(toolDefinition(tool)).toEqual({
      name: "fs_list",
      description: "List a directory. Runs without waiting for an operator.",
      input_schema: { type: "object", properties: { path: { type: "string" } } },
    });
    expect(toolNameMap([tool]).get("fs_list")).toBe(tool);
  });

  test.each([
    [["change", "run"], [], ["read"], "Runs without waiting for an operator."],
    [["change", "run"], [], ["change"], "Every call is a change call: it waits for an operator's approval."],
    [
      ["change", "run"],
      [],
      ["read", "change", "run"],
      "Each call gets a class (read, change, run) from its exact arguments: read calls run at once, change and run calls wait for an operator's approval.",
    ],
    [[], ["fs.list"], ["read"], "Every call waits for an operator's approval."],
    [
      ["read", "change", "run"],
      [],
      ["read", "change", "run"],
      "Every call waits for an operator's approval, whatever its class.",
    ],
  ] as const)("approvalNote(classes %j, required %j, possible %j)", (classes, required, possible, note) => {
    expect(approvalNote("fs.list", classes, required, possible)).toBe(note);
  });

  test.each([
    ["linux", "linux"],
    ["darwin", "darwin"],
    ["windows", "windows"],
    ["mingw64_nt-10.0", "windows"],
    ["freebsd", "linux"],
    [null, "linux"],
  ] as const)("the policy flavor of os %j is %s", (os, flavor) => {
    expect(policyFlavor(os)).toBe(flavor);
  });
});
