import { globToRegExp, normaliseAbsolute, pathAllowed } from "../../../capabilities/paths";

describe("paths_allowed globs", () => {
  const globs = ["/home/viewer/**", "/var/log/*.log", "/etc/os-release"];

  test.each([
    ["/home/viewer", true],
    ["/home/viewer/a/b/c.txt", true],
    ["/home/viewerx", false],
    ["/home/lucas/x", false],
    ["/var/log/syslog.log", true],
    ["/var/log/nginx/access.log", false],
    ["/etc/os-release", true],
    ["/etc/shadow", false],
  ])("%s allowed: %s", (path, allowed) => {
    expect(pathAllowed(path, globs)).toBe(allowed);
  });

  test("** without a slash before it spans directories; **/ in the middle matches zero or more of them", () => {
    expect(globToRegExp("/srv/data**").test("/srv/database/x")).toBe(true);
    const middle = globToRegExp("/srv/**/app.log");
    expect(middle.test("/srv/app.log")).toBe(true);
    expect(middle.test("/srv/a/b/app.log")).toBe(true);
    expect(middle.test("/srv/a/b/app.logx")).toBe(false);
    expect(middle.test("/srvx/app.log")).toBe(false);
  });

  test("? is one character but never a slash; * stays within a directory", () => {
    expect(pathAllowed("/tmp/a1", ["/tmp/a?"])).toBe(true);
    expect(pathAllowed("/tmp/a12", ["/tmp/a?"])).toBe(false);
    expect(pathAllowed("/tmp/a/", ["/tmp/a?"])).toBe(false);
    expect(pathAllowed("/tmp/x/y", ["/tmp/*"])).toBe(false);
    expect(pathAllowed("/tmp/", ["/tmp/*"])).toBe(true);
    expect(pathAllowed("/anything", [])).toBe(false);
  });

  test("regex metacharacters in globs are literal", () => {
    expect(globToRegExp("/srv/a+b/**").test("/srv/aab/x")).toBe(false);
    expect(globToRegExp("/srv/a+b/**").test("/srv/a+b/x")).toBe(true);
  });

  test("normalising removes .. and trailing slashes; relative paths are not accepted", () => {
    expect(normaliseAbsolute("/home/viewer/../lucas/")).toBe("/home/lucas");
    expect(normaliseAbsolute("/")).toBe("/");
    expect(normaliseAbsolute("//")).toBe("/");
    expect(normaliseAbsolute("/a//b/./c//")).toBe("/a/b/c");
    expect(normaliseAbsolute("notes.txt")).toBeUndefined();
  });
});
