import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";

Deno.test("dispatch answers an echo plug over a real WebSocket", async () => {
  await using srv = await startServer({
    plugs: { "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }" },
  });
  await using ws = await TestSocket.open(srv.url);
  ws.send("echo", { hello: "world" });
  const frame = await ws.next();
  assert.equal(frame.event, "echo");
  assert.equal(frame.type, 0);
  assert.deepEqual(frame.json, { hello: "world" });
});
