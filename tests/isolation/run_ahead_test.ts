/**
 * A Worker runs a call one step ahead of the server (src/isolation/run_ahead.ts),
 * yet what a plug sends through the plug API after a yield reaches clients
 * after that yield's frame, as in-process: through a real server and a real
 * plug-host process, in both isolation modes.
 */
import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";

const STEPS = 20;

const PLUGS = {
  // Sends right after each yield, synchronously and after an await: the
  // step that sends runs ahead of the server in worker mode.
  "ordered.ts": `export async function* ordered(message, client) {
    for (let i = 0; i < ${STEPS}; i++) {
      yield { payload: "yield " + i };
      client.send({ event: "side", payload: "send " + i });
      await Promise.resolve();
      client.server.broadcast({ event: "side", payload: "broadcast " + i });
    }
  }`,
  "echo.ts": `export async function* echo(message) { yield { payload: message.payload }; }`,
};

for (const mode of ["none", "worker"] as const) {
  Deno.test(`isolation ${mode}: a plug's sends after a yield reach the client after the yield`, async () => {
    await using srv = await startServer({ plugs: PLUGS, config: { isolation: { mode } } });
    await using ws = await TestSocket.open(srv.url);
    // A plain echo first: its Worker runs ahead (no plug-API use there).
    for (let i = 1; i <= 3; i++) {
      const [reply] = await ws.call("echo", i, i);
      assert.equal(reply.json, i);
    }
    // Twice: the first call starts running ahead before the plug's first
    // API use; the second runs in a Worker that no longer does.
    for (const requestId of [10, 11]) {
      ws.send("ordered", null, requestId);
      const seen: string[] = [];
      while (true) {
        const frame = await ws.next();
        if (frame.end && frame.requestId === requestId) break;
        seen.push(frame.json as string);
      }
      const expected = Array.from(
        { length: STEPS },
        (_, i) => [`yield ${i}`, `send ${i}`, `broadcast ${i}`],
      ).flat();
      assert.deepEqual(seen, expected);
    }
  });
}
