import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { AnthropicStandIn, callTool, lastToolResults, say } from "../../lab/anthropic-standin";
import { LabMatrixClient } from "../../lab/matrix-client";
import { STANDIN_KEY, agentSays } from "./support/agents";
import { describeLab } from "./support/lab";
import { sshAs } from "./support/hosts";
import { PanelBrowser, screenshots } from "./support/panel-browser";
import { LOGIN_TTL_S, PANEL_URL, eventually, panelLinkFor, writePanelConfig } from "./support/panel";
import { LabSession, WAIT } from "./support/session";

const LONG = 240_000;

/**
 * The web panel in a real Chromium against the real bot on the lab: login from chat, the
 * grid of real devices, add (SSH-only and WireGuard) with live steps, an approval from the
 * device page, a tunnel drop seen live, revoke with the typed code.
 */
describeLab("web panel", (lab) => {
  let standIn: AnthropicStandIn;
  let session: LabSession;
  let stranger: LabMatrixClient;
  let browser: PanelBrowser;
  let strangerBrowser: PanelBrowser;
  let page: Page;
  const added = new Set<string>();

  const linkFor = async (client: LabMatrixClient, who: string): Promise<string> => {
    const sent = await client.sendText(session.alertsRoom, "!panel");
    return panelLinkFor(session.operator, session.alertsRoom, lab().botUserId, who, sent, WAIT);
  };
  const login = async (p: Page, link: string): Promise<void> => {
    await p.goto(link);
    await p.getByRole("button", { name: "Continue" }).click();
    await p.waitForURL(`${PANEL_URL}/`, { timeout: WAIT });
  };
  const cookieHeader = async (): Promise<string> =>
    (await browser.context.cookies(PANEL_URL)).map((c) => `${c.name}=${c.value}`).join("; ");
  const addFromPanel = async (form: "push", fields: Record<string, string>): Promise<string> => {
    await page.goto(`${PANEL_URL}/add`);
    for (const [label, value] of Object.entries(fields)) {
      const field = page.locator(`#${form}-form`).getByLabel(label, { exact: false });
      if (label === "Backend") await field.selectOption(value);
      else await field.fill(value);
    }
    await page.locator(`#${form}-form button[type=submit]`).click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/, { timeout: WAIT });
    return page.url();
  };
  const revokeFromPanel = async (name: string): Promise<string> => {
    await page.goto(`${PANEL_URL}/d/${name}`);
    await page.getByRole("button", { name: `Revoke ${name}…` }).click();
    const intent = (await page.locator("#revoke-intent").textContent({ timeout: WAIT }))!;
    const code = /--confirm ([A-Z0-9]{4})/.exec(intent)![1]!;
    await page.getByLabel("Confirmation code").fill(code);
    await page.getByRole("button", { name: `Revoke ${name}`, exact: true }).click();
    return (await page.locator("#outcome").textContent({ timeout: LONG }))!;
  };

  beforeAll(async () => {
    standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writePanelConfig(lab(), standIn.url);
    session = new LabSession(lab(), "panel", {}, { configFile });
    await session.start();
    // Only now (the bot lock is ours): pc1 as the WireGuard tests leave it, clean.
    sshAs(
      lab(),
      "pc1",
      "lucas",
      `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot ~/panel-approved.txt; true`,
    );
    stranger = await LabMatrixClient.login(lab().homeserverUrl, lab().stranger.user, lab().stranger.password);
    await stranger.join(session.alertsRoom);
    browser = await PanelBrowser.launch();
    strangerBrowser = await PanelBrowser.launch();
    page = await browser.page();
  }, 300_000);

  afterAll(async () => {
    // Whatever a failed test left: revoked through chat, so the lab is clean for the next one.
    for (const name of added) {
      try {
        const ask = await session.command(`!revoke ${name}`);
        const prompt = session.mentionAfter(ask.sent)?.content.body as string | undefined;
        const code = prompt ? /--confirm ([A-Z0-9]{4})/.exec(prompt)?.[1] : undefined;
        if (code) await session.command(`!revoke ${name} --confirm ${code}`);
      } catch {
        // best effort: the next run's state is wiped anyway
      }
    }
    await browser?.close();
    await strangerBrowser?.close();
    await session?.stop();
    await standIn?.stop();
  }, 300_000);

  test("login: GET shows Continue and uses nothing, the POST logs in once, an expired link and another operator's are refused", async () => {
    const link = await linkFor(session.operator, lab().operator.userId);
    // A link preview (a plain GET) and opening it twice use nothing.
    expect((await fetch(link)).status).toBe(200);
    const shown = await page.goto(link);
    expect(shown!.status()).toBe(200);
    expect(await page.textContent("main")).toContain(lab().operator.userId);
    await screenshots(page, "login");
    await login(page, link);
    expect(await page.textContent("header")).toContain(lab().operator.userId);
    const [cookie] = await browser.context.cookies(PANEL_URL);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false });
    expect(cookie!.expires - Date.now() / 1000).toBeGreaterThan(12 * 3600 - 120);
    // Used: a second GET and a second POST are refused.
    expect((await fetch(link)).status).toBe(410);
    expect((await fetch(link, { method: "POST" })).status).toBe(410);

    // Expired: refused once the link's 20 s are over.
    const expiring = await linkFor(session.operator, lab().operator.userId);
    await eventually(
      "the link to expire",
      async () => ((await fetch(expiring)).status === 410 ? true : undefined),
      LOGIN_TTL_S * 1000 + WAIT,
    );
    expect((await fetch(expiring, { method: "POST", redirect: "manual" })).status).toBe(410);

    // The stranger (the second operator) gets their own session from their own link; their
    // !panel logout ends theirs and not the operator's.
    const theirs = await linkFor(stranger, lab().stranger.userId);
    const other = await strangerBrowser.page();
    await login(other, theirs);
    expect(await other.textContent("header")).toContain(lab().stranger.userId);
    expect(await other.textContent("header")).not.toContain(lab().operator.userId);
    const logout = await stranger.sendText(session.alertsRoom, "!panel logout");
    await session.operator.waitForAfter(
      logout,
      (e) => e.sender === lab().botUserId && /Ended 1 panel session/.test(String(e.content.body)),
      WAIT,
      "the logout answer",
    );
    expect((await other.goto(`${PANEL_URL}/`))!.status()).toBe(401);
    expect((await page.goto(`${PANEL_URL}/`))!.status()).toBe(200);
  });

  test("no cookie → 401; a POST without the CSRF token → 403", async () => {
    for (const path of ["/", "/events", "/add", "/incidents"])
      expect((await fetch(PANEL_URL + path)).status).toBe(401);
    const cookie = await cookieHeader();
    const res = await fetch(`${PANEL_URL}/add`, {
      method: "POST",
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      body: "mode=push&name=pnx&via=ssh&target=lucas%40192.0.2.12",
    });
    expect(res.status).toBe(403);
    expect((await fetch(`${PANEL_URL}/`, { headers: { cookie } })).status).toBe(200);
  });

  test("a device name with HTML in it is refused and shown as text", async () => {
    // Short enough that the refusal quotes it whole (it cuts names at 40 characters).
    const evil = `<img id=pwn src=/x><b>`;
    await page.goto(`${PANEL_URL}/add`);
    await page.locator("#push-form").getByLabel("Name").fill(evil);
    await page.locator("#push-form").getByLabel("SSH target").fill("lucas@192.0.2.12");
    await page.locator("#push-form button[type=submit]").click();
    await expect(page.locator("#add-error").textContent({ timeout: WAIT })).resolves.toContain(evil);
    expect(await page.locator("#pwn").count()).toBe(0);
  });

  test(
    "add an SSH-only device from the panel: its steps stream live to the end",
    async () => {
      added.add("pn-ssh");
      const runUrl = await addFromPanel("push", {
        Name: "pn-ssh",
        Backend: "ssh",
        "SSH target": `lucas@${lab().hosts.pc2!.ip}`,
      });
      // The page is not reloaded: every step arrives over its event stream.
      await page.locator('#run[data-state="done"]').waitFor({ timeout: LONG });
      expect(page.url()).toBe(runUrl);
      const steps = await page.locator("ol.steps li").allTextContents();
      expect(steps).toEqual([
        expect.stringMatching(/^\[1\/4\] .*✓/),
        expect.stringMatching(/^\[2\/4\] .*✓/),
        expect.stringMatching(/^\[3\/4\] .*✓/),
        expect.stringMatching(/^\[4\/4\] .*✓/),
      ]);
      expect(await page.textContent("#run .outcome")).toContain("✓ agent-pn-ssh live");
      await screenshots(page, "add-ssh-run");
    },
    LONG,
  );

  test(
    "add a WireGuard device; the grid shows the lab's real devices, live",
    async () => {
      added.add("pn1");
      await addFromPanel("push", {
        Name: "pn1",
        Backend: "wg",
        "SSH target": `lucas@${lab().hosts.pc1!.ip}`,
      });
      await page.locator('#run[data-state="done"]').waitFor({ timeout: LONG });
      expect(await page.textContent("#run .outcome")).toContain("✓ agent-pn1 live");
      await page.goto(`${PANEL_URL}/`);
      await page.locator('#row-pn1[data-color="green"]').waitFor({ timeout: LONG });
      await page.locator('#row-pn-ssh[data-color="green"]').waitFor({ timeout: LONG });
      expect(await page.locator("#row-pn1").textContent()).toMatch(/10\.42\.0\.\d+/);
      expect(await page.locator("#row-pn-ssh").textContent()).toContain(`lucas@${lab().hosts.pc2!.ip}`);
      await page.locator("#live-status", { hasText: "live" }).waitFor({ timeout: WAIT });
      await screenshots(page, "grid");
    },
    LONG,
  );

  test(
    "approve an agent's tool call from the device page",
    async () => {
      const room = await session.operator.resolveAlias("#device-pn1:meshpilot.test");
      await session.operator.waitForInvite((id) => id === room, WAIT);
      await session.operator.join(room);
      const target = "/home/lucas/panel-approved.txt";
      standIn.script(
        callTool("fs_write", { path: target, content: "approved from the panel\n" }),
        (request) => say(`Done: ${lastToolResults(request)[0]!.content}`),
      );
      const sent = await session.operator.sendText(room, "Write panel-approved.txt please");
      await agentSays(
        session.operator,
        room,
        "@agent-pn1:meshpilot.test",
        sent,
        (b) => b.includes("wants to run"),
        WAIT,
        "the approval request",
      );
      await page.goto(`${PANEL_URL}/d/pn1`);
      await page.getByRole("button", { name: /^Approve / }).waitFor({ timeout: WAIT });
      await screenshots(page, "device-approval");
      await page.getByRole("button", { name: /^Approve / }).click();
      await expect(page.locator(".notice").textContent({ timeout: WAIT })).resolves.toContain("Approved");
      await agentSays(
        session.operator,
        room,
        "@agent-pn1:meshpilot.test",
        sent,
        (b) => b.startsWith("Done:"),
        WAIT,
        "the answer",
      );
      const onHost = join(lab().hosts.pc1!.home!, "lucas", "panel-approved.txt");
      expect(existsSync(onHost) && readFileSync(onHost, "utf8")).toBe("approved from the panel\n");
      rmSync(onHost, { force: true });
      expect(session.bot.log).toMatch(
        /"by":"@operator:meshpilot.test".*"approval decided"|"approval decided".*"by":"@operator:meshpilot.test"/,
      );
    },
    LONG,
  );

  test(
    "the tunnel drops: the open grid turns yellow within the health interval, and green again",
    async () => {
      await page.goto(`${PANEL_URL}/`);
      await page.locator('#row-pn1[data-color="green"]').waitFor({ timeout: WAIT });
      const downAt = Date.now();
      sshAs(lab(), "pc1", "lucas", "sudo -n wg-quick down mesh0");
      await page.locator('#row-pn1[data-color="yellow"]').waitFor({ timeout: WAIT });
      // eslint-disable-next-line no-console
      console.log(
        `tunnel down → yellow in the open grid after ${((Date.now() - downAt) / 1000).toFixed(1)} s`,
      );
      await screenshots(page, "grid-yellow");
      sshAs(
        lab(),
        "pc1",
        "lucas",
        "sudo -n env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wg-quick up mesh0",
      );
      await page.locator('#row-pn1[data-color="green"]').waitFor({ timeout: LONG });
      await page.goto(`${PANEL_URL}/incidents`);
      expect(await page.textContent("#incidents")).toContain("pn1");
      await screenshots(page, "incidents");
    },
    LONG,
  );

  test(
    "revoke from the page with the typed code",
    async () => {
      expect(await revokeFromPanel("pn1")).toContain("✓ pn1 revoked");
      added.delete("pn1");
      expect(await revokeFromPanel("pn-ssh")).toContain("✓ pn-ssh revoked");
      added.delete("pn-ssh");
      await page.goto(`${PANEL_URL}/`);
      await page.locator('#row-pn1[data-color="grey"]').waitFor({ timeout: WAIT });
      expect(session.bot.log).toMatch(/panel: revoke/);
    },
    LONG,
  );
});
