/**
 * Spoken commands: nobody says "exclamation mark health". In the control room a
 * transcript whose first word(s) name a command becomes that command — "Health." →
 * `!health`, "Add PC web2 via SSH" → `!add-pc web2 via SSH` — and anything else is left
 * as spoken. Device rooms get the transcript unchanged: it is a turn for the agent.
 */

/**
 * The product's command names, known to voice even before their handlers land in the
 * table, so that "health" is dispatched (and answered "unknown command" by the table if
 * it is not there yet) instead of being dropped as chat.
 */
export const SPOKEN_COMMANDS = ["help", "health", "devices", "add-pc", "revoke", "audit"] as const;

/** Up to this many spoken words may form one hyphenated command name ("add pc" → add-pc). */
const MAX_NAME_WORDS = 3;

/**
 * The text to route for a control-room transcript: a `!command …` line when it starts
 * with a name from the table or SPOKEN_COMMANDS, or the transcript as spoken.
 */
export function commandFromTranscript(transcript: string, commandNames: Iterable<string>): string {
  const text = transcript.trim();
  if (text.startsWith("!")) return text;
  const names = new Set([...SPOKEN_COMMANDS, ...commandNames].map((n) => n.toLowerCase()));
  const words = text.split(/\s+/).filter(Boolean);
  for (let n = Math.min(MAX_NAME_WORDS, words.length); n >= 1; n--) {
    const name = words.slice(0, n).map(bareWord).join("-");
    if (!names.has(name)) continue;
    const rest = words.slice(n);
    const last = rest.length - 1;
    // Sentence punctuation the recogniser adds ("web2.") is not part of an argument.
    if (last >= 0) rest[last] = rest[last]!.replace(/[.,!?;:…]+$/u, "");
    return ["!" + name, ...rest.filter(Boolean)].join(" ");
  }
  return text;
}

/** Lower-cased, without surrounding punctuation: "Help." → "help", "PC," → "pc". */
function bareWord(word: string): string {
  return word.toLowerCase().replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, "");
}
