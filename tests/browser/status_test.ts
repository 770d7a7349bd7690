/**
 * The `/status` page in headless Chromium: behind `metrics.token` it refuses
 * a browser without the header, then with it shows connections, rates,
 * errors by code, plugs with their load state and last error, and rooms,
 * and keeps them current as traffic changes.
 *
 * Set SSOCKET_UPDATE_SCREENSHOT=1 to write docs/screenshot-status.png.
 */
import assert from "node:assert/strict";
import type { Browser } from "playwright-core";
import { hasChromium, launchChromium } from "./_chromium.ts";
import { startServer } from "../_harness.ts";
import { connect, type SsocketClient } from "../../src/client/mod.ts";

const SCREENSHOT = new URL("../../docs/screenshot-status.png", import.meta.url);
const TOKEN = "status-token";
const HAS_CHROMIUM = hasChromium("tests/browser/status_test.ts");

const PLUGS = {
  "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }",
  "room/join.ts":
    "export async function* join(m, c) { await c.join(m.payload.room); yield { payload: 'ok' }; }",
  "chat/send.ts": `import { PlugError } from "ssocket";
export async function* send(m) {
  if (!m.payload?.text) throw new PlugError("TEXT_REQUIRED", "Send { text }");
  yield { payload: m.payload };
}`,
  "report.ts": "export async function* report() { yield { payload: 1 }; }",
};

Deno.test({
  name: "the /status page in Chromium: token, connections, rates, errors, plugs, rooms",
  ignore: !HAS_CHROMIUM,
  async fn() {
    await using srv = await startServer({ plugs: PLUGS, config: { metrics: { token: TOKEN } } });
    const statusUrl = srv.url.replace("ws:", "http:") + "status";
    const clients: SsocketClient[] = [];
    let browser: Browser | undefined;
    let traffic: ReturnType<typeof setInterval> | undefined;
    const pageErrors: string[] = [];
    try {
      for (const room of ["lobby", "lobby", "lobby", "support"]) {
        const client = await connect(srv.url, { reconnect: false });
        clients.push(client);
        await client.call("room/join", { room }).all();
      }
      await srv.writePlug("report.ts", "export async function* report( {");
      await srv.waitForLog(/Plug "report" .* failed to load/);
      browser = await launchChromium();
      const anonymous = await browser.newPage();
      assert.equal((await anonymous.goto(statusUrl))?.status(), 401);
      await anonymous.close();

      const page = await browser.newPage({
        viewport: { width: 1100, height: 720 },
        extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` },
      });
      page.on("pageerror", (err) => pageErrors.push(err.message));
      assert.equal((await page.goto(statusUrl))?.status(), 200);
      await page.waitForFunction('document.querySelector("#connections").textContent === "4"');
      assert.equal(await page.textContent("#state"), "serving");

      // Traffic: echoes, a refused chat message, and an unknown event.
      traffic = setInterval(() => {
        for (const client of clients) client.send("echo", { at: Date.now() });
      }, 20);
      await clients[0].call("chat/send", {}).all().catch(() => {});
      await clients[1].call("no/such/event").all().catch(() => {});
      await page.waitForFunction(
        'Number(document.querySelector("#in-rate").textContent) > 0 && ' +
          'document.querySelector("#errors").textContent.includes("TEXT_REQUIRED")',
      );
      const errors = await page.locator("#errors tbody tr").allTextContents();
      assert.ok(errors.some((row) => row.startsWith("NOT_FOUND")), errors.join("|"));
      const plugs = await page.locator("#plugs tbody tr").allTextContents();
      assert.ok(plugs.some((row) => /^echoloaded\d/.test(row)), plugs.join("|"));
      assert.ok(plugs.some((row) => row.startsWith("reportfailed")), plugs.join("|"));
      assert.ok(plugs.some((row) => row.startsWith("↳ ")), "the last error is shown");
      assert.deepEqual(await page.locator("#rooms tbody tr").allTextContents(), [
        "lobby3",
        "support1",
      ]);
      assert.match(await page.textContent("#cluster") ?? "", /Single process/);

      // Live: a client leaving shows up without a reload.
      await clients.pop()!.close();
      await page.waitForFunction('document.querySelector("#connections").textContent === "3"');
      const png = await page.screenshot();
      assert.ok(png.length > 10_000);
      if (Deno.env.get("SSOCKET_UPDATE_SCREENSHOT") === "1") await Deno.writeFile(SCREENSHOT, png);
      assert.deepEqual(pageErrors, []);
    } finally {
      clearInterval(traffic);
      for (const client of clients) await client.close();
      await browser?.close();
    }
  },
});
