import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gitEnv } from "../../../device-agent/git/run";
import { unsafeConfigSentence } from "../../../device-agent/git/safe-config";
import { agentFixture, callAgent } from "./support";

/** Real repositories whose config would make git run a program: refused, and the program never ran. */
function git(cwd: string, ...args: string[]): void {
  const result = spawnSync(
    "git",
    ["-c", "user.email=t@t", "-c", "user.name=t", "-c", "init.defaultBranch=main", ...args],
    {
      cwd,
      encoding: "utf8",
    },
  );
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
}

describe("git on a repository that tries to make git run something", () => {
  const f = agentFixture({ approvalClasses: [] });
  const marker = join(f.root, "ran");
  let n = 0;
  const repoWith = (config: string, extra?: (repo: string) => void): string => {
    const repo = join(f.home, `repo${n++}`);
    mkdirSync(repo);
    git(repo, "init", "-q");
    writeFileSync(join(repo, "a.txt"), "a\n");
    git(repo, "add", "a.txt");
    git(repo, "commit", "-q", "-m", "first");
    extra?.(repo);
    appendFileSync(join(repo, ".git", "config"), config);
    return repo;
  };

  test("a plain repository works: status and log", async () => {
    const repo = repoWith("");
    expect(await callAgent(f, { capability: "git.status", args: { repo } })).toMatchObject({
      status: "done",
      result: { ok: true, stdout: expect.stringContaining("## main") as string },
    });
    expect(await callAgent(f, { capability: "git.log", args: { repo } })).toMatchObject({
      result: { ok: true, stdout: expect.stringContaining("first") as string },
    });
  });

  test.each<[string, string, ((repo: string) => void) | null]>([
    ["core.fsmonitor", `[core]\n\tfsmonitor = touch ${marker}\n`, null],
    ["core.hooksPath", `[core]\n\thooksPath = /tmp\n`, null],
    ["an alias", `[alias]\n\tstatus = !touch ${marker}\n`, null],
    [
      "a filter",
      `[filter "x"]\n\tclean = touch ${marker}\n\tsmudge = touch ${marker}\n`,
      (repo) => writeFileSync(join(repo, ".gitattributes"), "*.txt filter=x\n"),
    ],
    ["core.pager", `[core]\n\tpager = touch ${marker}\n`, null],
    ["an include", `[include]\n\tpath = /etc/gitconfig\n`, null],
    ["core.sshCommand", `[core]\n\tsshCommand = touch ${marker}\n`, null],
  ])("%s in .git/config: git.status is refused, and the program never ran", async (key, config, extra) => {
    const repo = repoWith(config, extra ?? undefined);
    writeFileSync(join(repo, "a.txt"), "changed\n"); // something for status to look at
    for (const capability of ["git.status", "git.log"]) {
      const response = await callAgent(f, { capability, args: { repo } });
      expect(response).toMatchObject({
        status: "refused",
        refusal: {
          code: "unsafe_repository",
          message: expect.stringContaining(`refuses such repositories`) as string,
        },
      });
    }
    expect(existsSync(marker)).toBe(false);
    void key;
  });

  test("the refusal names the key and says git would run it", () => {
    expect(unsafeConfigSentence(["core.bare", "core.fsmonitor"], "git.status")).toBe(
      "the repository's config sets core.fsmonitor, which git would run as the agent; git.status refuses such repositories",
    );
    expect(unsafeConfigSentence(["remote.Origin.url", "branch.main.merge"], "git.status")).toBeUndefined();
  });

  test("a .git file (gitdir: elsewhere) is refused", async () => {
    const repo = join(f.home, "linked");
    mkdirSync(repo);
    writeFileSync(join(repo, ".git"), `gitdir: ${join(f.root, "elsewhere")}\n`);
    expect(await callAgent(f, { capability: "git.status", args: { repo } })).toMatchObject({
      refusal: { code: "unsafe_repository" },
    });
  });

  test("the agent's own GIT_* environment never reaches git", () => {
    process.env.GIT_DIR = "/elsewhere";
    process.env.GIT_EXTERNAL_DIFF = "evil";
    try {
      const env = gitEnv("linux");
      expect(env.GIT_DIR).toBeUndefined();
      expect(env.GIT_EXTERNAL_DIFF).toBeUndefined();
      expect(env).toMatchObject({
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_TERMINAL_PROMPT: "0",
      });
    } finally {
      delete process.env.GIT_DIR;
      delete process.env.GIT_EXTERNAL_DIFF;
    }
  });
});
