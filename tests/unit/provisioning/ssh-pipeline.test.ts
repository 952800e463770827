import { parseConfig } from "../../../config/load";
import { MINIMAL_CONFIG, configProblems } from "../support/config-text";
import { DEFAULT_SSH_BINARIES } from "../../../config/schema";
import { defaultReadPrograms } from "../../../common/policy";
import { sshManifestFor } from "../../../provisioning/ssh-pipeline";

const minimal = MINIMAL_CONFIG;
const problemsOf = configProblems;

describe("the SSH-only manifest", () => {
  const { config } = parseConfig(minimal);

  test("defaults: the policy's read-only programs, and <home> from the account database", () => {
    expect(DEFAULT_SSH_BINARIES).toEqual(defaultReadPrograms("linux"));
    expect(sshManifestFor(config, "root", "/root")).toEqual({
      user: "root",
      home: "/root",
      allowedBinaries: defaultReadPrograms("linux"),
      pathsAllowed: ["/root/**", "/var/log/**", "/tmp/**"],
      maxOutputBytes: 64 * 1024,
      timeoutS: 20,
    });
  });

  test("<user> still works; a home of / or an unknown home gives no <home> glob (never the whole disk)", () => {
    const custom = parseConfig(
      `${minimal}ssh_devices: { paths_allowed: ["<home>/**", "/srv/<user>/**"] }\n`,
    ).config;
    expect(sshManifestFor(custom, "svc", "/var/lib/svc/").pathsAllowed).toEqual([
      "/var/lib/svc/**",
      "/srv/svc/**",
    ]);
    expect(sshManifestFor(custom, "svc", "/").pathsAllowed).toEqual(["/srv/svc/**"]);
    expect(sshManifestFor(custom, "svc", "/")).not.toHaveProperty("home");
    expect(sshManifestFor(custom, "svc", undefined).pathsAllowed).toEqual(["/srv/svc/**"]);
  });

  test("the config refuses a program the policy has no grammar for, and a relative or climbing glob", () => {
    const problems = problemsOf(
      `${minimal}ssh_devices: { allowed_binaries: [ls, python3], paths_allowed: ["home/**", "<home>/../**"] }\n`,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^ssh_devices\.allowed_binaries\[1\].*: python3 has no grammar in the command policy, so ssh_exec could never run it — use one of: ls, /,
      ) as string,
      expect.stringMatching(
        /^ssh_devices\.paths_allowed\[0\].*an absolute glob such as \/var\/log\/\*\* or <home>\/\*\*/,
      ) as string,
      expect.stringMatching(/^ssh_devices\.paths_allowed\[1\].*a glob without \.\./) as string,
    ]);
    expect(problemsOf(`${minimal}ssh_devices: { allowed_binaries: [ls, systemctl] }\n`)).toEqual([]);
  });
});
