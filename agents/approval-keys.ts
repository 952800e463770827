/**
 * How an operator answers an approval request: a reaction or a short reply. Keys are
 * compared after removing the variation selectors (U+FE0F, U+FE0E) and skin-tone
 * modifiers, since clients send ✅ and 👍 with or without them.
 */
export type Answer = "allow" | "session" | "refuse";

const ALLOW_KEYS = new Set(["✅", "✔", "☑", "👍"]);
const REFUSE_KEYS = new Set(["❌", "✖", "👎"]);
/** 🔁 (repeat): allow this call and the same scope for llm.approval_session_s (approval-scope.ts). */
const SESSION_KEYS = new Set(["🔁"]);
const ALLOW_WORDS = new Set(["yes", "y", "allow", "approve", "approved", "ok", "go"]);
const REFUSE_WORDS = new Set(["no", "n", "refuse", "deny", "cancel", "stop"]);
const SESSION_WORDS = new Set(["session"]);

export function normaliseKey(key: string): string {
  return key.replace(/[\uFE0E\uFE0F]|\uD83C[\uDFFB-\uDFFF]/g, "").trim();
}

export function answerFromReaction(key: string): Answer | undefined {
  const k = normaliseKey(key);
  if (ALLOW_KEYS.has(k)) return "allow";
  if (SESSION_KEYS.has(k)) return "session";
  if (REFUSE_KEYS.has(k)) return "refuse";
  return undefined;
}

/** "yes", "No.", "✅" as a whole message; anything longer is a new question, not an answer. */
export function answerFromReply(body: string): Answer | undefined {
  const text = normaliseKey(body)
    .toLowerCase()
    .replace(/[.!\s]+$/, "");
  if (ALLOW_WORDS.has(text) || ALLOW_KEYS.has(text)) return "allow";
  if (SESSION_WORDS.has(text) || SESSION_KEYS.has(text)) return "session";
  if (REFUSE_WORDS.has(text) || REFUSE_KEYS.has(text)) return "refuse";
  return undefined;
}
