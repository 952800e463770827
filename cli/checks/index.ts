import { agentBuildCheck } from "./agent-build";
import { appserviceCheck } from "./appservice";
import { homeserverCheck } from "./homeserver";
import { llmCheck } from "./llm";
import { sshKeyCheck } from "./ssh-key";
import { stateDirCheck } from "./state-dir";
import { sttCheck } from "./stt";
import { wireguardCheck } from "./wireguard";
import type { Check } from "./types";

/** In the order they are shown; the appservice ping relies on the homeserver check before it. */
export const CHECKS: readonly Check[] = [
  homeserverCheck,
  appserviceCheck,
  wireguardCheck,
  sshKeyCheck,
  agentBuildCheck,
  llmCheck,
  sttCheck,
  stateDirCheck,
];
