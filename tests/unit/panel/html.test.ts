import { escapeHtml, html, raw } from "../../../panel/html";
import { gridRow, gridTable, stateOf } from "../../../panel/pages/grid";
import { devicePage } from "../../../panel/pages/device";
import { device, health } from "./support";

const EVIL = `<img src=x onerror="alert(1)">&'`;

describe("escaping", () => {
  test("every interpolated value is escaped; Html and raw are not", () => {
    expect(escapeHtml(EVIL)).toBe("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;");
    expect(html`<p title="${EVIL}">${EVIL}</p>`.text).not.toMatch(/<img|"alert/);
    expect(html`<p>${html`<b>${EVIL}</b>`}</p>`.text).toMatch(/^<p><b>&lt;img/);
    expect(html`${raw("<br>")}${[EVIL, 1]}${null}${undefined}${false}`.text).toBe(`<br>${escapeHtml(EVIL)}1`);
  });

  test("a device whose name and reason carry HTML is text in the grid and on its page", () => {
    const evil = device({ name: EVIL, mesh_ip: EVIL });
    const row = gridRow(
      {
        device: evil,
        health: health({ status: "unreachable", reason: EVIL }),
        incident: undefined,
        pending: 0,
        roomLink: undefined,
      },
      1000,
    ).text;
    expect(row).not.toContain("<img");
    expect(row).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    const table = gridTable(
      [{ device: evil, health: undefined, incident: undefined, pending: 0, roomLink: undefined }],
      0,
    ).text;
    expect(table).not.toContain("<img");
    const pageHtml = devicePage(
      {
        device: evil,
        health: undefined,
        incident: undefined,
        audit: {
          ok: true,
          summary: EVIL,
          calls: [{ id: 1, ts: 0, capability: EVIL, args: EVIL, outcome: EVIL }],
        },
        turns: [{ at: 0, asked: EVIL, tools: [EVIL], answer: EVIL }],
        approvals: [{ eventId: EVIL, roomId: "!r", device: EVIL, call: EVIL, createdAt: 0 }],
        roomLink: undefined,
      },
      { operator: EVIL, csrf: "t" },
      0,
    ).text;
    expect(pageHtml).not.toContain("<img");
  });

  test("colours: online green, stale and unreachable yellow, a broken audit red, revoked grey", () => {
    expect(stateOf(device(), health()).color).toBe("green");
    expect(stateOf(device(), health({ status: "stale" })).color).toBe("yellow");
    expect(stateOf(device(), health({ status: "unreachable" })).color).toBe("yellow");
    expect(stateOf(device(), health({ status: "corrupted" })).color).toBe("red");
    expect(stateOf(device({ status: "revoked" }), health()).color).toBe("grey");
    expect(stateOf(device(), undefined).color).toBe("blue");
  });
});
