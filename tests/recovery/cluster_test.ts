import assert from "node:assert/strict";
import { SsocketClient } from "../../src/client/mod.ts";
import { startNodes } from "../_cluster.ts";
import { TestSocket } from "../_harness.ts";
import { startRedis } from "../_redis.ts";
import { TcpProxy } from "../_proxy.ts";
import { AWAY, doc, nextEvent, RECOVERY_PLUGS, settleIn, until } from "./_scenario.ts";

const PLUGS = {
  ...RECOVERY_PLUGS,
  // SYNC to a connection on whichever node holds it.
  "doc/push.ts": `export async function* push(m, c) {
    c.server.sendTo(m.payload.to, { type: 3, event: "doc", payload: m.payload.doc });
    yield {};
  }`,
};

Deno.test("SsocketClient cut off from one node resumes on another: same id, rooms, data, 500 broadcasts in order once, SYNC by one delta", async () => {
  await using redis = await startRedis();
  await using cluster = await startNodes(2, { redisUrl: redis.url, plugs: PLUGS });
  const [a, b] = cluster.nodes;
  await using proxy = TcpProxy.start(a.url);
  await using bob = await TestSocket.open(b.url);
  await bob.call("room/join", { room: "r" }, 1);
  const client = new SsocketClient(proxy.url, {
    reconnect: AWAY,
  });
  try {
    const { id: beforeId, ticks, docs } = await settleIn(client);
    await bob.call("doc/push", { to: beforeId, doc: doc(0) }, 2);
    await until((f) => client.on("doc", f), () => docs.length === 1, "the first SYNC");

    // Node a never notices: its socket to the client goes silent.
    const dropped = nextEvent(client, "close");
    proxy.cut({ silent: true });
    assert.equal((await dropped).code, 1006);
    proxy.retarget(b.url);
    const recovered = nextEvent(client, "recovered", 20_000);
    for (let n = 0; n < 500; n++) bob.send("room/say", { room: "r", n });
    for (let step = 1; step <= 20; step++) {
      bob.send("doc/push", { to: beforeId, doc: doc(step) });
    }

    const { id, missed } = await recovered;
    assert.equal(id, beforeId);
    assert.equal(missed, 501);
    await until((f) => client.on("tick", f), () => ticks.length >= 500, "500 ticks");
    assert.deepEqual(ticks, Array.from({ length: 500 }, (_, n) => n));
    assert.deepEqual(docs.map((d) => d.step), [0, 20]);
    assert.deepEqual(docs[1], doc(20));
    const after = await client.call("whoami").first();
    assert.deepEqual(after, { id: beforeId, rooms: ["r"], data: { note: "kept" } });
    // Node b holds it now and the room still reaches it; nobody saw it leave.
    bob.send("room/say", { room: "r", n: 500 });
    await until((f) => client.on("tick", f), () => ticks.length === 501, "a tick on node b");
    const presence = bob.drain().filter((f) => f.event === "$presence");
    assert.ok(presence.every((f) => (f.json as { left: unknown[] }).left.length === 0));
  } finally {
    await client.close();
  }
});

Deno.test("a session survives its node's SIGKILL: the client resumes on another node with its id, rooms and data", async () => {
  await using redis = await startRedis();
  await using cluster = await startNodes(2, {
    redisUrl: redis.url,
    plugs: PLUGS,
    flags: ["--cluster.presenceTimeout", "3"],
  });
  const [a, b] = cluster.nodes;
  await using proxy = TcpProxy.start(a.url);
  await using bob = await TestSocket.open(b.url);
  await bob.call("room/join", { room: "r" }, 1);
  const client = new SsocketClient(proxy.url, { reconnect: { initialDelay: 500, jitter: 0 } });
  try {
    await client.ready();
    const before = await client.call("whoami").first() as { id: string };
    // Data reaches Redis with the next acknowledgement or room change: here the join.
    await client.call("remember", "kept").first();
    await client.call("room/join", { room: "r" }).first();
    const ticks: number[] = [];
    client.on("tick", (n) => ticks.push(n as number));

    proxy.retarget(b.url);
    const recovered = nextEvent(client, "recovered", 20_000);
    a.kill("SIGKILL");
    await a.stopped;
    const { id } = await recovered;
    assert.equal(id, before.id);
    const after = await client.call("whoami").first();
    assert.deepEqual(after, { id: before.id, rooms: ["r"], data: { note: "kept" } });
    bob.send("room/say", { room: "r", n: 1 });
    await until((f) => client.on("tick", f), () => ticks.length === 1, "a tick on node b");
    assert.deepEqual(ticks, [1]);
  } finally {
    await client.close();
  }
});
