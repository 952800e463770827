import { accountHome, dsclHome, passwdHome } from "../../../provisioning/account-home";
import { UserError } from "../../../common/errors";

type Answer = { stdout: string; exitCode: number | null };

/** An exec that answers by the first pattern the command matches, and records every command. */
function fakeExec(answers: Array<[RegExp, Answer]>) {
  const commands: string[] = [];
  const exec = (command: string): Promise<Answer> => {
    commands.push(command);
    const hit = answers.find(([pattern]) => pattern.test(command));
    return Promise.resolve(hit ? hit[1] : { stdout: "", exitCode: 127 });
  };
  return { exec, commands };
}

describe("accountHome", () => {
  test("linux: field 6 of getent passwd (root's home is /root, not /home/root)", async () => {
    const { exec, commands } = fakeExec([
      [/^getent passwd/, { stdout: "root:x:0:0:root:/root:/bin/bash\n", exitCode: 0 }],
    ]);
    await expect(accountHome(exec, "linux", "root")).resolves.toBe("/root");
    expect(commands).toEqual(["getent passwd -- root"]);
  });

  test("linux: falls back to /etc/passwd when getent is missing, user passed by environment", async () => {
    const { exec, commands } = fakeExec([
      [/awk/, { stdout: "svc:x:998:998::/var/lib/svc:/usr/sbin/nologin\n", exitCode: 0 }],
    ]);
    await expect(accountHome(exec, "linux", "svc")).resolves.toBe("/var/lib/svc");
    expect(commands[1]).toBe(`u=svc awk -F: '$1==ENVIRON["u"]' /etc/passwd`);
  });

  test("linux: a hostile user name is quoted, never interpreted", async () => {
    const { exec, commands } = fakeExec([]);
    await expect(accountHome(exec, "linux", "x'; $(reboot) #")).rejects.toThrow(UserError);
    expect(commands[0]).toBe(`getent passwd -- 'x'\\''; $(reboot) #'`);
  });

  test("darwin: NFSHomeDirectory from dscl, on the same or the next line", async () => {
    const { exec, commands } = fakeExec([
      [/^dscl/, { stdout: "NFSHomeDirectory: /Users/ana\n", exitCode: 0 }],
    ]);
    await expect(accountHome(exec, "darwin", "ana")).resolves.toBe("/Users/ana");
    expect(commands).toEqual(["dscl . -read /Users/ana NFSHomeDirectory"]);
    expect(dsclHome("NFSHomeDirectory:\n /Users/a long name\n")).toBe("/Users/a long name");
  });

  test("windows: %USERPROFILE% from cmd, then PowerShell when cmd did not expand it", async () => {
    const cmd = fakeExec([[/^cmd/, { stdout: "C:\\Users\\ana\r\n", exitCode: 0 }]]);
    await expect(accountHome(cmd.exec, "windows", "ana")).resolves.toBe("C:\\Users\\ana");
    const ps = fakeExec([
      [/^cmd/, { stdout: "%USERPROFILE%\r\n", exitCode: 0 }],
      [/^powershell/, { stdout: "C:\\Users\\ana\r\n", exitCode: 0 }],
    ]);
    await expect(accountHome(ps.exec, "windows", "ana")).resolves.toBe("C:\\Users\\ana");
  });

  test("an unknown user, or an answer that is not an absolute home, is a sentence", async () => {
    const none = fakeExec([[/^getent/, { stdout: "", exitCode: 2 }]]);
    await expect(accountHome(none.exec, "linux", "ghost")).rejects.toThrow(
      "could not read the home directory of ghost from getent passwd or /etc/passwd on the host — check that the account exists and has an absolute home directory",
    );
    const relative = fakeExec([[/^getent/, { stdout: "a:x:1:1::home/a:/bin/sh\n", exitCode: 0 }]]);
    await expect(accountHome(relative.exec, "linux", "a")).rejects.toThrow(/it answered "home\/a"/);
    const control = fakeExec([[/^dscl/, { stdout: "NFSHomeDirectory: /Users/a\u001b[2J\n", exitCode: 0 }]]);
    await expect(accountHome(control.exec, "darwin", "a")).rejects.toThrow(UserError);
    const climbing = fakeExec([[/^getent/, { stdout: "a:x:1:1::/home/../etc:/bin/sh\n", exitCode: 0 }]]);
    await expect(accountHome(climbing.exec, "linux", "a")).rejects.toThrow(UserError);
    await expect(accountHome(none.exec, "linux", "a\nb")).rejects.toThrow(/is not a user name/);
    await expect(accountHome(none.exec, "darwin", "../x")).rejects.toThrow(/is not a user name/);
  });

  test("passwdHome matches the whole first field only", () => {
    expect(passwdHome("rootx:x:0:0::/nope:/bin/sh\nroot:x:0:0::/root:/bin/sh\n", "root")).toBe("/root");
    expect(passwdHome("ro:x:0:0::/ro:/bin/sh\n", "root")).toBeUndefined();
  });
});
