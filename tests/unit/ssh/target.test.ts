import { formatSshTarget, hostKeyId, parseSshTarget } from "../../../ssh/target";
import { shellQuote } from "../../../ssh/quote";
import { fingerprint } from "../../../ssh/host-keys";

describe("SSH targets", () => {
  test.each([
    ["lucas@203.0.113.7", { user: "lucas", host: "203.0.113.7", port: 22 }],
    ["ops@backup.example.org:2222", { user: "ops", host: "backup.example.org", port: 2222 }],
    ["root@[2001:db8::1]:2200", { user: "root", host: "2001:db8::1", port: 2200 }],
  ])("%s parses", (text, target) => {
    expect(parseSshTarget(text)).toEqual(target);
    expect(formatSshTarget(parseSshTarget(text))).toBe(text);
  });

  test.each([
    ["203.0.113.7", /has no user/],
    ["lucas@", /is not a host name/],
    ["lucas@host:0", /bad port/],
    ["lucas@host:99999", /bad port/],
    ["lu cas@host", /not a valid user name/],
    ["lucas@300.1.1.1", /not a host name or address/],
    ["lucas@host;rm", /not a host name/],
    ["lucas@[::1", /unclosed/],
  ])("%s is refused with the form to use", (text, message) => {
    expect(() => parseSshTarget(text)).toThrow(message);
    expect(() => parseSshTarget(text)).toThrow(/write it as user@host or user@host:port/);
  });

  test("host key ids ignore case and carry the port", () => {
    expect(hostKeyId({ host: "Web.Example.ORG", port: 2222 })).toBe("web.example.org:2222");
  });

  test("fingerprints look like OpenSSH's", () => {
    expect(fingerprint(Buffer.from("key"))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe("shell quoting", () => {
  test("plain words stay, everything else is single-quoted so the remote shell interprets nothing", () => {
    expect(shellQuote(["ls", "-la", "/home/u"])).toBe("ls -la /home/u");
    expect(shellQuote(["echo", "$(id)", "a b", "it's", "`x`;y\nz"])).toBe(
      `echo '$(id)' 'a b' 'it'\\''s' '\`x\`;y\nz'`,
    );
  });

  test("a NUL byte is refused", () => {
    expect(() => shellQuote(["cat", "a\0b"])).toThrow(/NUL/);
  });
});
