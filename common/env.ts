/**
 * Every environment variable meshpilot reads, in one place, so the set of knobs is
 * visible and testable (Tailscale's envknob idea).
 */
export interface Env {
  /** Overrides `appservice.as_token_file`. */
  asToken: string | undefined;
  /** Overrides `appservice.hs_token_file`. */
  hsToken: string | undefined;
  /** Overrides `llm.api_key_file`: MESHPILOT_LLM_API_KEY, else ANTHROPIC_API_KEY. */
  llmApiKey: string | undefined;
  /** Overrides `stt.api_key_file`. */
  sttApiKey: string | undefined;
  /** Overrides `log.level`. */
  logLevel: string | undefined;
  /** True when running under CI: lab-dependent tests must fail rather than skip. */
  ci: boolean;
  /** Where the lab keeps its state (namespaces' files, Synapse, generated config). */
  labDir: string;
  /**
   * Test-only fault injection for the provisioning engine, honoured only together with
   * MESHPILOT_TEST_HOOKS=1: "fail:K" fails right after step K's side effects, "crash:K"
   * kills the process there (kill -9 style), "crash-undo:K" kills it after undoing step K.
   */
  fault: string | undefined;
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return {
    asToken: nonEmpty(source.MESHPILOT_AS_TOKEN),
    hsToken: nonEmpty(source.MESHPILOT_HS_TOKEN),
    llmApiKey: nonEmpty(source.MESHPILOT_LLM_API_KEY) ?? nonEmpty(source.ANTHROPIC_API_KEY),
    sttApiKey: nonEmpty(source.MESHPILOT_STT_API_KEY),
    logLevel: nonEmpty(source.MESHPILOT_LOG_LEVEL),
    ci: source.CI === "true" || source.CI === "1",
    labDir: nonEmpty(source.MESHPILOT_LAB_DIR) ?? "/var/lib/meshpilot-lab",
    fault: source.MESHPILOT_TEST_HOOKS === "1" ? nonEmpty(source.MESHPILOT_TEST_FAULT) : undefined,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
