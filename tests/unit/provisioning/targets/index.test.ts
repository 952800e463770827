import { darwinTarget } from "../../../../provisioning/targets/darwin";
import { adapterFor, pickAdapter } from "../../../../provisioning/targets/index";
import { linuxTarget } from "../../../../provisioning/targets/linux";
import { windowsTarget } from "../../../../provisioning/targets/windows";
import { factsFor } from "./checks";

describe("adapterFor / pickAdapter", () => {
  test("one adapter per OS; the Mac's follows the arch", () => {
    expect(adapterFor("linux")).toBe(linuxTarget);
    expect(adapterFor("windows")).toBe(windowsTarget);
    expect(adapterFor("darwin")).toBe(darwinTarget);
    expect(adapterFor("darwin", "arm64")).toBe(darwinTarget);
    expect(adapterFor("darwin", "amd64")?.tunnelConfigPath("mp0")).toBe("/usr/local/etc/wireguard/mp0.conf");
    expect(adapterFor("freebsd")).toBeUndefined();
    expect(adapterFor("toString")).toBeUndefined();
    expect(adapterFor("")).toBeUndefined();
  });

  test("Linux that can be enrolled gets its adapter", () => {
    expect(pickAdapter(factsFor({ os: "linux" }), "pc1")).toEqual({ adapter: linuxTarget });
    expect(pickAdapter({ os: "linux", arch: "arm64" }, "pc1")).toEqual({ adapter: linuxTarget });
  });

  test("the adapter's own refusal comes through", () => {
    expect(pickAdapter(factsFor({ os: "linux", canSudo: false }), "pc1")).toEqual({
      refusal:
        "ana cannot use sudo without a password on pc1, and WireGuard needs root there — allow it (NOPASSWD) or connect as root",
    });
  });

  test("--os windows / --os darwin get their adapter; an arch with no agent build is refused before connecting", () => {
    expect(pickAdapter({ os: "windows" }, "pc9")).toEqual({ adapter: windowsTarget });
    expect(pickAdapter({ os: "darwin", arch: "arm64" }, "mac1")).toEqual({ adapter: darwinTarget });
    expect(pickAdapter({ os: "darwin", arch: "amd64" }, "mac2")).toEqual({
      refusal:
        "mac2 is macOS on amd64, and there is no device agent for that — supported: arm64; add it with --via ssh instead",
    });
    expect(pickAdapter({ os: "windows", arch: "arm64" }, "pc8")).toEqual({
      refusal:
        "pc8 is Windows on arm64, and there is no device agent for that — supported: amd64; add it with --via ssh instead",
    });
  });

  test("detected Windows without elevation, or a Mac without passwordless sudo, is refused with what to do", () => {
    expect(pickAdapter(factsFor({ os: "windows", isRoot: false, user: "bo" }), "pc9")).toEqual({
      refusal:
        "bo is not an elevated administrator on pc9, and installing WireGuard's tunnel service needs one — connect as a member of Administrators (OpenSSH gives administrators an elevated session)",
    });
    expect(pickAdapter(factsFor({ os: "darwin", arch: "arm64", canSudo: false }), "mac1")).toEqual({
      refusal:
        "ana cannot use sudo without a password on mac1, and wg-quick needs root there — allow it (NOPASSWD) or connect as an administrator who can",
    });
  });

  test("an OS with no adapter, or no answer at all, is one sentence naming the ones there are", () => {
    expect(pickAdapter({ os: "freebsd", osPretty: "FreeBSD 14.1-RELEASE" }, "bsd1")).toEqual({
      refusal:
        "bsd1 runs FreeBSD 14.1-RELEASE, and meshpilot has no target adapter for it (linux, darwin, windows) — add it with --via ssh instead",
    });
    expect(pickAdapter({ os: "haiku" }, "h1")).toEqual({
      refusal:
        "h1 runs haiku, and meshpilot has no target adapter for it (linux, darwin, windows) — add it with --via ssh instead",
    });
    expect(pickAdapter({ os: "" }, "x1")).toEqual({
      refusal:
        "x1 did not answer like Unix or Windows, and meshpilot has no target adapter for it (linux, darwin, windows) — add it with --via ssh instead",
    });
  });
});
