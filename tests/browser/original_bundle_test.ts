/**
 * serverless-sockets' own browser bundle (`SocketMessage.bundle.js`) in
 * headless Chromium against ssocket serving the README-shaped plugs of
 * tests/compat: echo, multi-yield, NOT_FOUND, and 50 SYNC states rebuilt
 * by its `syncIncoming`.
 *
 * The bundle is that project's code (GPL-3.0), so it is not part of this
 * repository: point SERVERLESS_SOCKETS_BUNDLE at a copy of
 * `src/SocketMessage.bundle.js` from https://github.com/duart38/serverless-sockets
 * (a committed file there; nothing to build). Without it, or without
 * Chromium, the test is reported as ignored.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { CHROMIUM, launchChromium } from "./_chromium.ts";
import { startServer } from "../_harness.ts";
import { catalogueSteps } from "../client/_big_objects.ts";

const BUNDLE = Deno.env.get("SERVERLESS_SOCKETS_BUNDLE") ?? "";
const PLUGS = fileURLToPath(new URL("../compat/serverless_plugs/", import.meta.url));

const readable = (path: string) => {
  try {
    return path !== "" && Deno.statSync(path).isFile;
  } catch {
    return false;
  }
};

/** FNV-1a of a string's UTF-16 units: enough to compare 50 large states cheaply. */
function fnv(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

Deno.test({
  name:
    "serverless-sockets' own SocketMessage.bundle.js in Chromium: echo, multi-yield, NOT_FOUND, 50 SYNC states",
  ignore: !readable(BUNDLE) || !readable(CHROMIUM),
  async fn() {
    const site = await Deno.makeTempDir({ prefix: "ssocket_original_" });
    await Deno.copyFile(BUNDLE, join(site, "SocketMessage.bundle.js"));
    await Deno.writeTextFile(join(site, "index.html"), "<!doctype html><title>old</title>");
    await using srv = await startServer({ config: { plugsFolder: PLUGS, staticFolder: site } });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(srv.url.replace("ws:", "http:"));
      const result = await page.evaluate(async (url) => {
        const { SocketMessage } = await import("/SocketMessage.bundle.js");
        const ws = new WebSocket(url);
        ws.binaryType = "arraybuffer";
        const queue: ArrayBuffer[] = [];
        const waiting: ((data: ArrayBuffer) => void)[] = [];
        ws.onmessage = (e) => waiting.length ? waiting.shift()!(e.data) : queue.push(e.data);
        const next = () =>
          queue.length
            ? Promise.resolve(queue.shift()!)
            : new Promise<ArrayBuffer>((r) => waiting.push(r));
        await new Promise((r) => ws.onopen = r);
        const read = async () => SocketMessage.fromBuffer(await next());
        ws.send(SocketMessage.encode({ event: "echo", payload: { hi: "there" } }));
        const echo = await read();
        ws.send(SocketMessage.encode({ event: "multiyield", payload: { count: 3 } }));
        const multi = [await read(), await read(), await read()].map((m) => m.payload.name);
        ws.send(SocketMessage.encode({ event: "nope", payload: {} }));
        const notFound = (await read()).eventType;
        // As the original asked: sync a copy of the request sent.
        const sent = SocketMessage.encode({ event: "sync", payload: { count: 50 } });
        const state = SocketMessage.fromRaw(sent.slice());
        ws.send(sent);
        const hashes = [];
        for (let i = 0; i < 50; i++) {
          state.syncIncoming(new Uint8Array(await next()));
          const text = JSON.stringify(state.payload);
          let hash = 0x811c9dc5;
          for (let j = 0; j < text.length; j++) {
            hash = Math.imul(hash ^ text.charCodeAt(j), 0x01000193);
          }
          hashes.push(hash >>> 0);
        }
        ws.close();
        return { echo: [echo.event, echo.payload], multi, notFound, hashes, event: state.event };
      }, srv.url);
      assert.deepEqual(result.echo, ["echo", { hi: "there" }]);
      assert.deepEqual(result.multi, ["iteration 0", "iteration 1", "iteration 2"]);
      assert.equal(result.notFound, 5);
      assert.equal(result.event, "sync-1");
      assert.deepEqual(result.hashes, catalogueSteps(7, 50).map((s) => fnv(JSON.stringify(s))));
    } finally {
      await browser.close();
      await Deno.remove(site, { recursive: true });
    }
  },
});
