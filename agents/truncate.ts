/**
 * Cuts text longer than `max` characters, keeping the head and a little of the tail (the
 * end of a log or listing often matters), with a marker saying how much was left out.
 * Cuts never split a UTF-16 surrogate pair.
 */
export function truncateText(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  const marker = (omitted: number): string => `\n[… ${omitted} characters cut by meshpilot …]\n`;
  const room = Math.max(0, max - marker(text.length).length);
  const headLength = safeCut(text, Math.ceil(room * 0.8));
  const tailStart = safeCut(text, text.length - (room - headLength));
  const omitted = tailStart - headLength;
  return { text: `${text.slice(0, headLength)}${marker(omitted)}${text.slice(tailStart)}`, truncated: true };
}

function safeCut(text: string, index: number): number {
  const code = text.charCodeAt(index - 1);
  return code >= 0xd800 && code <= 0xdbff ? index - 1 : index;
}
