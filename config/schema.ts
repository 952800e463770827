import { checkHealthPhysics } from "./physics";
import { z } from "zod";
import { defaultReadPrograms, describePrograms, policyTable } from "../common/policy";

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

/**
 * The programs ssh_exec may run by default: every program whose grammar in the shared
 * command policy has only read forms. Others with a grammar (systemctl) may be listed in
 * the config; SSH-only devices still run only their read forms.
 */
export const DEFAULT_SSH_BINARIES: readonly string[] = defaultReadPrograms("linux");
/** <home> is the SSH user's home from the host's account database; <user> its name. */
/**
 * Not /etc: for a root login it holds the machine's secrets (shadow, SSH host keys,
 * WireGuard keys), which would reach the model. Name the config directories you want
 * (e.g. /etc/nginx/**) in ssh_devices.paths_allowed.
 */
export const DEFAULT_SSH_PATHS = ["<home>/**", "/var/log/**", "/tmp/**"] as const;

/** A program ssh_exec can run: the command policy must know its grammar. */
const sshProgram = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "a bare program name")
  .refine((name) => describePrograms("linux", [name]).length === 1, {
    error: (issue) =>
      `${String(issue.input)} has no grammar in the command policy, so ssh_exec could never run it — use one of: ${[
        ...new Set(policyTable("linux").map((row) => row.program)),
      ].join(", ")}`,
  });

const localpart = z.string().regex(/^[a-z0-9._=-]+$/, "must be lower-case letters, digits, . _ = or -");

/** The per-device agents' model (Anthropic Messages API): the `llm:` block. */
const llmSchema = z.strictObject({
  model: z.string().min(1).default("claude-sonnet-4-5"),
  /** The API key, mode 0600; MESHPILOT_LLM_API_KEY (or ANTHROPIC_API_KEY) overrides it. */
  api_key_file: z.string().min(1).optional(),
  base_url: httpUrl.default("https://api.anthropic.com"),
  max_tokens: z.number().int().min(64).max(64_000).default(2048),
  /** Model → tools → model rounds in one turn before the agent stops and says so. */
  max_tool_rounds: z.number().int().min(1).max(50).default(8),
  history_max_turns: z.number().int().min(0).max(500).default(20),
  history_max_tokens: z.number().int().min(500).max(500_000).default(24_000),
  /** Tool output longer than this is cut, with a marker, before the model or the room sees it. */
  tool_output_max_chars: z.number().int().min(200).max(200_000).default(8000),
  request_timeout_s: z.number().int().min(1).max(900).default(120),
  /** Retries of one model request on connection errors, timeouts, 429, 5xx and 529. */
  retries: z.number().int().min(0).max(10).default(3),
  retry_base_ms: z.number().int().min(1).max(60_000).default(1000),
  approval_timeout_s: z.number().int().min(1).max(86_400).default(600),
  /** !ask: how many devices' turns one fan-out runs at once (the rest wait for a slot). */
  fanout_concurrency: z.number().int().min(1).max(64).default(8),
  /** !ask: how long one device may take before its row says it timed out. */
  fanout_timeout_s: z.number().int().min(1).max(900).default(120),
  /** 🔁 on an approval card allows the same class of call with the same program on that device this long. */
  approval_session_s: z.number().int().min(1).max(86_400).default(900),
  /** USD per million tokens of each model, for !usage's estimate; a model not listed shows "cost unknown". */
  prices: z
    .record(
      z.string().min(1),
      z.strictObject({ input_per_mtok: z.number().min(0), output_per_mtok: z.number().min(0) }),
    )
    .default({}),
  /** Tokens (input + output, from the API's usage) one device room may use per UTC day; unset: no limit. */
  daily_token_limit: z.number().int().min(1).optional(),
  /** The same for all device rooms together. */
  daily_token_limit_total: z.number().int().min(1).optional(),
  /**
   * Streamed answers: a turn that took longer than this ends with its answer as a new m.text
   * mentioning the operator (it pushes to the phone); a quicker one is only edited in place.
   */
  push_after_s: z.number().int().min(0).max(86_400).default(20),
});

export type LlmConfig = z.output<typeof llmSchema>;

/**
 * The llm block's defaults, parsed from an empty block. Without a model the agents still keep
 * history, wait for approvals and cut tool output by these (and say they have no model).
 */
export const LLM_DEFAULTS: Readonly<LlmConfig> = Object.freeze(llmSchema.parse({}));

/** The device agent's port on each device's mesh IP (mesh.agent_port). */
const agentPortSchema = z.number().int().min(1).max(65535).default(7700);

/** The agent port when no mesh block is configured. */
const DEFAULT_AGENT_PORT: number = agentPortSchema.parse(undefined);

/** Where the device agent listens on each mesh IP: mesh.agent_port, or its default without a mesh block. */
export function agentPortOf(config: { mesh?: { agent_port: number } | undefined }): number {
  return config.mesh?.agent_port ?? DEFAULT_AGENT_PORT;
}

