import { runSelfTest } from "../../../device-agent/selftest";
import { openNodeAuditDb } from "../../../device-agent/node-db";

test("the self-test passes on this machine (under Node, with better-sqlite3)", async () => {
  const lines: string[] = [];
  const passed = await runSelfTest(openNodeAuditDb, (line) => lines.push(line));
  const output = lines.join("");
  expect(output).toMatch(/self-test: \d+ passed, 0 failed/);
  expect(output).toMatch(/^ok {3}audit chain/m);
  expect(passed).toBe(true);
}, 30_000);
