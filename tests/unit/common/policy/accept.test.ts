/** Everyday argv that must be accepted, with the expected class, path words and cwd use. */
import { checkArgv, defaultReadPrograms, type CallClass, type PolicyFlavor } from "../../../../common/policy";

interface Everyday {
  argv: string[];
  callClass?: CallClass;
  /** [index, value, prefix] of every path word. */
  paths?: Array<[number, string, string?]>;
  usesCwd?: boolean;
  flavor?: PolicyFlavor;
}

const LINUX: Everyday[] = [
  { argv: ["ls"], usesCwd: true },
  { argv: ["ls", "-la", "/home/u"], paths: [[2, "/home/u"]] },
  { argv: ["ls", "-lah", "--group-directories-first", "/var/log"], paths: [[3, "/var/log"]] },
  { argv: ["ls", "-l", "--time-style=long-iso", "--sort=size", "logs"], paths: [[4, "logs"]] },
  { argv: ["ls", "--color=never", "-I", "*.o", "."], paths: [[4, "."]] },
  {
    argv: ["ls", "-R", "/etc/nginx", "/etc/ssh"],
    paths: [
      [2, "/etc/nginx"],
      [3, "/etc/ssh"],
    ],
  },
  { argv: ["ls", "/tmp", "-l"], paths: [[1, "/tmp"]] },
  { argv: ["cat", "/etc/hostname"], paths: [[1, "/etc/hostname"]] },
  {
    argv: ["cat", "-n", "/etc/hosts", "/etc/resolv.conf"],
    paths: [
      [2, "/etc/hosts"],
      [3, "/etc/resolv.conf"],
    ],
  },
  { argv: ["head", "-n", "20", "/var/log/syslog"], paths: [[3, "/var/log/syslog"]] },
  { argv: ["head", "-n5", "/var/log/syslog"], paths: [[2, "/var/log/syslog"]] },
  { argv: ["head", "--lines=5", "a.txt"], paths: [[2, "a.txt"]] },
  { argv: ["head", "--lines", "-5", "a.txt"], paths: [[3, "a.txt"]] },
  { argv: ["head", "-c", "100", "/etc/os-release"], paths: [[3, "/etc/os-release"]] },
  { argv: ["head", "--", "-n"], paths: [[2, "-n"]] },
  { argv: ["tail", "-n", "100", "/var/log/nginx/error.log"], paths: [[3, "/var/log/nginx/error.log"]] },
  { argv: ["tail", "-n", "+5", "/etc/passwd"], paths: [[3, "/etc/passwd"]] },
  {
    argv: ["tail", "-qn50", "/var/log/a", "/var/log/b"],
    paths: [
      [2, "/var/log/a"],
      [3, "/var/log/b"],
    ],
  },
  { argv: ["wc", "-l", "/etc/passwd"], paths: [[2, "/etc/passwd"]] },
  {
    argv: ["wc", "-lwc", "a", "b"],
    paths: [
      [2, "a"],
      [3, "b"],
    ],
  },
  { argv: ["du", "-sh", "/var/log"], paths: [[2, "/var/log"]] },
  { argv: ["du", "-h", "--max-depth=1"], usesCwd: true },
  { argv: ["du", "-d", "2", "--exclude=*.gz", "/srv"], paths: [[4, "/srv"]] },
  { argv: ["df", "-h"] },
  { argv: ["df", "-hT", "/"], paths: [[2, "/"]] },
  { argv: ["stat", "/etc/passwd"], paths: [[1, "/etc/passwd"]] },
  { argv: ["stat", "-c", "%a %U %n", "/etc/shadow"], paths: [[3, "/etc/shadow"]] },
  { argv: ["stat", "--format=%s", "x"], paths: [[2, "x"]] },
  { argv: ["grep", "-rn", "error", "/var/log"], paths: [[3, "/var/log"]] },
  { argv: ["grep", "-rn", "error"], usesCwd: true },
  { argv: ["grep", "-i", "-e", "fail", "-e", "error", "/var/log/syslog"], paths: [[6, "/var/log/syslog"]] },
  { argv: ["grep", "-c", "sshd", "/var/log/auth.log"], paths: [[3, "/var/log/auth.log"]] },
  { argv: ["grep", "-r", "--include=*.conf", "listen", "/etc/nginx"], paths: [[4, "/etc/nginx"]] },
  { argv: ["grep", "-A", "3", "-B2", "panic", "k.log"], paths: [[5, "k.log"]] },
  {
    argv: ["grep", "-f", "pats.txt", "data.txt"],
    paths: [
      [2, "pats.txt"],
      [3, "data.txt"],
    ],
  },
  { argv: ["grep", "--file=pats.txt", "-r"], paths: [[1, "pats.txt", "--file="]], usesCwd: true },
  {
    argv: ["grep", "-fpats.txt", "data.txt"],
    paths: [
      [1, "pats.txt", "-f"],
      [2, "data.txt"],
    ],
  },
  { argv: ["grep", "--", "-v", "file"], paths: [[3, "file"]] },
  { argv: ["echo", "hello", "world"] },
  { argv: ["echo", "-n", "x"] },
  { argv: ["date"] },
  { argv: ["date", "+%Y-%m-%d %H:%M:%S"] },
  { argv: ["date", "-u", "-Iseconds"] },
  { argv: ["date", "--iso-8601=minutes"] },
  { argv: ["date", "-d", "yesterday", "+%F"] },
  { argv: ["date", "--rfc-3339=seconds"] },
  { argv: ["find", "/var/log", "-name", "*.log", "-mtime", "-7"], paths: [[1, "/var/log"]] },
  { argv: ["find", ".", "-maxdepth", "2", "-type", "f", "-size", "+10M"], paths: [[1, "."]] },
  { argv: ["find", "-name", "*.py"], usesCwd: true },
  {
    argv: ["find", "/etc", "(", "-name", "*.conf", "-o", "-name", "*.cfg", ")", "-print"],
    paths: [[1, "/etc"]],
  },
  {
    argv: ["find", "/srv", "-newer", "/srv/stamp", "!", "-empty"],
    paths: [
      [1, "/srv"],
      [3, "/srv/stamp"],
    ],
  },
  { argv: ["hostname"] },
  { argv: ["hostname", "-I"] },
  { argv: ["uname", "-a"] },
  { argv: ["uname", "-srm"] },
  { argv: ["uptime", "-p"] },
  { argv: ["free", "-h"] },
  { argv: ["free", "-mt"] },
  { argv: ["whoami"] },
  { argv: ["id"] },
  { argv: ["id", "-un", "root"] },
  { argv: ["ps", "aux"] },
  { argv: ["ps", "aux", "--sort=-%mem"] },
  { argv: ["ps", "-ef"] },
  { argv: ["ps", "-eo", "pid,user,%cpu,args", "--sort", "-%cpu"] },
  { argv: ["ps", "-p", "1,2", "-o", "pid,comm"] },
  { argv: ["ps", "-u", "www-data", "-f"] },
  { argv: ["systemctl", "status", "nginx"] },
  { argv: ["systemctl", "--no-pager", "status", "nginx.service", "ssh"] },
  { argv: ["systemctl", "status", "--no-pager", "-n", "20", "nginx"] },
  { argv: ["systemctl", "is-active", "nginx"] },
  { argv: ["systemctl", "is-enabled", "ssh"] },
  { argv: ["systemctl", "is-failed", "nginx"] },
  { argv: ["systemctl", "show", "-p", "ActiveState,MainPID", "nginx"] },
  { argv: ["systemctl", "show", "--property=ActiveState", "nginx"] },
  { argv: ["systemctl", "list-units", "--type=service", "--state=failed", "--no-legend"] },
  { argv: ["systemctl", "list-unit-files", "ssh*"] },
  { argv: ["systemctl", "list-timers", "--all"] },
  { argv: ["systemctl", "--user", "status"] },
  { argv: ["systemctl", "restart", "nginx"], callClass: "change" },
  { argv: ["systemctl", "stop", "nginx", "php-fpm"], callClass: "change" },
  { argv: ["systemctl", "start", "--no-block", "backup.service"], callClass: "change" },
  { argv: ["systemctl", "reload", "nginx"], callClass: "change" },
  { argv: ["systemctl", "--", "restart", "nginx"], callClass: "change" },
  { argv: ["journalctl", "-u", "nginx", "-n", "50", "--no-pager"] },
  { argv: ["journalctl", "-u", "ssh", "--since", "1 hour ago", "--no-pager"] },
  { argv: ["journalctl", "-b", "-1", "-p", "err"] },
  { argv: ["journalctl", "-b", "-n"] },
  { argv: ["journalctl", "-kr", "-n100"] },
  { argv: ["journalctl", "--since=yesterday", "--until=today", "-o", "json"] },
  { argv: ["journalctl", "-p", "0..3", "-q", "--no-hostname"] },
  { argv: ["ip", "addr"] },
  { argv: ["ip", "-br", "addr", "show"] },
  { argv: ["ip", "-4", "-o", "address", "show", "dev", "eth0"] },
  { argv: ["ip", "route"] },
  { argv: ["ip", "-j", "-s", "link", "show", "dev", "wg0"] },
  { argv: ["ip", "neigh", "show"] },
  { argv: ["ss", "-tulpn"] },
  { argv: ["ss", "-s"] },
  { argv: ["ss", "--tcp", "--listening", "--numeric"] },
  { argv: ["ss", "-tanH"] },
  { argv: ["lsblk"] },
  { argv: ["lsblk", "-f", "-o", "NAME,SIZE,MOUNTPOINT"] },
  { argv: ["lsblk", "/dev/sda"], paths: [[1, "/dev/sda"]] },
];

