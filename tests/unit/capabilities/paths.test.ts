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

  test("regex metacharacters in globs are literal", () => {
    expect(globToRegExp("/srv/a+b/**").test("/srv/aab/x")).toBe(false);
    expect(globToRegExp("/srv/a+b/**").test("/srv/a+b/x")).toBe(true);
  });

  test("normalising removes .. and trailing slashes; relative paths are not accepted", () => {
    expect(normaliseAbsolute("/home/viewer/../lucas/")).toBe("/home/lucas");
    expect(normaliseAbsolute("/")).toBe("/");
    expect(normaliseAbsolute("notes.txt")).toBeUndefined();
  });
});
