import assert from "node:assert/strict";
import { startServer, TestSocket, WAIT_MS } from "../_harness.ts";
import { startRedis } from "../_redis.ts";

/** Polls `url` until it answers `status`: the adapter's link state has no outside event. */
async function until(url: string, status: number): Promise<unknown> {
  const deadline = Date.now() + WAIT_MS;
  while (true) {
    const response = await fetch(url);
    const body = await response.json();
    if (response.status === status) return body;
    if (Date.now() > deadline) throw new Error(`${url} still answers ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("/healthz and /readyz answer 503 while Redis is stopped, and 200 again once it is back", async () => {
  await using redis = await startRedis();
  await using srv = await startServer({ config: { cluster: { redisUrl: redis.url } } });
  const base = srv.url.replace("ws:", "http:");
  for (const path of ["healthz", "readyz"]) {
    assert.deepEqual(await until(base + path, 200), { status: "ok" });
  }
  const status = await (await fetch(base + "status.json")).json();
  assert.equal(status.cluster.clustered, true);
  assert.deepEqual(status.cluster.peers, []);
  await redis.stop();
  for (const path of ["healthz", "readyz"]) {
    assert.deepEqual(await until(base + path, 503), { status: "cluster unreachable" });
  }
  await redis.restart();
  assert.deepEqual(await until(base + "healthz", 200), { status: "ok" });
});

Deno.test("/status.json lists the other live nodes of a cluster as peers", async () => {
  await using redis = await startRedis();
  const config = { cluster: { redisUrl: redis.url } };
  await using a = await startServer({ config });
  await using b = await startServer({ config });
  const status = await (await fetch(a.url.replace("ws:", "http:") + "status.json")).json();
  assert.equal(status.cluster.nodeId, a.runtime.hub.adapter.nodeId);
  assert.deepEqual(status.cluster.peers, [b.runtime.hub.adapter.nodeId]);
  assert.equal(status.cluster.healthy, true);
});

Deno.test("drain(): 503 and SHUTTING_DOWN while draining; a plug past the grace is cut off with 1001", async () => {
  await using srv = await startServer({
    plugs: {
      "forever.ts":
        "export async function* forever() { yield { payload: 1 }; await new Promise(() => {}); }",
      "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }",
    },
  });
  const base = srv.url.replace("ws:", "http:");
  await using ws = await TestSocket.open(srv.url);
  ws.send("forever", null, 1);
  assert.equal((await ws.next()).json, 1);
  assert.equal(srv.runtime.callsRunning, 1);
  const drained = srv.runtime.drain(300);
  const health = await fetch(base + "readyz");
  assert.deepEqual([health.status, await health.json()], [503, { status: "draining" }]);
  ws.send("echo", "late", 2);
  const late = await ws.next();
  assert.deepEqual([late.type, (late.json as { code: string }).code, late.end], [
    4,
    "SHUTTING_DOWN",
    true,
  ]);
  assert.equal(await drained, 1);
  assert.equal((await ws.closed).code, 1001);
});
