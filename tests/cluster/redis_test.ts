/**
 * Two ssocket servers in one process, clustered through a real Redis: a
 * private `redis-server` on a free port (tests/_redis.ts), never a shared
 * one. Without `redis-server` the test fails, naming the package to install.
 */
import assert from "node:assert/strict";
import { RedisAdapter } from "../../src/cluster/redis.ts";
import { applyDelta, readDeltaHeader } from "../../src/protocol/delta.ts";
import { startServer, TestSocket } from "../_harness.ts";
import { startRedis } from "../_redis.ts";

/** One server gets its adapter from code, the other from the `cluster` options. */
async function clusteredServer(url: string, channel: string, viaConfig: boolean) {
  const adapter = viaConfig ? undefined : await RedisAdapter.connect({ url, channel });
  return await startServer({
    adapter,
    config: viaConfig ? { cluster: { redisUrl: url, channel } } : {},
    plugs: {
      "shout.ts": `export async function* shout(m) { yield { type: 1, payload: m.payload }; }`,
      "whoami.ts": `export async function* whoami(_m, client) { yield { payload: client.id }; }`,
    },
  });
}

Deno.test("RedisAdapter carries BROADCASTs and sendTo between two servers", async () => {
  await using redis = await startRedis();
  const channel = `ssocket-test-${crypto.randomUUID()}`;
  await using one = await clusteredServer(redis.url, channel, false);
  await using two = await clusteredServer(redis.url, channel, true);
  await two.waitForLog(/Clustered through redis:/);
  await using a = await TestSocket.open(one.url);
  await using b = await TestSocket.open(two.url);
  await using c = await TestSocket.open(two.url);

  a.send("shout", { hi: "cluster" });
  const [fb, fc] = await Promise.all([b.next(), c.next()]);
  assert.deepEqual([fb.type, fb.json], [1, { hi: "cluster" }]);
  assert.deepEqual([fc.type, fc.json], [1, { hi: "cluster" }]);

  const [whoami] = await c.call("whoami", null, 1);
  const cId = whoami.json as string;
  assert.equal(one.runtime.hub.connections.get(cId), undefined, "c is not on server one");
  assert.equal(one.server.sendTo(cId, { event: "direct", payload: 42 }), true);
  const direct = await c.next();
  assert.deepEqual([direct.event, direct.json], ["direct", 42]);
  // A SYNC sent from another process is a delta against what c holds (nothing yet).
  assert.equal(one.server.sendTo(cId, { event: "doc", type: 3, payload: { v: [1, 2] } }), true);
  const sync = await c.next();
  assert.equal(sync.type, 3);
  assert.equal(readDeltaHeader(sync.payload).baseLength, 0);
  let state: Uint8Array = applyDelta(new Uint8Array(), sync.payload);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(state)), { v: [1, 2] });
  // The process holding c keeps the stream: its next SYNC is a delta against that state.
  assert.equal(
    two.server.sendTo(cId, { event: "doc", type: 3, payload: { v: [1, 2, 3] } }),
    true,
  );
  const next = await c.next();
  assert.equal(readDeltaHeader(next.payload).baseLength, state.length);
  state = applyDelta(state, next.payload);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(state)), { v: [1, 2, 3] });
  // b got nothing in the meantime: its next frame is the one sent to it now.
  two.server.sendTo(two.server.connections.find((x) => x.id !== cId)!.id, {
    event: "marker",
    payload: 0,
  });
  assert.equal((await b.next()).event, "marker");
});
