import { editContent, mentionContent, noticeContent, plain } from "../../../bot/reply";
import { ELEMENT_X_TAGS, escapeHtml, tagsIn } from "../../../bot/html";

describe("message content", () => {
  test("plain text is escaped for HTML and keeps its line breaks", () => {
    expect(plain("a <b> & c\nnext")).toEqual({
      body: "a <b> & c\nnext",
      html: "a &lt;b&gt; &amp; c<br>next",
    });
    expect(escapeHtml(`"'`)).toBe("&quot;&#39;");
  });

  test("a notice carries the plain body and the HTML", () => {
    expect(noticeContent({ body: "hi", html: "<b>hi</b>" })).toEqual({
      msgtype: "m.notice",
      body: "hi",
      format: "org.matrix.custom.html",
      formatted_body: "<b>hi</b>",
    });
  });

  test("a mention is an m.text with m.mentions and a pill, so it pushes", () => {
    const content = mentionContent(["@you:example.org"], plain("done"));
    expect(content.msgtype).toBe("m.text");
    expect(content["m.mentions"]).toEqual({ user_ids: ["@you:example.org"] });
    expect(content.body).toBe("you: done");
    expect(content.formatted_body).toContain('<a href="https://matrix.to/#/@you:example.org">you</a>:');
    for (const tag of tagsIn(String(content.formatted_body))) expect(ELEMENT_X_TAGS).toContain(tag);
  });

  test("an edit repeats msgtype, format and formatted_body in m.new_content", () => {
    const edit = editContent("$orig", noticeContent({ body: "[2/9] ✓", html: "<b>[2/9]</b> ✓" }));
    expect(edit["m.relates_to"]).toEqual({ rel_type: "m.replace", event_id: "$orig" });
    expect(edit["m.new_content"]).toEqual({
      msgtype: "m.notice",
      body: "[2/9] ✓",
      format: "org.matrix.custom.html",
      formatted_body: "<b>[2/9]</b> ✓",
    });
    expect(edit.body).toBe("* [2/9] ✓");
  });
});
