/**
 * End to end in a real browser: ssocket serves the example plugs (plus two
 * test plugs) and the chat page; headless Chromium loads `/ssocket.js` from
 * it and checks a call's replies, a BROADCAST from another client, SYNC
 * states of a call and of a pushed stream, and a reconnect after the server
 * restarts on the same port. It finishes with the chat page in two tabs:
 * rooms, member lists driven by `$presence`, per-room history and typing,
 * and its screenshot.
 *
 * Set SSOCKET_UPDATE_SCREENSHOT=1 to write the screenshot to
 * docs/screenshot-chat.png (otherwise it is only taken, so that ordinary
 * test runs leave the working tree clean).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { hasChromium, launchChromium } from "./_chromium.ts";
import { startServer, type TestServer, WAIT_MS } from "../_harness.ts";
import { connect, type SsocketClient } from "../../src/client/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCREENSHOT = new URL("../../docs/screenshot-chat.png", import.meta.url);

const HAS_CHROMIUM = hasChromium("tests/browser/chat_test.ts");

/** Plugs of this test only, next to copies of the example plugs. */
const TEST_PLUGS = {
  // Yields each of `states` as SYNC; with `to`, pushes them to that connection instead.
  "test/sync.ts": `export async function* sync(m, client) {
    for (const payload of m.payload.states) {
      if (m.payload.to) client.server.sendTo(m.payload.to, { event: "test/state", type: 3, payload });
      else yield { type: 3, payload };
    }
    yield { payload: m.payload.to ? m.payload.states.length : undefined };
  }`,
  "test/whoami.ts": `export async function* whoami(_m, client) { yield { payload: client.id }; }`,
};

/** Every file under `dir`, by path relative to it. */
async function readTree(dir: string, prefix = ""): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) Object.assign(files, await readTree(dir, `${path}/`));
    else if (entry.isFile) files[path] = await Deno.readTextFile(`${dir}/${path}`);
  }
  return files;
}

const plugs = { ...await readTree(`${ROOT}plugs`), ...TEST_PLUGS };

function start(port = 0): Promise<TestServer> {
  return startServer({
    plugs,
    config: { staticFolder: `${ROOT}examples/chat`, INSECURE: { port }, logLevel: "info" },
  });
}

/**
 * Waits until the texts of the elements matching `selector` are `expected`;
 * if they never are, fails showing what they were.
 */
async function expectList(page: Page, selector: string, expected: string[]): Promise<void> {
  const texts = `[...document.querySelectorAll(${
    JSON.stringify(selector)
  })].map((e) => e.textContent)`;
  try {
    await page.waitForFunction(
      `JSON.stringify(${texts}) === ${JSON.stringify(JSON.stringify(expected))}`,
      undefined,
      { timeout: WAIT_MS },
    );
  } catch {
    assert.deepEqual(await page.locator(selector).allTextContents(), expected, selector);
  }
}

/** A SYNC state big enough that its updates travel as deltas. */
const doc = (version: number) => ({
  version,
  items: Array.from({ length: 40 }, (_, i) => ({ i, label: `item ${i} v${i % 7 ? 0 : version}` })),
});

