import { checkSshArgv, type SshManifest } from "../../../../capabilities/ssh/policy";
import { DEFAULT_SSH_BINARIES } from "../../../../config/schema";

const manifest: SshManifest = {
  user: "viewer",
  home: "/home/viewer",
  allowedBinaries: [...DEFAULT_SSH_BINARIES, "systemctl"],
  pathsAllowed: ["/home/viewer/**", "/var/log/**"],
  maxOutputBytes: 1000,
  timeoutS: 5,
};

describe("the SSH exec policy (the shared grammar, read forms only, paths checked as given)", () => {
  test.each([
    [["df", "-h"]],
    [["systemctl", "status", "ssh"]],
    [["journalctl", "-u", "ssh", "-n", "20", "--no-pager"]],
    [["ip", "-br", "addr"]],
    [["ss", "-tlnp"]],
    [["date", "+%s"]],
    [["ps", "aux"]],
  ])("%j is a read with no path", (argv) => {
    expect(checkSshArgv(manifest, argv)).toMatchObject({ ok: true, callClass: "read", paths: [] });
  });

  test("path words, positional or option value, come back normalised with their index and prefix", () => {
    expect(checkSshArgv(manifest, ["tail", "-n", "5", "/home/viewer/a/../b.log"])).toMatchObject({
      ok: true,
      paths: [{ index: 3, prefix: "", path: "/home/viewer/b.log" }],
    });
    const grep = checkSshArgv(manifest, ["grep", "-f", "/home/viewer/pats", "/var/log/syslog"]);
    expect(grep).toMatchObject({ ok: true });
    if (grep.ok) expect(grep.paths.map((p) => p.path)).toEqual(["/home/viewer/pats", "/var/log/syslog"]);
  });

  test("a program given no path runs in the home, which must be allowed and known", () => {
    expect(checkSshArgv(manifest, ["ls", "-la"])).toMatchObject({ ok: true, cwd: "/home/viewer" });
    expect(checkSshArgv({ ...manifest, home: undefined }, ["ls"])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/home directory is not known — give an absolute path/) as string,
    });
    expect(checkSshArgv({ ...manifest, home: "/root" }, ["ls"])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/home directory \/root, which is outside paths_allowed/) as string,
    });
  });

  test.each([
    // What outside testers proved against the old list of known-bad options:
    [["ss", "--dia=/home/viewer/x"], /--dia is not an option ss accepts/],
    [["systemctl", "-p", "status", "restart"], /./],
    [["head", "--", "-n", "/home/viewer/a"], /"-n" is a relative path/],
    [["date", "--file=/etc/shadow"], /./],
    [["wc", "--files0-from=/etc/shadow"], /./],
    [["du", "--files0-from=/etc/shadow"], /--files0-from is not an option du accepts/],
    // And the rest of the class:
    [["rm", "-rf", "/"], /rm is not an allowed program/],
    [["/bin/cat", "/etc/passwd"], /bare program name/],
    [["systemctl", "stop", "ssh"], /is a change call, and an SSH-only device only reads/],
    [["cat", "notes.txt"], /"notes.txt" is a relative path — give an absolute path/],
    [["cat", "/etc/shadow"], /\/etc\/shadow is outside paths_allowed/],
    [["cat", "/home/viewer/../../etc/shadow"], /\/etc\/shadow is outside paths_allowed/],
    [["grep", "-f", "/etc/shadow", "/var/log/syslog"], /\/etc\/shadow is outside paths_allowed/],
    [["ls", "a\nb"], /line break/],
    [["ls", 42], /must be a string/],
    [[], /empty command line/],
  ])("%j is refused", (argv, reason) => {
    const decision = checkSshArgv(manifest, argv);
    expect(decision).toMatchObject({ ok: false });
    if (!decision.ok) expect(decision.reason).toMatch(reason);
  });

  test("at most seven paths (one descriptor each)", () => {
    const many = Array.from({ length: 8 }, (_, i) => `/var/log/f${i}`);
    expect(checkSshArgv(manifest, ["cat", ...many])).toMatchObject({
      ok: false,
      reason: "at most 7 paths in one call",
    });
  });
});
