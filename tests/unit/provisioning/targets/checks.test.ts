import { launchdPlist, windowsTaskXml } from "../../../../provisioning/wg/services/render";
import { psProblem, shSyntaxProblem, xmlProblem } from "./checks";

/** The checkers the adapter tests lean on must be able to fail. */
describe("the test checkers", () => {
  test("shSyntaxProblem: sh -n finds what it should", () => {
    expect(shSyntaxProblem("if true; then echo 'a b'; fi")).toBeUndefined();
    expect(shSyntaxProblem("if true; then echo")).toMatch(/end of file|unexpected/);
    expect(shSyntaxProblem("echo 'unterminated")).toBeDefined();
  });

  test("xmlProblem accepts the rendered plist and task, and catches the usual breakage", () => {
    const paths = { binary: "/a & <b>/agent", config: "/c", log: "/l" };
    expect(xmlProblem(launchdPlist(paths))).toBeUndefined();
    expect(xmlProblem(windowsTaskXml(paths, "PC\\ana"))).toBeUndefined();
    expect(xmlProblem("<a><b></a></b>")).toBe("</a> closes <b>");
    expect(xmlProblem("<a>x & y</a>")).toMatch(/bare &/);
    expect(xmlProblem("<a/><b/>")).toBe("a second root element <b>");
    expect(xmlProblem("<a>")).toBe("unclosed <a>");
    expect(xmlProblem('<a x="1" x="2"/>')).toBe("attribute x repeated in <a>");
    expect(xmlProblem("<a x=1/>")).toMatch(/malformed attribute/);
    expect(xmlProblem(' <?xml version="1.0"?><a/>')).toMatch(/declaration/);
    expect(xmlProblem("text")).toMatch(/outside the root/);
  });

  test("psProblem: balanced scripts pass, broken ones do not", () => {
    expect(psProblem("if ($a) { 'x''y' } else { \"`\"\" } # }")).toBeUndefined();
    expect(psProblem("if ($a) { 'x' ")).toBe("unclosed {");
    expect(psProblem("'it''s")).toBe("an unterminated '…' string");
    expect(psProblem("@('a'))")).toMatch(/unmatched \)/);
    expect(psProblem('"a')).toBe('an unterminated "…" string');
  });
});
