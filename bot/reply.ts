import { escapeHtml } from "./html";

/** What the operator reads: a plain body, and optionally the same as Element X HTML. */
export interface Reply {
  body: string;
  html?: string;
}

export interface MessageContent {
  msgtype: "m.notice" | "m.text";
  body: string;
  format?: "org.matrix.custom.html";
  formatted_body?: string;
  "m.mentions"?: { user_ids: string[] };
  [key: string]: unknown;
}

export function plain(body: string): Reply {
  return { body, html: escapeHtml(body).replace(/\n/g, "<br>") };
}

/** A notice: the default for bot output. Synapse never pushes notices. */
export function noticeContent(reply: Reply): MessageContent {
  return withHtml({ msgtype: "m.notice", body: reply.body }, reply.html);
}

/**
 * A text message that mentions users: for anything that must reach the phone (a job's
 * outcome, an alert, an approval request). Element shows a pill for each mention link.
 */
export function mentionContent(userIds: readonly string[], reply: Reply): MessageContent {
  const prefixPlain = userIds.map((id) => `${displayLocalpart(id)}:`).join(" ");
  const prefixHtml = userIds
    .map((id) => `<a href="https://matrix.to/#/${escapeHtml(id)}">${escapeHtml(displayLocalpart(id))}</a>:`)
    .join(" ");
  const content = withHtml(
    { msgtype: "m.text", body: prefixPlain ? `${prefixPlain} ${reply.body}` : reply.body },
    `${prefixHtml ? `${prefixHtml} ` : ""}${reply.html ?? escapeHtml(reply.body).replace(/\n/g, "<br>")}`,
  );
  content["m.mentions"] = { user_ids: [...userIds] };
  return content;
}

/** An edit of an earlier message: m.new_content repeats msgtype and format, or the type changes. */
export function editContent(originalEventId: string, replacement: MessageContent): MessageContent {
  return {
    ...replacement,
    body: `* ${replacement.body}`,
    ...(replacement.formatted_body ? { formatted_body: `* ${replacement.formatted_body}` } : {}),
    "m.new_content": { ...replacement },
    "m.relates_to": { rel_type: "m.replace", event_id: originalEventId },
  };
}

export function reactionContent(eventId: string, key: string): Record<string, unknown> {
  return { "m.relates_to": { rel_type: "m.annotation", event_id: eventId, key } };
}

function withHtml(content: MessageContent, html: string | undefined): MessageContent {
  if (html === undefined) return content;
  return { ...content, format: "org.matrix.custom.html", formatted_body: html };
}

function displayLocalpart(userId: string): string {
  return userId.replace(/^@/, "").split(":")[0] ?? userId;
}
