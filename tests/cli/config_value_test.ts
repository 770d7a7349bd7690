import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";
import { defaultConfig, withDefaults } from "../../config.ts";

const ECHO = "export async function* echo(m) { yield { payload: m.payload }; }";

Deno.test("two servers with different configs run side by side in one process", async () => {
  await using small = await startServer({
    plugs: { "echo.ts": ECHO },
    config: { payloadLimit: 64 },
  });
  await using large = await startServer({
    plugs: { "echo.ts": ECHO },
    config: { payloadLimit: 100_000 },
  });
  assert.equal(small.server.config.payloadLimit, 64);
  assert.equal(large.server.config.payloadLimit, 100_000);
  assert.notEqual(small.url, large.url);

  const text = "x".repeat(200);
  await using toSmall = await TestSocket.open(small.url);
  await using toLarge = await TestSocket.open(large.url);
  toSmall.send("echo", { text });
  toLarge.send("echo", { text });
  const answered = await toLarge.next();
  // Over the small server's payloadLimit: refused with 1009.
  assert.equal((await toSmall.closed).code, 1009);
  assert.deepEqual(answered.json, { text });
  assert.equal(defaultConfig.payloadLimit, 250_000, "defaults are never mutated");
});

Deno.test("withDefaults() returns a fresh value each time", () => {
  const a = withDefaults({ INSECURE: { port: 1 } });
  const b = withDefaults();
  a.INSECURE.hostname = "changed";
  assert.equal(b.INSECURE.hostname, "0.0.0.0");
  assert.equal(defaultConfig.INSECURE.hostname, "0.0.0.0");
  assert.equal(a.INSECURE.port, 1);
});
