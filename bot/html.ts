/** The HTML tags Element X renders; anything else is stripped on Android and mangled on iOS. */
export const ELEMENT_X_TAGS = [
  "a",
  "b",
  "strong",
  "i",
  "em",
  "u",
  "del",
  "code",
  "pre",
  "ul",
  "ol",
  "li",
  "blockquote",
  "p",
  "br",
] as const;

export { escapeHtml } from "../common/html";

/** Tags used in a fragment, for tests that keep bot output inside Element X's subset. */
export function tagsIn(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z0-9]+)[\s>/]/g)].map((m) => m[1]!.toLowerCase());
}