Deno.test({
  name: "the client in Chromium: calls, BROADCAST, SYNC, reconnect, and the chat page",
  ignore: !HAS_CHROMIUM,
  // Sanitizers stay on: browser.close() releases Playwright's child process and pipes.
  async fn(t) {
    let srv = await start();
    const port = srv.runtime.addr!.port;
    const base = `http://127.0.0.1:${port}/`;
    const clients: SsocketClient[] = [];
    const chatter = async (name: string, room: string) => {
      const client = await connect(srv.url, { reconnect: false });
      clients.push(client);
      await client.call("chat/join", { name, room }).all();
      return client;
    };
    let browser: Browser | undefined;
    const pageErrors: string[] = [];
    const openPage = async () => {
      const page = await browser!.newPage({ viewport: { width: 900, height: 460 } });
      page.on("pageerror", (err) => pageErrors.push(err.message));
      page.on("console", (msg) => {
        // Chromium itself logs refused connections while the server restarts: expected.
        if (msg.type() === "error" && !msg.text().startsWith("WebSocket connection to")) {
          pageErrors.push(msg.text());
        }
      });
      await page.goto(base);
      return page;
    };
    try {
      browser = await launchChromium();
      const page = await openPage();

      await t.step("a call's replies, ERROR and NOT_FOUND", async () => {
        const result = await page.evaluate(async () => {
          // A variable, so that Deno does not try to resolve the page's URL itself.
          const bundle = "/ssocket.js";
          const { connect } = await import(bundle);
          const client = await connect("/", { reconnect: { initialDelay: 100, maxDelay: 500 } });
          Object.assign(globalThis, { t: client, heard: [], opens: [], updates: 0 });
          const g = globalThis as unknown as Record<string, unknown[]>;
          client.on("broadcast", (payload: unknown) => g.heard.push(payload));
          client.onConnection("open", (event: unknown) => g.opens.push(event));
          const failure = (err: { name: string; code: string }) => [err.name, err.code];
          return {
            stream: await client.call("stream", { count: 4 }).all(),
            echo: await client.call("echo", { from: "page" }).first(),
            error: await client.call("chat/join", {}).first().catch(failure),
            missing: await client.call("no/such/plug").first().catch(failure),
          };
        });
        assert.deepEqual(result, {
          stream: [{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }],
          echo: { from: "page" },
          error: ["CallError", "NAME_REQUIRED"],
          missing: ["NotFoundError", "NOT_FOUND"],
        });
      });

      await t.step("a BROADCAST from a second client", async () => {
        const other = await connect(srv.url, { reconnect: false });
        clients.push(other);
        assert.deepEqual(await other.call("broadcast", { hello: "from deno" }).all(), [
          { sent: true },
        ]);
        await page.waitForFunction(() => (globalThis as { heard?: unknown[] }).heard?.length === 1);
        assert.deepEqual(await page.evaluate(() => (globalThis as { heard?: unknown[] }).heard), [
          { hello: "from deno" },
        ]);
      });

      await t.step("SYNC: a call's states and a pushed stream, rebuilt from deltas", async () => {
        const states = [doc(1), doc(2), doc(3)];
        const fromCall = await page.evaluate(async (states) => {
          const g = globalThis as unknown as Record<string, unknown> & { t: SsocketClient };
          g.t.on("test/state", (state: unknown) => {
            g.pushed = state;
            (g.updates as number)++;
          });
          g.id = await g.t.call("test/whoami").first();
          return await g.t.call("test/sync", { states }).all();
        }, states);
        assert.deepEqual(fromCall, states);

        const pageId = await page.evaluate(() => (globalThis as { id?: string }).id);
        const pusher = await connect(srv.url, { reconnect: false });
        clients.push(pusher);
        const pushed = [doc(4), doc(5), doc(6), doc(7)];
        assert.equal(await pusher.call("test/sync", { to: pageId, states: pushed }).first(), 4);
        await page.waitForFunction(() => (globalThis as { updates?: number }).updates === 4);
        assert.deepEqual(
          await page.evaluate(() => (globalThis as { pushed?: unknown }).pushed),
          doc(7),
        );
      });

      await t.step("a reconnect after the server restarts on the same port", async () => {
        for (const client of clients.splice(0)) await client.close();
        await srv.close();
        srv = await start(port);
        await page.waitForFunction(() =>
          (globalThis as { opens?: { reconnected: boolean }[] }).opens?.some((o) => o.reconnected)
        );
        const echoed = await page.evaluate(() =>
          (globalThis as unknown as { t: SsocketClient }).t.call("echo", "after restart").first()
        );
        assert.equal(echoed, "after restart");
        await page.evaluate(() => (globalThis as unknown as { t: SsocketClient }).t.close());
      });

      await t.step("the chat page: rooms, $presence, per-room history; screenshot", async () => {
        // Alice (this page) joins the default room, "general"; Bob (another tab) joins "random".
        await page.goto(base);
        await page.waitForSelector('#status[data-state="open"]');
        await page.fill("#name", "Alice");
        await page.click("#join");
        await page.waitForSelector("#send-form:not([hidden])");
        await expectList(page, "#members li", ["Alice"]);
        const bob = await openPage();
        await bob.click('#rooms button[data-room="random"]');
        await bob.fill("#name", "Bob");
        await bob.click("#join");
        await expectList(bob, "#members li", ["Bob"]);
        assert.equal(await bob.textContent("#room-title"), "# random");

        // Carol joins general from Deno: Alice's list grows through $presence, Bob's does not.
        const carol = await chatter("Carol", "general");
        await expectList(page, "#members li", ["Alice", "Carol"]);
        await carol.call("chat/send", { text: "Hello, general!" }).all();
        await expectList(page, "#messages .text", ["Hello, general!"]);
        // Bob's own line comes back after anything sent to him before it: Carol's never did.
        await bob.fill("#text", "Anyone in random?");
        await bob.click("#send");
        await expectList(bob, "#messages .text", ["Anyone in random?"]);
        assert.deepEqual(await bob.locator("#members li").allTextContents(), ["Bob"]);
        await page.fill("#text", "Hi Carol");
        await page.click("#send");
        await expectList(page, "#messages .text", ["Hello, general!", "Hi Carol"]);

        // Leaving and closing both reach the list, and the history says so.
        await carol.call("chat/leave").all();
        await expectList(page, "#members li", ["Alice"]);
        const dave = await chatter("Dave", "general");
        await expectList(page, "#members li", ["Alice", "Dave"]);
        await dave.close();
        await expectList(page, "#members li", ["Alice"]);
        assert.deepEqual(await page.locator("#messages .system").allTextContents(), [
          "Carol joined",
          "Carol left",
          "Dave joined",
          "Dave left",
        ]);

        // Alice moves to random: she is in Bob's list and he in hers; random's history starts now.
        await page.click('#rooms button[data-room="random"]');
        await expectList(page, "#members li", ["Alice", "Bob"]);
        await expectList(bob, "#members li", ["Alice", "Bob"]);
        assert.deepEqual(await page.locator("#messages li").allTextContents(), []);
        await bob.fill("#text", "Hi Alice! Welcome to #random.");
        await bob.click("#send");
        await expectList(page, "#messages .text", ["Hi Alice! Welcome to #random."]);
        await page.fill("#text", "Thanks! This member list comes from $presence.");
        await page.click("#send");
        await bob.fill("#text", "Neat. Can you see when I type?");
        await bob.click("#send");
        await expectList(page, "#messages .text", [
          "Hi Alice! Welcome to #random.",
          "Thanks! This member list comes from $presence.",
          "Neat. Can you see when I type?",
        ]);
        await bob.type("#text", "Yes");
        await page.waitForFunction('document.querySelector("#typing").textContent !== ""');
        assert.equal(await page.textContent("#typing"), "Bob is typing…");
        assert.equal(await page.textContent("#members li.me"), "Alice");
        const png = await page.screenshot();
        assert.ok(png.length > 10_000);
        if (Deno.env.get("SSOCKET_UPDATE_SCREENSHOT") === "1") {
          await Deno.writeFile(SCREENSHOT, png);
        }

        // Back in general: its history is still there, Bob's typing is not, and Bob sees her go.
        await page.click('#rooms button[data-room="general"]');
        await expectList(page, "#members li", ["Alice"]);
        assert.deepEqual(await page.locator("#messages .text").allTextContents(), [
          "Hello, general!",
          "Hi Carol",
        ]);
        assert.equal(await page.textContent("#typing"), "");
        await expectList(bob, "#members li", ["Bob"]);
        await bob.close();
      });
      assert.deepEqual(pageErrors, []);
    } finally {
      for (const client of clients) await client.close();
      await browser?.close();
      await srv.close();
    }
  },
});
