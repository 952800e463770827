import { spawnSync } from "node:child_process";
import { darwinTarget, LAUNCHD_LABEL } from "../../../../provisioning/targets/darwin";
import { utf16WithBom, windowsLayout } from "../../../../provisioning/targets/windows";
import { launchdPlist, windowsTaskXml } from "../../../../provisioning/wg/services/render";
import { xmlProblem } from "./checks";

/**
 * The service definitions parsed back by real parsers (Python's plistlib, the format
 * launchd reads, and ElementTree on the UTF-16 bytes schtasks is given), not matched as text.
 */
function python(program: string, input: Buffer | string): unknown {
  const result = spawnSync("python3", ["-c", program], { input });
  if (result.status !== 0) throw new Error(result.stderr.toString());
  return JSON.parse(result.stdout.toString()) as unknown;
}

const PLIST = "import json,plistlib,sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))";

/** The task as {tag path: text}, namespaces dropped, read from the raw bytes (BOM and all). */
const TASK = `
import json,sys,xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
out = {}
def walk(e, path):
    tag = e.tag.split('}')[1]
    p = path + '/' + tag
    if len(e) == 0: out[p] = e.text
    for c in e: walk(c, p)
    for k, v in e.attrib.items(): out[p + '@' + k] = v
walk(root, '')
print(json.dumps(out))
`;

describe("the launchd plist", () => {
  test("parses as a property list: label, the agent and its config as arguments, kept alive, logs", () => {
    const layout = darwinTarget.layout("/Users/Ana Lopez & <co>");
    const plist = launchdPlist({ binary: layout.binary, config: layout.config, log: layout.log });
    expect(xmlProblem(plist)).toBeUndefined();
    expect(python(PLIST, plist)).toEqual({
      Label: LAUNCHD_LABEL,
      ProgramArguments: [layout.binary, "--config", layout.config],
      RunAtLoad: true,
      KeepAlive: true,
      StandardOutPath: "/Users/Ana Lopez & <co>/.local/state/meshpilot/agent.log",
      StandardErrorPath: "/Users/Ana Lopez & <co>/.local/state/meshpilot/agent.log",
    });
    // Arguments go to execve one by one: a space in the home needs no quoting.
    expect(layout.binary).toBe("/Users/Ana Lopez & <co>/.local/share/meshpilot/device-agent");
    expect(layout.unit).toBe(`/Users/Ana Lopez & <co>/Library/LaunchAgents/${LAUNCHD_LABEL}.plist`);
  });
});

describe("the Task Scheduler task", () => {
  const SID = "S-1-5-21-1004336348-1177238915-682003330-1001";
  const layout = windowsLayout("C:\\Users\\Ana Lopez & <co>");
  const bytes = utf16WithBom(
    windowsTaskXml({ binary: layout.binary, config: layout.config, log: layout.log }, SID),
  );
  const task = python(TASK, bytes) as Record<string, string>;

  test("is UTF-16LE with a BOM, as its declaration says, and parses from those bytes", () => {
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(bytes.subarray(2).toString("utf16le").startsWith('<?xml version="1.0" encoding="UTF-16"?>')).toBe(
      true,
    );
    expect(xmlProblem(bytes.subarray(2).toString("utf16le"))).toBeUndefined();
  });

  test("runs the agent with its config (a path with a space quoted once, & < > escaped once)", () => {
    expect(task["/Task/Actions/Exec/Command"]).toBe(
      "C:\\Users\\Ana Lopez & <co>\\AppData\\Local\\meshpilot\\bin\\device-agent.exe",
    );
    expect(task["/Task/Actions/Exec/Arguments"]).toBe(
      '--config "C:\\Users\\Ana Lopez & <co>\\AppData\\Local\\meshpilot\\config\\agent.yaml"',
    );
    expect(task["/Task/Actions@Context"]).toBe("Author");
  });

  test("as the SSH account's SID, logged on or not (S4U), without elevation", () => {
    expect(task["/Task/Principals/Principal/UserId"]).toBe(SID);
    expect(task["/Task/Principals/Principal/LogonType"]).toBe("S4U");
    expect(task["/Task/Principals/Principal/RunLevel"]).toBe("LeastPrivilege");
    expect(task["/Task/Principals/Principal@id"]).toBe("Author");
  });

  test("started at boot and every minute (a no-op while it runs), never stopped: on battery, or by a time limit", () => {
    expect(task["/Task/Triggers/BootTrigger/Enabled"]).toBe("true");
    expect(task["/Task/Triggers/TimeTrigger/Repetition/Interval"]).toBe("PT1M");
    expect(task["/Task/Triggers/TimeTrigger/Repetition/StopAtDurationEnd"]).toBe("false");
    expect(task["/Task/Triggers/TimeTrigger/Repetition/Duration"]).toBeUndefined(); // repeats forever
    expect(task["/Task/Triggers/TimeTrigger/StartBoundary"]).toBe("2000-01-01T00:00:00");
    expect(task["/Task/Settings/MultipleInstancesPolicy"]).toBe("IgnoreNew");
    expect(task["/Task/Settings/DisallowStartIfOnBatteries"]).toBe("false");
    expect(task["/Task/Settings/StopIfGoingOnBatteries"]).toBe("false");
    expect(task["/Task/Settings/ExecutionTimeLimit"]).toBe("PT0S");
    expect(task["/Task/Settings/RestartOnFailure/Interval"]).toBe("PT1M");
    expect(task["/Task/Settings/StartWhenAvailable"]).toBe("true");
  });
});
