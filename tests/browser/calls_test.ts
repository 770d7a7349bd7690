/**
 * Calls in both directions and binary uploads in a real browser: headless
 * Chromium loads `/ssocket.js` from an ssocket serving the example plugs,
 * answers the server's "confirm" call with a real `window.confirm()` dialog
 * (accepted, then dismissed), and uploads a file picked in an
 * `<input type="file">` to plugs/files/upload in binary chunks.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { hasChromium, launchChromium } from "./_chromium.ts";
import { startServer } from "../_harness.ts";

const PLUGS = fileURLToPath(new URL("../../plugs", import.meta.url));

/** The little of the page's DOM the test touches (Deno's type check has no DOM types). */
type PageGlobals = {
  document: {
    createElement(tag: "input"): { type: string; id: string };
    body: { append(node: unknown): void };
    getElementById(id: string): { files: { name: string; arrayBuffer(): Promise<ArrayBuffer> }[] };
  };
};

const HAS_CHROMIUM = hasChromium("tests/browser/calls_test.ts");

Deno.test({
  name: "the client in Chromium: a confirmation the server asks for, and a binary upload",
  ignore: !HAS_CHROMIUM,
  async fn(t) {
    await using srv = await startServer({
      config: { plugsFolder: PLUGS, logLevel: "info", payloadLimit: 100_000 },
    });
    const base = `http://127.0.0.1:${srv.runtime.addr!.port}/`;
    let browser: Browser | undefined;
    const pageErrors: string[] = [];
    try {
      browser = await launchChromium();
      const page = await browser.newPage();
      page.on("pageerror", (err) => pageErrors.push(err.message));
      // Any page of the server is an origin that may import its client.
      await page.goto(`${base}ssocket.js`);
      await page.evaluate(async () => {
        const bundle = "/ssocket.js"; // a variable, so that Deno does not resolve it
        const { connect } = await import(bundle);
        const client = await connect("/");
        client.handle("confirm", ({ question }: { question: string }) => confirm(question));
        Object.assign(globalThis, { client });
      });

      await t.step("the server's confirm call shows a dialog; its answer decides", async () => {
        const dialogs: string[] = [];
        let accept = true;
        page.on("dialog", async (dialog) => {
          dialogs.push(dialog.message());
          await (accept ? dialog.accept() : dialog.dismiss());
        });
        const remove = (name: string) =>
          page.evaluate(async (name) => {
            const { client } = globalThis as unknown as {
              client: { call(e: string, p: unknown): { first(): Promise<unknown> } };
            };
            return await client.call("files/delete", { name }).first().catch((err) =>
              `${err.name} ${err.code}`
            );
          }, name);
        assert.deepEqual(await remove("old.txt"), { deleted: "old.txt" });
        accept = false;
        assert.equal(await remove("keep.txt"), "CallError DECLINED");
        assert.deepEqual(dialogs, ['Delete "old.txt"?', 'Delete "keep.txt"?']);
      });

      await t.step("a file from <input type=file> uploads as bytes with progress", async () => {
        const file = new Uint8Array(300_000).map((_, i) => (i * 7) % 256);
        await page.evaluate(() => {
          const { document } = globalThis as unknown as PageGlobals;
          const input = document.createElement("input");
          input.type = "file";
          input.id = "file";
          document.body.append(input);
        });
        await page.setInputFiles("#file", {
          name: "photo.bin",
          mimeType: "application/octet-stream",
          buffer: Buffer.from(file),
        });
        const result = await page.evaluate(async () => {
          const { client } = globalThis as unknown as {
            client: {
              call(e: string, p: unknown): AsyncIterable<unknown> & {
                write(p: Uint8Array): void;
                end(): void;
              };
            };
          };
          const { document } = globalThis as unknown as PageGlobals;
          const picked = document.getElementById("file").files[0];
          const bytes = new Uint8Array(await picked.arrayBuffer());
          const call = client.call("files/upload", { name: picked.name, size: bytes.length });
          const CHUNK = 64 * 1024;
          for (let at = 0; at < bytes.length; at += CHUNK) {
            call.write(bytes.subarray(at, at + CHUNK));
          }
          call.end();
          const replies = [];
          for await (const reply of call) replies.push(reply);
          return replies;
        });
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", file));
        const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
        assert.deepEqual(result, [
          { received: 65_536, size: 300_000 },
          { received: 131_072, size: 300_000 },
          { received: 196_608, size: 300_000 },
          { received: 262_144, size: 300_000 },
          { received: 300_000, size: 300_000 },
          { name: "photo.bin", bytes: 300_000, sha256 },
        ]);
      });
      await page.evaluate(() =>
        (globalThis as unknown as { client: { close(): Promise<void> } }).client.close()
      );
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser?.close();
    }
  },
});