/** mesh.persistent_keepalive_s, in seconds; 0 turns keepalive off. */
const keepaliveSchema = z.number().int().min(0).max(3600).default(25);

/** The keepalive the health physics assumes when no mesh block is configured. */
const DEFAULT_KEEPALIVE_S: number = keepaliveSchema.parse(undefined);

export const configSchema = z
  .strictObject({
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
      .prefault({}),
    state_dir: z.string().min(1),
    log: z
      .strictObject({
        level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
      })
      .prefault({}),
    ssh: z
      .strictObject({
        /** The bot's private key for SSH to devices (and a remote hub); mode 0600. */
        key_file: z.string().min(1).optional(),
        connect_timeout_s: z.number().int().min(1).max(120).default(10),
        keepalive_s: z.number().int().min(1).max(600).default(15),
        max_channels_per_host: z.number().int().min(1).max(10).default(4),
      })
      .prefault({}),
    /** Aliases for `--ssh <alias>`: name → user@host[:port]. */
    ssh_hosts: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, "alias names are lower-case letters, digits and -"),
        z.string().min(3),
      )
      .default({}),
    /** The manifest every SSH-only device starts with; <user> is the SSH user, <home> its home. */
    ssh_devices: z
      .strictObject({
        allowed_binaries: z.array(sshProgram).default([...DEFAULT_SSH_BINARIES]),
        paths_allowed: z
          .array(
            z
              .string()
              .regex(/^(\/|<home>(\/|$))/, "an absolute glob such as /var/log/** or <home>/**")
              .refine((glob) => !/(^|\/)\.\.(\/|$)/.test(glob), "a glob without .."),
          )
          .default([...DEFAULT_SSH_PATHS]),
        max_output_bytes: z
          .number()
          .int()
          .min(1024)
          .max(16 * 1024 * 1024)
          .default(64 * 1024),
        timeout_s: z.number().int().min(1).max(600).default(20),
      })
      .prefault({}),
    /** The WireGuard mesh; required for `--via wg`. */
    mesh: z
      .strictObject({
        interface: z
          .string()
          .regex(/^[a-zA-Z0-9_=+.-]{1,15}$/, "an interface name such as mesh0")
          .default("mesh0"),
        /** The mesh subnet in CIDR form; the hub has hub_address, devices get the rest. */
        subnet: z
          .string()
          .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-9]|30)$/, "an IPv4 subnet such as 10.42.0.0/24"),
        hub_address: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "an IPv4 address inside subnet"),
        /** What devices dial: the hub's public address and WireGuard port. */
        endpoint: z.string().regex(/^[^\s:]+:\d{1,5}$/, "host:port"),
        /** local: the bot runs on the hub; ssh: the hub is reached over SSH (hub_ssh). */
        hub_mode: z.enum(["local", "ssh"]).default("local"),
        hub_ssh: z.string().optional(),
        /** The hub's wg-quick file, kept in step with enrolled peers so a reboot keeps them. */
        hub_config_file: z.string().min(1),
        agent_port: agentPortSchema,
        persistent_keepalive_s: keepaliveSchema,
        /** On devices without the kernel module, wg-quick's userspace implementation (e.g. wireguard-go). */
        client_userspace: z
          .string()
          .regex(/^[a-z0-9_-]+$/)
          .optional(),
        /** Where the device agent executables are (npm run build:agent). */
        agent_dir: z.string().min(1).default("dist/agent"),
        /** How long to wait for the first handshake and /health after starting the agent. */
        ready_timeout_s: z.number().int().min(5).max(600).default(60),
      })
      .optional(),
    /**
     * Pull enrollment (`!add-pc <name> --via pull`): the listener PCs fetch their one-time
     * script from. TLS by a reverse proxy in front (docs/operations.md) or tls_cert_file and
     * tls_key_file here.
     */
    enroll: z
      .strictObject({
        bind_address: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(1).max(65535).default(8448),
        /** What PCs dial, put in the links: https://enroll.example.org (no path). */
        public_url: httpUrl,
        /** How long a link stays usable. */
        token_ttl_s: z
          .number()
          .int()
          .min(5)
          .max(7 * 86_400)
          .default(900),
        /** Ask an operator (👍) before a new peer is enabled. */
        approve_first: z.boolean().default(false),
        /** Requests per minute from one address before 429. */
        rate_per_minute: z.number().int().min(1).max(100_000).default(30),
        /** Proxies whose X-Forwarded-For is believed (the reverse proxy's address). */
        trusted_proxies: z.array(z.string().min(1)).default([]),
        tls_cert_file: z.string().min(1).optional(),
        tls_key_file: z.string().min(1).optional(),
      })
      .refine((e) => (e.tls_cert_file === undefined) === (e.tls_key_file === undefined), {
        message: "give both tls_cert_file and tls_key_file, or neither",
      })
      .optional(),
    /**
     * The web panel (panel/): its own listener beside the appservice; operators log in with a
     * one-time link from `!panel`. TLS by a reverse proxy in front (docs/panel.md) or
     * tls_cert_file and tls_key_file here.
     */
    panel: z
      .strictObject({
        bind_address: z.string().min(1).default("127.0.0.1"),
        port: z.number().int().min(0).max(65535).default(8450),
        /** What the login links point at: https://panel.example.org (no path). */
        public_url: httpUrl,
        /** How long a login link from !panel stays usable (at most 10 min). */
        login_ttl_s: z.number().int().min(5).max(600).default(600),
        /** How long a session lasts from login (at most 12 h); !panel logout ends it sooner. */
        session_ttl_s: z.number().int().min(60).max(43_200).default(43_200),
        tls_cert_file: z.string().min(1).optional(),
        tls_key_file: z.string().min(1).optional(),
      })
      .refine((p) => (p.tls_cert_file === undefined) === (p.tls_key_file === undefined), {
        message: "give both tls_cert_file and tls_key_file, or neither",
      })
      .optional(),
    /** The per-device agents' model (Anthropic Messages API); without it agents say they have none. */
    llm: llmSchema.optional(),
    /**
     * Speech-to-text for voice messages: an OpenAI-compatible /v1/audio/transcriptions
     * endpoint (whisper.cpp server, faster-whisper servers, LocalAI, OpenAI). Without it,
     * voice messages get a reply saying so.
     */
    stt: z
      .strictObject({
        /** The full endpoint URL, …/v1/audio/transcriptions. */
        url: httpUrl,
        model: z.string().min(1).default("whisper-1"),
        /** The API key, mode 0600; MESHPILOT_STT_API_KEY overrides it. Local servers need none. */
        api_key_file: z.string().min(1).optional(),
        /** ISO-639-1 hint ("en"); unset lets the service detect the language. */
        language: z
          .string()
          .regex(/^[a-z]{2,3}$/, "a language code such as en")
          .optional(),
        /** ogg: send the audio as it came; wav: convert with ffmpeg first (whisper.cpp without --convert). */
        format: z.enum(["ogg", "wav"]).default("ogg"),
        timeout_s: z.number().int().min(1).max(600).default(60),
        /** Larger attachments are refused before (or while) downloading. OpenAI takes at most 25 MB. */
        max_bytes: z
          .number()
          .int()
          .min(1024)
          .max(100 * 1024 * 1024)
          .default(10 * 1024 * 1024),
        /** Longer messages are refused, by their declared and their measured length. */
        max_duration_s: z.number().int().min(1).max(3600).default(300),
      })
      .optional(),
    /** The health monitor: how often, what counts as stale, probes, alert damping. */
    health: z
      .strictObject({
        interval_s: z.number().int().min(1).max(3600).default(60),
        /** A WireGuard device whose last handshake is older than this is stale, never online. */
        stale_after_s: z.number().int().min(1).max(86_400).default(180),
        probe_timeout_s: z.number().int().min(1).max(120).default(5),
        /** Extra tries of a failed probe before a device counts as unreachable. */
        probe_retries: z.number().int().min(0).max(10).default(2),
        /** Devices probed at once. */
        concurrency: z.number().int().min(1).max(1000).default(32),
        /** Push a reminder of an incident still open after this long (and again each period); unset: never. */
        remind_after_s: z.number().int().min(60).optional(),
        /**
         * More than flap_max_alerts incidents of one device opened within flap_window_s: one
         * [FLAPPING] push, then its new incidents are recorded but not pushed until it holds one
         * state that long. A pushed incident always gets its [RESOLVED].
         */
        flap_window_s: z.number().int().min(1).max(86_400).default(900),
        flap_max_alerts: z.number().int().min(1).max(100).default(4),
        /** 🔕 on an alert: that device's new incidents are recorded, not pushed, for this long. */
        silence_s: z.number().int().min(60).max(604_800).default(3600),
      })
      .prefault({}),
    revoke: z
      .strictObject({
        /** How long a !revoke confirmation code stays valid. */
        code_ttl_s: z.number().int().min(1).max(3600).default(300),
      })
      .prefault({}),
    startup: z
      .strictObject({
        /** How long to keep retrying an unreachable homeserver before giving up (0 = forever). */
        homeserver_wait_s: z.number().int().min(0).default(300),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) =>
    checkHealthPhysics(
      { health: config.health, keepaliveS: config.mesh?.persistent_keepalive_s ?? DEFAULT_KEEPALIVE_S },
      ctx,
    ),
  );

export type Config = z.output<typeof configSchema>;
export type MeshConfig = NonNullable<Config["mesh"]>;

/** Secrets resolved from *_file paths or the environment; never part of the frozen config. */
export interface Secrets {
  asToken: string;
  hsToken: string;
  /** The model API key, when an llm section is configured. */
  llmApiKey?: string;
  /** The speech-to-text API key, when one is configured (local servers need none). */
  sttApiKey?: string;
}
