import { checkArgv, type SshManifest } from "../../../../capabilities/ssh/policy";
import { DEFAULT_SSH_BINARIES } from "../../../../config/schema";

const manifest: SshManifest = {
  user: "viewer",
  allowedBinaries: [...DEFAULT_SSH_BINARIES],
  pathsAllowed: ["/home/viewer/**"],
  maxOutputBytes: 1000,
  timeoutS: 5,
};

describe("SSH exec policy", () => {
  test.each([
    [["df", "-h"]],
    [["systemctl", "status", "ssh"]],
    [["systemctl"]],
    [["journalctl", "-u", "ssh", "-n", "20", "--no-pager"]],
    [["ip", "-br", "addr"]],
    [["ip", "route", "show"]],
    [["ss", "-tlnp"]],
    [["date", "+%s"]],
    [["ps", "aux"]],
  ])("%j is allowed", (argv) => {
    expect(checkArgv(manifest, argv)).toEqual({ ok: true, paths: [] });
  });

  test("path arguments are returned (normalised) for resolution; flag values are not paths", () => {
    expect(checkArgv(manifest, ["tail", "-n", "5", "/home/viewer/a/../b.log"])).toEqual({
      ok: true,
      paths: ["/home/viewer/b.log"],
    });
    expect(checkArgv(manifest, ["ls", "-la", "/home/viewer", "/tmp"])).toEqual({
      ok: true,
      paths: ["/home/viewer", "/tmp"],
    });
  });

  test.each([
    [["rm", "-rf", "/"], /rm is not an allowed binary/],
    [["/bin/cat", "/etc/passwd"], /not a bare binary name/],
    [["cat", "/home/viewer/a;id"], /contains ";"/],
    [["ls", "$(id)"], /contains "\$\("/],
    [["ls", "`id`"], /contains "`"/],
    [["ls", "a\nid"], /contains "\\n"/],
    [["df", "|", "sh"], /contains "\|"/],
    [["systemctl", "stop", "ssh"], /systemctl stop can change the system/],
    [["journalctl", "--vacuum-size=1M"], /changes the journal/],
    [["journalctl", "-f"], /never ends/],
    [["ip", "link", "set", "eth0", "down"], /ip link set can change the network/],
    [["ip", "-batch", "x"], /ip -batch is not allowed/],
    [["ss", "-K"], /not allowed/],
    [["hostname", "evil"], /rename the machine/],
    [["date", "-s", "2020-01-01"], /not set the clock/],
    [["cat", "notes.txt"], /relative path — give an absolute path/],
    [["du", "--files0-from=/etc/list"], /reads a file list/],
    [[], /1 to 64 arguments/],
    [["ls", 42], /must be a string/],
  ])("%j is refused", (argv, reason) => {
    const decision = checkArgv(manifest, argv);
    expect(decision.ok).toBe(false);
    if (!decision.ok) expect(decision.reason).toMatch(reason);
  });
});
