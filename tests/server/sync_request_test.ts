import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";
import { LegacySocket } from "../_legacy_client.ts";

const SYNC = 3;
const ECHO_TYPE = `export async function* echo(m) {
  yield { payload: { type: m.eventType, payload: m.payload } };
}`;

Deno.test("a SYNC-typed request reaches the plug as parsed JSON, like any other request", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": ECHO_TYPE } });
  await using ws = await TestSocket.open(srv.url);
  ws.send("echo", { state: [1, 2] }, undefined, SYNC);
  assert.deepEqual((await ws.next()).json, { type: SYNC, payload: { state: [1, 2] } });
  await using legacy = await LegacySocket.open(srv.url);
  legacy.send("echo", { from: "an old client" }, SYNC);
  assert.deepEqual((await legacy.next()).payload, {
    type: SYNC,
    payload: { from: "an old client" },
  });
});

Deno.test("a SYNC-typed request that is not JSON gets ERROR INVALID_JSON", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": ECHO_TYPE } });
  await using ws = await TestSocket.open(srv.url);
  const frame = new Uint8Array([0, 0, 0, 12, SYNC, 4, ...new TextEncoder().encode("echo"), 1, 2]);
  ws.sendRaw(frame);
  const reply = await ws.next();
  assert.equal(reply.type, 4);
  assert.equal((reply.json as { code: string }).code, "INVALID_JSON");
});
