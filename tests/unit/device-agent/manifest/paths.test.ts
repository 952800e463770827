import { binaryAllowed, canonicalPath, pathAllowed } from "../../../../device-agent/manifest/paths";

describe("paths_allowed on POSIX", () => {
  const globs = ["/home/lucas/**", "/srv/*/logs/**", "/etc/hostname"];

  test("inside is allowed, including the directory itself", () => {
    expect(pathAllowed("posix", "/home/lucas", globs)).toBe(true);
    expect(pathAllowed("posix", "/home/lucas/", globs)).toBe(true);
    expect(pathAllowed("posix", "/home/lucas/a/b/c.txt", globs)).toBe(true);
    expect(pathAllowed("posix", "/srv/app/logs/x.log", globs)).toBe(true);
    expect(pathAllowed("posix", "/etc/hostname", globs)).toBe(true);
  });

  test("traversal and look-alike prefixes are refused", () => {
    expect(pathAllowed("posix", "/home/lucas/../root/.ssh/id_rsa", globs)).toBe(false);
    expect(pathAllowed("posix", "/home/lucas/a/../../lucas2/x", globs)).toBe(false);
    expect(pathAllowed("posix", "/home/lucas2/x", globs)).toBe(false);
    expect(pathAllowed("posix", "/home/lucasx", globs)).toBe(false);
    expect(pathAllowed("posix", "/srv/a/b/logs/x", globs)).toBe(false); // * stays within one segment
    expect(pathAllowed("posix", "/etc/passwd", globs)).toBe(false);
    // `..` that stays inside is fine: the check is on where the path lands.
    expect(pathAllowed("posix", "/home/lucas/a/../b", globs)).toBe(true);
  });

  test("relative paths and NUL bytes are refused", () => {
    expect(pathAllowed("posix", "home/lucas/x", globs)).toBe(false);
    expect(pathAllowed("posix", "/home/lucas/x\0/etc/passwd", globs)).toBe(false);
  });

  test("regex characters in globs are literal", () => {
    expect(pathAllowed("posix", "/data/a+b/x", ["/data/a+b/**"])).toBe(true);
    expect(pathAllowed("posix", "/data/aab/x", ["/data/a+b/**"])).toBe(false);
  });
});

describe("paths_allowed on Windows (pure rules, tested anywhere)", () => {
  const globs = ["C:\\Users\\Lucas\\**"];

  test("case and slash direction do not matter", () => {
    expect(pathAllowed("windows", "c:\\users\\lucas\\Documents\\a.txt", globs)).toBe(true);
    expect(pathAllowed("windows", "C:/Users/LUCAS/Documents/a.txt", globs)).toBe(true);
    expect(pathAllowed("windows", "C:\\Users\\Lucas", globs)).toBe(true);
    expect(pathAllowed("windows", "c:/users/lucas/x", ["c:/USERS/lucas/**"])).toBe(true);
  });

  test("traversal, other users and other drives are refused", () => {
    expect(pathAllowed("windows", "C:\\Users\\Lucas\\..\\Admin\\secret.txt", globs)).toBe(false);
    expect(pathAllowed("windows", "C:/Users/Lucas/../../Windows/System32", globs)).toBe(false);
    expect(pathAllowed("windows", "C:\\Users\\Lucas2\\x", globs)).toBe(false);
    expect(pathAllowed("windows", "D:\\Users\\Lucas\\x", globs)).toBe(false);
  });

  test("drive-relative and rooted-without-drive paths are refused", () => {
    expect(canonicalPath("windows", "C:Users\\Lucas")).toBeUndefined();
    expect(canonicalPath("windows", "\\Users\\Lucas")).toBeUndefined();
    expect(canonicalPath("windows", "\\\\server\\share\\x")).toBe("\\\\server\\share\\x");
  });
});

describe("binaries_allowed", () => {
  test("a bare name matches a bare entry; a path only the same path", () => {
    const allowed = ["ls", "/usr/bin/git"];
    expect(binaryAllowed("posix", "ls", allowed)).toBe(true);
    expect(binaryAllowed("posix", "/usr/bin/git", allowed)).toBe(true);
    expect(binaryAllowed("posix", "/tmp/ls", allowed)).toBe(false);
    expect(binaryAllowed("posix", "./ls", allowed)).toBe(false);
    expect(binaryAllowed("posix", "git", allowed)).toBe(false);
    expect(binaryAllowed("posix", "LS", allowed)).toBe(false);
  });

  test("on Windows case, slashes and .exe do not matter", () => {
    const allowed = ["whoami", "C:\\Program Files\\Git\\bin\\git.exe"];
    expect(binaryAllowed("windows", "WHOAMI.EXE", allowed)).toBe(true);
    expect(binaryAllowed("windows", "c:/program files/git/bin/GIT", allowed)).toBe(true);
    expect(binaryAllowed("windows", "C:\\tmp\\whoami.exe", allowed)).toBe(false);
  });
});
