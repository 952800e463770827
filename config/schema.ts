import { z } from "zod";

/**
 * The whole configuration file. Objects are strict so that unknown keys are reported
 * (as warnings, by the loader); every key is documented in meshpilot.example.yaml.
 */
const mxid = z
  .string()
  .regex(
    /^@[a-z0-9._=\-/+]+:[A-Za-z0-9.-]+(:\d+)?$/,
    "must be a full Matrix user ID such as @you:example.org",
  );

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, "must be an http:// or https:// URL")
  .transform((url) => url.replace(/\/+$/, ""));

const localpart = z.string().regex(/^[a-z0-9._=-]+$/, "must be lower-case letters, digits, . _ = or -");

export const configSchema = z.strictObject({
  homeserver: z.strictObject({
    url: httpUrl,
    server_name: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, "must be a server name such as example.org"),
  }),
  appservice: z.strictObject({
    id: z.string().min(1).default("meshpilot"),
    bind_address: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(1).max(65535).default(9000),
    url: httpUrl,
    as_token_file: z.string().min(1).optional(),
    hs_token_file: z.string().min(1).optional(),
    bot_localpart: localpart.default("meshpilot"),
    agent_localpart_prefix: localpart.default("agent-"),
  }),
  operators: z.array(mxid).min(1, "list at least one operator"),
  rooms: z
    .strictObject({
      alerts_alias: localpart.default("operator-alerts"),
      alerts_name: z.string().min(1).default("meshpilot alerts"),
    })
    .default({ alerts_alias: "operator-alerts", alerts_name: "meshpilot alerts" }),
  state_dir: z.string().min(1),
  log: z
    .strictObject({
      level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
    })
    .default({ level: "info" }),
  startup: z
    .strictObject({
      /** How long to keep retrying an unreachable homeserver before giving up (0 = forever). */
      homeserver_wait_s: z.number().int().min(0).default(300),
    })
    .default({ homeserver_wait_s: 300 }),
});

export type Config = z.output<typeof configSchema>;

/** Secrets resolved from *_file paths or the environment; never part of the frozen config. */
export interface Secrets {
  asToken: string;
  hsToken: string;
}
