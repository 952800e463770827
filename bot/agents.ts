import type { Appservice } from "matrix-bot-sdk";
import { AgentHost, type AgentRoom } from "../agents/host";
import { ApprovalBroker } from "../agents/approvals";
import { HistoryStore } from "../agents/history";
import { MeteredModel } from "../agents/metered-model";
import { AnthropicModel } from "../agents/model";
import { dailyLimitsOf } from "../agents/usage-budget";
import { UsageStore } from "../agents/usage-store";
import { toolRegistry } from "../capabilities/registry";
import type { SshDevices } from "../capabilities/ssh/devices";
import type { AuditMirror } from "../capabilities/wg/audit-mirror";
import { WgDevices } from "../capabilities/wg/devices";
import type { Logger } from "../common/log";
import { agentPortOf, LLM_DEFAULTS, type Config, type Secrets } from "../config/schema";
import type { Db } from "../state/db";
import type { Device, DeviceStore } from "../state/devices";
import { escapeHtml } from "./html";
import { mentionContent, noticeContent, type Reply } from "./reply";

/** How long one typing notification lasts; the host refreshes it while a turn works. */
const TYPING_TIMEOUT_MS = 30_000;

/** Builds every device's agent from config: the model, the tool registry, history, approvals. */
export function buildAgents(
  config: Readonly<Config>,
  secrets: Secrets,
  db: Db,
  appservice: Appservice,
  services: { devices: DeviceStore; sshDevices: SshDevices; wgAudit: AuditMirror },
  log: Logger,
): AgentHost {
  const llm = config.llm;
  // Without an llm block the agents say they have no model; history, approvals and tool
  // output still follow the block's defaults.
  const limits = llm ?? LLM_DEFAULTS;
  const model =
    llm && secrets.llmApiKey
      ? new AnthropicModel({
          model: llm.model,
          apiKey: secrets.llmApiKey,
          baseUrl: llm.base_url,
          maxTokens: llm.max_tokens,
          timeoutMs: llm.request_timeout_s * 1000,
          retries: llm.retries,
          retryBaseMs: llm.retry_base_ms,
        })
      : undefined;
  // Spending: every reply's usage per device and UTC day; the daily limits refuse a call before it is sent.
  const meter = { store: new UsageStore(db), limits: dailyLimitsOf(limits), model: limits.model };
  const agentPort = agentPortOf(config);
  const agentLog = log.child({ component: "agents" });
  const wg = new WgDevices({ stateDir: config.state_dir, agentPort, audit: services.wgAudit, log: agentLog });
  return new AgentHost({
    model,
    meter: (inner, device) => new MeteredModel(inner, meter, device.name),
    registry: toolRegistry({ wg, ssh: services.sshDevices }),
    history: new HistoryStore(db, {
      maxTurns: limits.history_max_turns,
      maxTokens: limits.history_max_tokens,
    }),
    approvals: new ApprovalBroker(db, {
      operators: new Set(config.operators),
      timeoutMs: limits.approval_timeout_s * 1000,
      sessionMs: limits.approval_session_s * 1000,
      log: agentLog,
    }),
    roomFor: (device, roomId) => agentRoom(appservice, agentUserId(config, device), roomId, config.operators),
    limits: {
      maxToolRounds: limits.max_tool_rounds,
      toolOutputMaxChars: limits.tool_output_max_chars,
      approvalTimeoutS: limits.approval_timeout_s,
      pushAfterS: limits.push_after_s,
    },
    agentPort,
    log: agentLog,
  });
}

export function agentUserId(
  config: Readonly<Config>,
  device: Pick<Device, "name" | "agent_user_id">,
): string {
  return (
    device.agent_user_id ??
    `@${config.appservice.agent_localpart_prefix}${device.name}:${config.homeserver.server_name}`
  );
}

/** The agent's own Matrix user in its room: replies come from @agent-<name>, never the bot. */
function agentRoom(
  appservice: Appservice,
  userId: string,
  roomId: string,
  operators: readonly string[],
): AgentRoom {
  const client = appservice.getIntentForUserId(userId).underlyingClient;
  return {
    say: (text) => client.sendMessage(roomId, { msgtype: "m.text", body: text }),
    notice: (text) => client.sendMessage(roomId, noticeContent(withCode(text))),
    // The approval card brings its own HTML (agents/card.ts): every value escaped there.
    ask: (card) => client.sendMessage(roomId, mentionContent(operators, card)),
    typing: async (on) => {
      await client.setTyping(roomId, on, TYPING_TIMEOUT_MS);
    },
    // Streamed answers (agents/stream-answer.ts) build their own content: posts and m.replace edits.
    send: (content) => client.sendMessage(roomId, content),
  };
}

/** `code` spans as <code>, the rest escaped: Element X renders the call as code. */
export function withCode(text: string): Reply {
  const html = escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\n/g, "<br>");
  return { body: text, html };
}
