import { z } from "zod";
import { targetFactsSchema } from "../run-data";

/** `meshpilot bundle`: the hub makes the keys, enrolls the peer and writes the archive. */
export const BUNDLE_PIPELINE = "add-bundle";
/** The bot, when the bundle's key first shakes hands: /health, agent user and room, hello. */
export const FINISH_BUNDLE_PIPELINE = "finish-bundle";
/** The bot, for a bundle past its time with no PC (or cancelled): the add undone. */
export const EXPIRE_BUNDLE_PIPELINE = "expire-bundle";

/**
 * What a bundle's runs keep in the journal. Never the private or preshared key: those
 * live only in the CLI's memory until they are in the archive.
 */
export const bundleDataSchema = z.object({
  name: z.string(),
  claimed: z.boolean().optional(),
  roomId: z.string().optional(),
  bundled: z.literal(true),
  /** Who made it: "cli:<unix user>". */
  by: z.string(),
  os: z.string(),
  arch: z.string(),
  /** From the flags (--user, --home); the install script checks them on the PC. */
  facts: targetFactsSchema,
  /** The archive's path on the hub. */
  out: z.string(),
  /** This run wrote the archive (its undo removes it). */
  wrote: z.boolean().optional(),
  expiresAt: z.number(),
  tokenHash: z.string().optional(),
  meshIp: z.string().optional(),
  publicKey: z.string().optional(),
  agentSha256: z.string().optional(),
  /** expire-bundle: why ("expired", "cancelled by @ana:…"). */
  reason: z.string().optional(),
});
export type BundleData = z.infer<typeof bundleDataSchema>;