const OTHERS: Everyday[] = [
  { flavor: "darwin", argv: ["ls", "-la", "/Users/u"], paths: [[2, "/Users/u"]] },
  { flavor: "darwin", argv: ["ls"], usesCwd: true },
  {
    flavor: "darwin",
    argv: ["tail", "-n", "+3", "/var/log/system.log"],
    paths: [[3, "/var/log/system.log"]],
  },
  { flavor: "darwin", argv: ["du", "-sh", "-d", "1", "/Users"], paths: [[4, "/Users"]] },
  { flavor: "darwin", argv: ["ps", "aux"] },
  { flavor: "darwin", argv: ["date", "-u", "+%s"] },
  { flavor: "darwin", argv: ["ls", "--", "-weird"], paths: [[2, "-weird"]] },
  { flavor: "windows", argv: ["ipconfig", "/all"] },
  { flavor: "windows", argv: ["IPCONFIG.EXE", "/ALL"] },
  { flavor: "windows", argv: ["hostname"] },
  { flavor: "windows", argv: ["whoami", "/groups"] },
  { flavor: "windows", argv: ["tasklist", "/v", "/fo", "CSV"] },
  { flavor: "windows", argv: ["systeminfo.exe"] },
];

function allowed(flavor: PolicyFlavor): string[] {
  return [...defaultReadPrograms(flavor), "systemctl"];
}

describe("everyday argv", () => {
  it("has at least 60 cases", () => {
    expect(LINUX.length + OTHERS.length).toBeGreaterThanOrEqual(60);
  });

  it.each([...LINUX, ...OTHERS].map((c) => [c.argv.join(" "), c] as const))("accepts %s", (_shown, c) => {
    const verdict = checkArgv(c.flavor ?? "linux", allowed(c.flavor ?? "linux"), c.argv);
    expect(verdict).toMatchObject({
      ok: true,
      callClass: c.callClass ?? "read",
      usesCwd: c.usesCwd ?? false,
    });
    if (!verdict.ok) return;
    expect(verdict.paths).toEqual(
      (c.paths ?? []).map(([index, value, prefix]) => ({
        index,
        value,
        prefix: prefix ?? "",
        access: "read",
      })),
    );
    expect(verdict.form.length).toBeGreaterThan(0);
    expect(verdict.reason).toMatch(/^\S+ .+/);
  });
});
