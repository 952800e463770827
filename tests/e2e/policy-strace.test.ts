import { join } from "node:path";
import { checkArgv, defaultReadPrograms } from "../../common/policy";
import { sampleReadArgv } from "../../common/policy/sample";
import { describeLab } from "./support/lab";
import { findViolations, READ_ALLOWED, RULES, type Rule, type Violation } from "./support/strace";
import { stageFixture, traceBatch } from "./support/strace-lab";

/**
 * "Prove it by watching": every argv the shared policy's grammar accepts as class read is
 * run for real on pc2, as the unprivileged viewer, under strace -f in a throwaway mount
 * namespace (lab/strace-run.sh), and its trace must show no write-open, no call that
 * changes a file, no other program run, no read outside the home and the program's own
 * system files — and the secret behind the fixture's symlinks never reaches its output.
 */
const ARGV_COUNT = 2_000;
const BATCH = 250;
const SECRET = "MESHPILOT-STRACE-SECRET-7d41c9";

function seedOfToday(): number {
  const fixed = process.env.MESHPILOT_STRACE_SEED;
  if (fixed !== undefined && /^\d+$/.test(fixed)) return Number(fixed);
  const d = new Date();
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

describeLab("read-only forms, watched under strace on pc2", (lab) => {
  test(
    `${ARGV_COUNT} sampled read argv: no writes, no foreign execve, no reads outside, no secret`,
    () => {
      const facts = lab();
      const user = facts.hosts.pc2!.viewerUser!;
      const work = join(facts.labDir, "strace-policy");
      const fixture = stageFixture(work, user, SECRET);
      const programs = defaultReadPrograms("linux");
      const seed = seedOfToday();

      // The sample: argv from every read form (a whole round per seed), each first accepted as
      // class read by the checker. Programs with change forms too (systemctl) are not in the
      // default read list: their read forms are checked with the program added to the list.
      const argvs: string[][] = [];
      const forms = new Set<string>();
      const misclassified: string[] = [];
      const outsideDefault = new Map<string, number>();
      for (let round = 0; argvs.length < ARGV_COUNT && round < 10; round++) {
        for (const argv of sampleReadArgv("linux", seed + round, { dir: fixture.dir, file: fixture.file })) {
          const program = argv[0]!;
          const allowed = programs.includes(program) ? programs : [...programs, program];
          if (allowed !== programs) outsideDefault.set(program, (outsideDefault.get(program) ?? 0) + 1);
          const verdict = checkArgv("linux", allowed, argv);
          if (!verdict.ok || verdict.callClass !== "read") {
            misclassified.push(
              `${JSON.stringify(argv)} → ${verdict.ok ? verdict.callClass : verdict.reason}`,
            );
            continue;
          }
          forms.add(`${program}: ${verdict.form}`);
          argvs.push(argv);
        }
      }
      say(`policy-strace: seed ${seed} (MESHPILOT_STRACE_SEED=${seed} repeats it)`);
      say(
        `policy-strace: ${argvs.length} argv from ${forms.size} read forms (default read programs: ${programs.join(" ")})`,
      );
      say(
        `policy-strace: read forms of programs with change forms too: ${[...outsideDefault].map(([p, n]) => `${p} ${n}`).join(", ")}`,
      );
      expect(misclassified.slice(0, 20)).toEqual([]);
      expect(argvs.length).toBeGreaterThanOrEqual(ARGV_COUNT);

      const counts = new Map<Rule, number>(RULES.map((r) => [r, 0]));
      const failures: Array<{ argv: string[]; violation: Violation }> = [];
      const timedOut: string[] = [];
      const exits = new Map<string, { zero: number; other: number }>();
      const started = Date.now();
      for (let i = 0; i < argvs.length; i += BATCH) {
        for (const run of traceBatch(facts, "pc2", user, work, argvs.slice(i, i + BATCH))) {
          if (run.trace === "") throw new Error(`no trace for ${JSON.stringify(run.argv)}: ${run.output}`);
          if (run.rc === 124) timedOut.push(JSON.stringify(run.argv));
          const tally = exits.get(run.argv[0]!) ?? { zero: 0, other: 0 };
          exits.set(run.argv[0]!, tally);
          if (run.rc === 0) tally.zero++;
          else tally.other++;
          const found = findViolations(run.trace, run.output, {
            program: run.argv[0]!,
            home: fixture.home,
            secret: SECRET,
          });
          for (const violation of found) {
            counts.set(violation.rule, (counts.get(violation.rule) ?? 0) + 1);
            failures.push({ argv: run.argv, violation });
          }
        }
      }
      say(
        `policy-strace: ran ${argvs.length} in ${((Date.now() - started) / 1000).toFixed(0)} s; exit 0 / other by program: ` +
          [...exits].map(([p, t]) => `${p} ${t.zero}/${t.other}`).join(", "),
      );
      if (timedOut.length > 0)
        say(`policy-strace: ${timedOut.length} killed after 10 s, e.g. ${timedOut.slice(0, 5).join(" ")}`);
      say(`policy-strace: violations by rule: ${[...counts].map(([r, n]) => `${r} ${n}`).join(", ")}`);
      say(
        `policy-strace: reads allowed outside the home: ${READ_ALLOWED.map((a) => `${a.prefix}${a.programs ? ` (${a.programs.join(",")})` : ""}`).join(" ")}`,
      );
      const offending = [
        ...new Set(
          failures.filter((f) => f.violation.rule === "read-outside").map((f) => f.violation.detail),
        ),
      ];
      if (offending.length > 0) say(`policy-strace: paths read outside: ${offending.slice(0, 40).join(" ")}`);

      // One line per (rule, form of argv): the argv and the trace line that broke it.
      const shown = new Set<string>();
      const report = failures
        .filter(({ argv, violation }) => {
          const key = `${violation.rule} ${argv[0]} ${violation.detail}`;
          if (shown.has(key)) return false;
          shown.add(key);
          return true;
        })
        .slice(0, 60)
        .map(({ argv, violation }) => `${violation.rule}: ${JSON.stringify(argv)}\n    ${violation.line}`);
      expect(report).toEqual([]);
    },
    30 * 60_000,
  );

  test("the watcher is not blind: known writers, runners and leaks are caught by each rule", () => {
    const facts = lab();
    const user = facts.hosts.pc2!.viewerUser!;
    const work = join(facts.labDir, "strace-policy-control");
    const fixture = stageFixture(work, user, SECRET);
    const controls: Array<[Rule, string[]]> = [
      ["write-open", ["touch", `${fixture.dir}/new.txt`]],
      ["mutating-syscall", ["rm", fixture.file]],
      ["mutating-syscall", ["mv", fixture.file, `${fixture.dir}/moved.txt`]],
      ["foreign-execve", ["find", fixture.dir, "-maxdepth", "0", "-exec", "true", ";"]],
      ["read-outside", ["cat", "/etc/hostname"]],
      ["read-outside", ["grep", "-R", "MESHPILOT", fixture.dir]],
      ["secret-in-output", ["grep", "-R", "MESHPILOT", fixture.dir]],
      ["write-open", ["git", "-C", fixture.dir, "status"]],
    ];
    const runs = traceBatch(
      facts,
      "pc2",
      user,
      work,
      controls.map(([, argv]) => argv),
    );
    const missed = controls.filter(([rule], i) => {
      const run = runs[i]!;
      const found = findViolations(run.trace, run.output, {
        program: run.argv[0]!,
        home: fixture.home,
        secret: SECRET,
      });
      return !found.some((v) => v.rule === rule);
    });
    expect(missed).toEqual([]);
  }, 120_000);
});
