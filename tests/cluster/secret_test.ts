/**
 * The cluster channel under attack: forged and garbage messages published
 * on it by someone else, and publishes while Redis is down. A private
 * `redis-server` (tests/_redis.ts); two servers in this process.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { RedisAdapter } from "../../src/cluster/redis.ts";
import { encodeEnvelope } from "../../src/cluster/envelope.ts";
import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { startServer, TestSocket } from "../_harness.ts";
import { startRedis } from "../_redis.ts";

const SHOUT = `export async function* shout(m) { yield { type: 1, payload: m.payload }; }`;

Deno.test("with cluster.secret, forged and garbage cluster messages are dropped, counted and logged once", async () => {
  await using redis = await startRedis();
  const channel = `ssocket-test-${crypto.randomUUID()}`;
  const cluster = { redisUrl: redis.url, channel, secret: "s3cr3t" };
  await using one = await startServer({ config: { cluster }, plugs: { "shout.ts": SHOUT } });
  await using two = await startServer({ config: { cluster }, plugs: { "shout.ts": SHOUT } });
  await using a = await TestSocket.open(one.url);
  await using b = await TestSocket.open(two.url);

  const intruder = new Redis(redis.url);
  try {
    // A well-formed broadcast envelope, unsigned: what an intruder on the channel can make.
    const forged = encodeEnvelope("intruder", {
      kind: "broadcast",
      frame: encodeJsonFrame(1, "shout", "forged"),
    });
    await intruder.publish(channel, Buffer.from(forged));
    for (let i = 0; i < 1000; i++) await intruder.publish(channel, Buffer.from(`garbage ${i}`));
  } finally {
    intruder.disconnect();
  }
  // Signed traffic still flows; it was published after the forgeries, so they came first.
  a.send("shout", "signed");
  const frame = await b.next();
  assert.deepEqual([frame.event, frame.json], ["shout", "signed"]);
  assert.equal(two.runtime.counters.clusterDropped, 1001);
  const lines = two.logs.filter((line) => /Dropped \d+ malformed or unauthenticated/.test(line));
  assert.equal(lines.length, 1, lines.join("\n"));
});

Deno.test("publishes while Redis is down fail fast and are counted; sendTo is false for a closed id", async () => {
  await using redis = await startRedis();
  const channel = `ssocket-test-${crypto.randomUUID()}`;
  const adapter = await RedisAdapter.connect({ url: redis.url, channel });
  await using srv = await startServer({ adapter, plugs: { "shout.ts": SHOUT } });
  const ws = await TestSocket.open(srv.url);
  const [id] = srv.runtime.hub.connections.keys();
  await ws.close();
  while (srv.server.connectionCount > 0) await new Promise((r) => setTimeout(r, 10));
  // Known gone here, though the cluster could carry it: false.
  assert.equal(srv.server.sendTo(id, { event: "x", payload: 1 }), false);
  // Another node's (or an unknown) id is handed to the cluster.
  assert.equal(srv.server.sendTo(crypto.randomUUID(), { event: "x", payload: 1 }), true);

  await redis.stop("SIGKILL");
  while (adapter.healthy) await new Promise((r) => setTimeout(r, 10));
  const started = performance.now();
  assert.equal(srv.server.sendTo(crypto.randomUUID(), { event: "x", payload: 2 }), false);
  srv.server.broadcast({ event: "x", payload: 3 });
  assert.ok(performance.now() - started < 50, "publishing while Redis is down does not wait");
  assert.equal(adapter.counters.clusterPublishFailures, 2);
  await redis.restart();
  while (!adapter.healthy) await new Promise((r) => setTimeout(r, 10));
});
