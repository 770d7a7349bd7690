/**
 * Three real `ssocket` processes on one private redis-server
 * (tests/_cluster.ts, tests/_redis.ts): what only separate processes show,
 * a node killed outright and Redis going away and coming back.
 */
import assert from "node:assert/strict";
import { type ReceivedFrame, TestSocket, WAIT_MS } from "../_harness.ts";
import { startRedis } from "../_redis.ts";
import { startNodes } from "../_cluster.ts";

const PLUGS = {
  "shout.ts": "export async function* shout(m) { yield { type: 1, payload: m.payload }; }\n",
  "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }\n",
};
const BROADCAST = 1;
/** How long one probe waits for its broadcast to cross before the next is sent. */
const PROBE_MS = 100;

/** The next frame, checked to be the BROADCAST of `payload`. */
async function expectBroadcast(socket: TestSocket, payload: unknown): Promise<void> {
  const frame: ReceivedFrame = await socket.next();
  assert.deepEqual([frame.type, frame.event, frame.json], [BROADCAST, "shout", payload]);
}

/** Echoes through the socket's own node: its next frame must be the reply. */
async function expectEcho(socket: TestSocket, payload: unknown): Promise<void> {
  socket.send("echo", payload);
  const frame = await socket.next();
  assert.deepEqual([frame.type, frame.event, frame.json], [0, "echo", payload]);
}

/**
 * Sends broadcasts from `from` until one reaches `to`. No event says that a
 * node is subscribed to Redis again after a restart (the client reconnects
 * with backoff), so this probes, within a deadline.
 */
async function untilBroadcastCrosses(from: TestSocket, to: TestSocket): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (let probe = 0; Date.now() < deadline; probe++) {
    from.send("shout", { probe });
    try {
      const frame = await to.next(PROBE_MS);
      if (frame.type === BROADCAST && frame.event === "shout") return;
    } catch {
      // Not across yet: probe again.
    }
  }
  throw new Error(`No broadcast crossed between the nodes within ${WAIT_MS} ms`);
}

Deno.test("ssocket processes clustered through Redis deliver broadcasts across nodes and survive a killed node and a Redis restart", async (t) => {
  await using redis = await startRedis();
  await using cluster = await startNodes(3, { redisUrl: redis.url, plugs: PLUGS });
  const [nodeA, nodeB, nodeC] = cluster.nodes;
  await using a = await TestSocket.open(nodeA.url);
  await using b = await TestSocket.open(nodeB.url);
  await using c = await TestSocket.open(nodeC.url);

  await t.step("a broadcast reaches the clients of the other two nodes exactly once", async () => {
    a.send("shout", { n: 1 });
    a.send("shout", { n: 2 });
    // In order and once each; the echo after them shows no copy trails behind.
    for (const socket of [b, c]) {
      await expectBroadcast(socket, { n: 1 });
      await expectBroadcast(socket, { n: 2 });
      await expectEcho(socket, "after");
    }
    // The sender is left out, locally and when its frame comes back from Redis.
    await expectEcho(a, "sender got nothing");
  });

  await t.step("the two survivors exchange broadcasts after a node is SIGKILLed", async () => {
    nodeC.kill("SIGKILL");
    const { signal } = await nodeC.stopped;
    assert.equal(signal, "SIGKILL");
    await c.closed;
    a.send("shout", { from: "a" });
    await expectBroadcast(b, { from: "a" });
    b.send("shout", { from: "b" });
    await expectBroadcast(a, { from: "b" });
  });

  await t.step("the survivors answer their local clients while Redis is down", async () => {
    await redis.stop();
    // A broadcast now cannot leave the node; it must not break the connection.
    a.send("shout", { lost: "redis is down" });
    await expectEcho(a, "local a");
    await expectEcho(b, "local b");
  });

  await t.step("cross-node broadcasts resume after Redis restarts on the same port", async () => {
    await redis.restart();
    await untilBroadcastCrosses(a, b);
    await untilBroadcastCrosses(b, a);
  });
});
