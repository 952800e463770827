import { z } from "zod";

/**
 * What runs keep in the journal, as schemas: the journal is read back after a crash, by
 * repair and by revoke, so it is parsed, not cast. Never a private or preshared key.
 */
export const sshTargetSchema = z.object({
  user: z.string(),
  host: z.string(),
  port: z.number().int().min(1).max(65535),
});

/** What every add keeps: the name, whether this run holds it, how to reach the device, the room. */
export const deviceRunDataSchema = z.object({
  name: z.string(),
  target: sshTargetSchema,
  keyFile: z.string(),
  claimed: z.boolean().optional(),
  roomId: z.string().optional(),
  /** The host key id this run pinned (its undo forgets it); absent when it was pinned before. */
  pinnedByRun: z.string().optional(),
  /** The operator (MXID) who asked for the add, from chat or the panel. */
  by: z.string().optional(),
});
export type DeviceRunData = z.infer<typeof deviceRunDataSchema>;

export const targetFactsSchema = z.object({
  os: z.string(),
  arch: z.string(),
  osPretty: z.string(),
  home: z.string(),
  user: z.string(),
  isRoot: z.boolean(),
  init: z.enum(["systemd", "launchd", "schtasks", "none"]),
  packageManager: z.enum(["apt-get", "dnf", "pacman", "apk", "brew", "winget", "none"]),
  hasWgQuick: z.boolean(),
  canSudo: z.boolean(),
  sid: z.string().optional(),
});

export const wgAddDataSchema = deviceRunDataSchema.extend({
  facts: targetFactsSchema.optional(),
  /** --os/--arch from the operator, when detection must be overridden. */
  forced: z.object({ os: z.string().optional(), arch: z.string().optional() }).optional(),
  meshIp: z.string().optional(),
  publicKey: z.string().optional(),
  bytesUploaded: z.number().optional(),
});
export type WgAddData = z.infer<typeof wgAddDataSchema>;

export const sshAddDataSchema = deviceRunDataSchema.extend({
  fingerprint: z.string().optional(),
  os: z.string().optional(),
  arch: z.string().optional(),
  osPretty: z.string().optional(),
  /** The SSH user's home, from the host's account database. */
  home: z.string().optional(),
});
export type SshAddData = z.infer<typeof sshAddDataSchema>;

/**
 * An add (or re-enrollment) by pull: the PC ran a one-time link. No SSH target — the bot
 * never connects to the PC; it learns the PC's facts and public key from its hello.
 */
export const pullAddDataSchema = z.object({
  name: z.string(),
  claimed: z.boolean().optional(),
  roomId: z.string().optional(),
  pulled: z.literal(true),
  by: z.string(),
  os: z.string(),
  arch: z.string(),
  tokenHash: z.string(),
  expiresAt: z.number(),
  machineId: z.string().optional(),
  address: z.string().optional(),
  facts: targetFactsSchema.optional(),
  meshIp: z.string().optional(),
  publicKey: z.string().optional(),
  /** Re-enrollment: the peer it replaces. */
  previousPublicKey: z.string().optional(),
  approvedBy: z.string().optional(),
});
export type PullAddData = z.infer<typeof pullAddDataSchema>;

/** A revoke: the device as its last add left it, who asked, and (wg) what the add learned. */
export const revokeDataSchema = wgAddDataSchema.extend({
  by: z.string(),
  backend: z.enum(["wg", "ssh"]),
  /** A second revoke of a revoked device runs only the steps the first could not do. */
  retry: z.array(z.string()).optional(),
  /** Enrolled by pull: nothing on the PC can be reached from the bot. */
  pulled: z.boolean().optional(),
});
export type RevokeData = z.infer<typeof revokeDataSchema>;

/** Parses a run's JSON; a journal that does not match is an error naming the run, not a cast. */
export function parseRunData<S extends z.ZodType>(schema: S, json: string, what: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new Error(`the journal of ${what} is not JSON`);
  }
  return parseRunValue(schema, raw, what);
}

export function parseRunValue<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`the journal of ${what} does not match its schema: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
