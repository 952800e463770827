import { answerFromReaction, answerFromReply, normaliseKey } from "../../../agents/approval-keys";

describe("approval answers", () => {
  test.each([
    ["✅", "allow"],
    ["✔️", "allow"],
    ["✔", "allow"],
    ["☑️", "allow"],
    ["☑︎", "allow"],
    ["👍", "allow"],
    ["👍🏽", "allow"],
    ["❌", "refuse"],
    ["✖️", "refuse"],
    ["👎", "refuse"],
    ["👎🏿", "refuse"],
    ["🔁", "session"],
    ["🔁\uFE0F", "session"],
  ])("reaction %s → %s", (key, answer) => {
    expect(answerFromReaction(key)).toBe(answer);
  });

  test.each(["🎉", "❤️", "👀", "yes", "", "✅✅", "🔂", "🔄"])("reaction %p is not an answer", (key) => {
    expect(answerFromReaction(key)).toBeUndefined();
  });

  test("variation selectors U+FE0F and U+FE0E are removed", () => {
    expect(normaliseKey("\u2714\uFE0F")).toBe("\u2714");
    expect(normaliseKey("\u2611\uFE0E")).toBe("\u2611");
  });

  test.each([
    ["yes", "allow"],
    ["Yes.", "allow"],
    [" y ", "allow"],
    ["✅", "allow"],
    ["no", "refuse"],
    ["No!", "refuse"],
    ["❌", "refuse"],
    ["session", "session"],
    ["🔁", "session"],
  ])("reply %p → %s", (body, answer) => {
    expect(answerFromReply(body)).toBe(answer);
  });

  test.each(["yes please restart it and then also nginx", "what is on the disk?", "nope nope"])(
    "reply %p is a message, not an answer",
    (body) => {
      expect(answerFromReply(body)).toBeUndefined();
    },
  );
});
