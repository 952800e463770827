import { z } from "zod";

/**
 * What each device-agent capability is and what it accepts: names, descriptions and
 * input schemas, in one place shared by the agent (which validates with them) and the
 * bot (whose tool registry shows them to the model). No Bun-only code here.
 */
export const CAPABILITY_NAMES = [
  "fs.read",
  "fs.list",
  "fs.write",
  "git.status",
  "git.log",
  "git.pull",
  "docker.ps",
  "docker.logs",
  "docker.restart",
  "pkg.install",
  "proc.list",
  "proc.kill",
  "shell.exec",
  "shell.eval",
] as const;

export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

export function isCapabilityName(name: string): name is CapabilityName {
  return (CAPABILITY_NAMES as readonly string[]).includes(name);
}

const path = z.string().min(1).max(4096).describe("Absolute path on the device");
const repo = z.string().min(1).max(4096).describe("Absolute path of a git working tree");
/** Docker names and ids; never starting with '-', so they cannot become options. */
const container = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "must be a container name or id")
  .describe("Container name or id");
/** Package names across apt/dnf/pacman/apk/brew/winget; never starting with '-'. */
const packageName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9+._:@/-]{0,127}$/, "must be a package name");
const timeoutMs = z
  .number()
  .int()
  .min(1)
  .max(3_600_000)
  .optional()
  .describe("Time limit in ms (capped by the manifest's max_timeout_ms)");
const cwd = z
  .string()
  .min(1)
  .max(4096)
  .optional()
  .describe("Working directory (default: the manifest's default_cwd)");

export const CAPABILITY_INPUTS = {
  "fs.read": z.strictObject({
    path,
    offset: z.number().int().min(0).optional().describe("Byte offset to start at"),
    max_bytes: z.number().int().min(1).optional().describe("Bytes to read at most (capped by the manifest)"),
  }),
  "fs.list": z.strictObject({ path }),
  "fs.write": z.strictObject({
    path,
    content: z.string().describe("What to write"),
    encoding: z.enum(["utf8", "base64"]).optional().describe("How content is encoded (default utf8)"),
    mode: z
      .enum(["create", "overwrite", "append"])
      .optional()
      .describe("create (default) fails if the file exists"),
  }),
  "git.status": z.strictObject({ repo }),
  "git.log": z.strictObject({
    repo,
    limit: z.number().int().min(1).max(200).optional().describe("Commits (default 20)"),
  }),
  "git.pull": z.strictObject({ repo }),
  "docker.ps": z.strictObject({ all: z.boolean().optional().describe("Include stopped containers") }),
  "docker.logs": z.strictObject({
    container,
    tail: z.number().int().min(1).max(10_000).optional().describe("Last lines (default 200)"),
  }),
  "docker.restart": z.strictObject({ container }),
  "pkg.install": z.strictObject({ packages: z.array(packageName).min(1).max(20) }),
  "proc.list": z.strictObject({
    limit: z.number().int().min(1).max(5000).optional().describe("Processes (default 500)"),
  }),
  "proc.kill": z.strictObject({
    pid: z.number().int().min(2),
    signal: z.enum(["TERM", "KILL", "INT", "HUP"]).optional().describe("Default TERM"),
  }),
  "shell.exec": z.strictObject({
    argv: z
      .array(z.string().max(32_768))
      .min(1)
      .max(256)
      .describe("Program and arguments; no shell is involved"),
    cwd,
    timeout_ms: timeoutMs,
  }),
  "shell.eval": z.strictObject({
    command: z
      .string()
      .min(1)
      .max(32_768)
      .describe("A command line for the device's shell (sh, or cmd on Windows)"),
    cwd,
    timeout_ms: timeoutMs,
  }),
} satisfies Record<CapabilityName, z.ZodType>;

export type CapabilityInput<N extends CapabilityName> = z.infer<(typeof CAPABILITY_INPUTS)[N]>;

export const CAPABILITY_DESCRIPTIONS: Record<CapabilityName, string> = {
  "fs.read": "Read a file (text, or base64 when binary), up to a byte limit.",
  "fs.list": "List a directory: names, types, sizes, modification times.",
  "fs.write": "Write a file: create a new one, overwrite or append.",
  "git.status": "Branch and changed files of a git working tree.",
  "git.log": "Recent commits of a git working tree.",
  "git.pull": "Fast-forward a git working tree from its upstream.",
  "docker.ps": "List Docker containers.",
  "docker.logs": "The last lines of a container's logs.",
  "docker.restart": "Restart a Docker container.",
  "pkg.install": "Install packages with the device's package manager (apt, dnf, pacman, apk, brew, winget).",
  "proc.list": "List processes: pid, parent, user, CPU, memory, command.",
  "proc.kill": "Send a signal to a process.",
  "shell.exec": "Run an allowed program with arguments (argv, no shell).",
  "shell.eval": "Run a command line in the device's shell.",
};

export interface CapabilitySpec {
  name: CapabilityName;
  description: string;
  /** JSON Schema of the input, as a model's tool definition wants it. */
  inputSchema: Record<string, unknown>;
}

export function capabilitySpec(name: CapabilityName): CapabilitySpec {
  const { $schema: _ignored, ...inputSchema } = z.toJSONSchema(CAPABILITY_INPUTS[name]) as Record<
    string,
    unknown
  >;
  return { name, description: CAPABILITY_DESCRIPTIONS[name], inputSchema };
}

export function capabilitySpecs(): CapabilitySpec[] {
  return CAPABILITY_NAMES.map(capabilitySpec);
}

/** Parses an input; the error names the offending field. */
export function parseCapabilityInput<N extends CapabilityName>(
  name: N,
  input: unknown,
): { ok: true; value: CapabilityInput<N> } | { ok: false; error: string } {
  const result = CAPABILITY_INPUTS[name].safeParse(input ?? {});
  if (result.success) return { ok: true, value: result.data as CapabilityInput<N> };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "input";
  return { ok: false, error: `${where}: ${issue?.message ?? "invalid"}` };
}
