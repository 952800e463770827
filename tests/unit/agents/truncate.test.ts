import { truncateText } from "../../../agents/truncate";

describe("truncateText", () => {
  test("short text is untouched", () => {
    expect(truncateText("hello", 10)).toEqual({ text: "hello", truncated: false });
  });

  test("long text keeps head and tail, with a marker counting what was cut, within the limit", () => {
    const text = `${"a".repeat(5000)}${"z".repeat(5000)}`;
    const { text: cut, truncated } = truncateText(text, 1000);
    expect(truncated).toBe(true);
    expect(cut.length).toBeLessThanOrEqual(1000);
    expect(cut.startsWith("aaaa")).toBe(true);
    expect(cut.endsWith("zzzz")).toBe(true);
    const match = /^([^]*)\n\[… (\d+) characters cut by meshpilot …\]\n([^]*)$/.exec(cut)!;
    expect(match[1]!.length + Number(match[2]) + match[3]!.length).toBe(text.length);
  });

  test("never splits a surrogate pair", () => {
    const text = "😀".repeat(1000);
    const { text: cut } = truncateText(text, 201);
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(cut).not.toMatch(/(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });
});
