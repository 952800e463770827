/**
 * The parts of an `m.audio` event that voice handling reads. Element X sends voice
 * messages as `info.mimetype: "audio/ogg"` (no codecs parameter), the duration in
 * `info.duration` and in `org.matrix.msc1767.audio.duration` (both ms), and marks them
 * with `org.matrix.msc3245.voice`; a plain audio file has only what its client set.
 */
export interface AudioAttachment {
  /** mxc:// URI of the file; undefined when it is encrypted (`file`) or missing. */
  mxc: string | undefined;
  mimetype: string | undefined;
  sizeBytes: number | undefined;
  durationMs: number | undefined;
  /** Recorded with the mic button (MSC3245), not attached as a file. */
  isVoice: boolean;
}

/** The attachment of an m.audio message, or undefined for any other message. */
export function audioAttachment(content: Readonly<Record<string, unknown>>): AudioAttachment | undefined {
  if (content.msgtype !== "m.audio") return undefined;
  // An edit carries the old message's type; the voice message itself was handled already.
  if (record(content["m.relates_to"]).rel_type === "m.replace") return undefined;
  const info = record(content.info);
  const msc1767 = record(content["org.matrix.msc1767.audio"]);
  const url = content.url;
  return {
    mxc: typeof url === "string" && url.startsWith("mxc://") ? url : undefined,
    mimetype: typeof info.mimetype === "string" ? info.mimetype : undefined,
    sizeBytes: count(info.size),
    // The larger of the two claims counts: a cap must not be dodged by disagreeing fields.
    durationMs: maxDefined(count(info.duration), count(msc1767.duration)),
    isVoice: "org.matrix.msc3245.voice" in content,
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function count(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
