import {
  approvalNote,
  classList,
  policyFlavor,
  toolDefinition,
  toolNameMap,
  toolRegistry,
} from "../../../capabilities/registry";
import type { Tool } from "../../../capabilities/types";
import type { Device } from "../../../state/devices";

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
    ["Darwin", "darwin"],
    ["macOS", "darwin"],
    ["Windows_NT", "windows"],
    ["MSYS_NT-10.0", "windows"],
    ["CYGWIN_NT-10.0", "windows"],
    ["not-windows", "linux"],
    ["xmsys", "linux"],
    ["xcygwin", "linux"],
    [null, "linux"],
  ] as const)("the policy flavor of os %j is %s", (os, flavor) => {
    expect(policyFlavor(os)).toBe(flavor);
  });

  test("the registry asks the device's own provider: WireGuard by the device, SSH by its name", () => {
    const asked: string[] = [];
    const registry = toolRegistry({
      wg: { toolsFor: (d) => (asked.push(`wg:${d.name}`), [tool]) },
      ssh: { toolsFor: (name) => (asked.push(`ssh:${name}`), []) },
    });
    expect(registry.toolsFor({ name: "pc1", backend: "wg" } as Device)).toEqual([tool]);
    expect(registry.toolsFor({ name: "pc2", backend: "ssh" } as Device)).toEqual([]);
    expect(asked).toEqual(["wg:pc1", "ssh:pc2"]);
  });

  test("class lists read as English", () => {
    expect(classList([])).toBe("no");
    expect(classList(["read"])).toBe("read");
    expect(classList(["read", "change"])).toBe("read and change");
    expect(classList(["read", "change", "run"])).toBe("read, change and run");
  });

  test("the tool name map finds a tool by its model name and by its own", () => {
    const map = toolNameMap([tool]);
    expect(map.get("fs.list")).toBe(tool);
    expect([...map.keys()].sort()).toEqual(["fs.list", "fs_list"]);
  });
});
