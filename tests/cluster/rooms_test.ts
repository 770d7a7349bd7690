/**
 * Rooms and presence across real `ssocket` processes on one private
 * redis-server: delivery to exactly the members on every node, presence
 * that agrees everywhere and forgets a SIGKILLed node, and a Redis outage
 * that local service rides out and cross-node delivery heals from.
 */
import assert from "node:assert/strict";
import { type ReceivedFrame, TestSocket, WAIT_MS } from "../_harness.ts";
import { startRedis } from "../_redis.ts";
import { startNodes } from "../_cluster.ts";

const PLUGS = {
  "room/join.ts": `export async function* join(m, client) {
    await client.join(m.payload.room, m.payload.meta);
    yield { payload: client.id };
  }`,
  "room/say.ts": `export async function* say(m) {
    yield { type: 1, room: m.payload.room, payload: m.payload.n };
  }`,
  "room/members.ts": `export async function* members(m, client) {
    const list = await client.server.members(m.payload.room);
    yield { payload: list.map((x) => x.id).sort() };
  }`,
  "echo.ts": `export async function* echo(m) { yield { payload: m.payload }; }`,
};
const PRESENCE_TIMEOUT_S = 2;

interface Presence {
  room: string;
  joined: { id: string; meta: unknown }[];
  left: { id: string }[];
}

let nextRequest = 1;
/** Calls `event` and returns the first reply's JSON (other frames stay queued). */
async function call(socket: TestSocket, event: string, payload: unknown): Promise<unknown> {
  const [reply] = await socket.call(event, payload, nextRequest++);
  assert.equal(reply.type, 0, `${event} answered ${JSON.stringify(reply.json)}`);
  return reply.json;
}

/** Reads frames until `match` accepts one; returns it. Frames before it are dropped. */
async function until(
  socket: TestSocket,
  match: (frame: ReceivedFrame) => boolean,
  timeoutMs = WAIT_MS,
): Promise<ReceivedFrame> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const frame = await socket.next(Math.max(1, deadline - Date.now()));
    if (match(frame)) return frame;
  }
}

const isPresence = (frame: ReceivedFrame) => frame.event === "$presence";

Deno.test("30 clients on 3 processes in 3 rooms: 1000 room broadcasts reach exactly the members, once each", async () => {
  await using redis = await startRedis();
  await using cluster = await startNodes(3, { redisUrl: redis.url, plugs: PLUGS });
  const clients: { socket: TestSocket; room: string; got: number[] }[] = [];
  try {
    for (let i = 0; i < 30; i++) {
      const socket = await TestSocket.open(cluster.nodes[i % 3].url);
      // Rooms cut across nodes: each room has members on all three.
      clients.push({ socket, room: `room-${Math.floor(i / 10)}`, got: [] });
    }
    await Promise.all(clients.map((c) => call(c.socket, "room/join", { room: c.room })));

    const expected = clients.map(() => [] as number[]);
    for (let n = 0; n < 1000; n++) {
      const from = n % clients.length;
      clients[from].socket.send("room/say", { room: clients[from].room, n });
      clients.forEach((c, i) => {
        if (i !== from && c.room === clients[from].room) expected[i].push(n);
      });
    }
    await Promise.all(clients.map(async (c, i) => {
      while (c.got.length < expected[i].length) {
        const frame = await c.socket.next();
        if (isPresence(frame)) continue;
        assert.equal(frame.event, "room/say");
        c.got.push(frame.json as number);
      }
    }));
    for (const [i, c] of clients.entries()) {
      assert.deepEqual([...c.got].sort((a, b) => a - b), expected[i], `client ${i} (${c.room})`);
    }
    // Nothing more is on its way: a last broadcast per room is the next frame each member gets.
    for (let r = 0; r < 3; r++) {
      clients[r * 10].socket.send("room/say", { room: `room-${r}`, n: -1 });
    }
    await Promise.all(clients.map(async (c, i) => {
      if (i % 10 === 0) return;
      const frame = await until(c.socket, (f) => !isPresence(f));
      assert.deepEqual([frame.event, frame.json], ["room/say", -1], `client ${i}`);
    }));
  } finally {
    await Promise.all(clients.map((c) => c.socket.close()));
  }
});

Deno.test("members() and $presence agree across processes; a SIGKILLed node leaves within presenceTimeout", async () => {
  await using redis = await startRedis();
  await using cluster = await startNodes(3, {
    redisUrl: redis.url,
    plugs: PLUGS,
    flags: ["--cluster.presenceTimeout", String(PRESENCE_TIMEOUT_S)],
  });
  const [a, b, c] = await Promise.all(cluster.nodes.map((node) => TestSocket.open(node.url)));
  try {
    const ids: string[] = [];
    for (const [i, socket] of [a, b, c].entries()) {
      ids.push(await call(socket, "room/join", { room: "lobby", meta: { n: i } }) as string);
    }
    // a saw itself, b and c join, each with its meta, though b and c are on other processes.
    const seen: Presence["joined"] = [];
    while (seen.length < 3) {
      const frame = await until(a, isPresence);
      seen.push(...(frame.json as Presence).joined);
    }
    assert.deepEqual(seen, ids.map((id, n) => ({ id, meta: { n } })));
    for (const socket of [a, b, c]) {
      assert.deepEqual(await call(socket, "room/members", { room: "lobby" }), [...ids].sort());
    }

    const killedAt = Date.now();
    cluster.nodes[2].kill("SIGKILL");
    await cluster.nodes[2].stopped;
    for (const socket of [a, b]) {
      const frame = await until(
        socket,
        (f) => isPresence(f) && (f.json as Presence).left.length > 0,
      );
      assert.deepEqual(frame.json, { room: "lobby", joined: [], left: [{ id: ids[2] }] });
    }
    const elapsed = Date.now() - killedAt;
    assert.ok(
      elapsed <= PRESENCE_TIMEOUT_S * 1000 + 500,
      `reported left after ${elapsed} ms; presenceTimeout is ${PRESENCE_TIMEOUT_S} s`,
    );
    for (const socket of [a, b]) {
      assert.deepEqual(
        await call(socket, "room/members", { room: "lobby" }),
        ids.slice(0, 2).sort(),
      );
    }
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

Deno.test("Redis down for 5 s: each process keeps serving its own rooms, then heals without a restart", async () => {
  await using redis = await startRedis();
  await using cluster = await startNodes(2, { redisUrl: redis.url, plugs: PLUGS });
  const [one, two] = cluster.nodes;
  const [a1, a2, b] = await Promise.all([
    TestSocket.open(one.url),
    TestSocket.open(one.url),
    TestSocket.open(two.url),
  ]);
  try {
    const ids = [];
    for (const socket of [a1, a2, b]) ids.push(await call(socket, "room/join", { room: "r" }));

    await redis.stop("SIGKILL");
    // Traffic during the outage: every room broadcast still reaches the member on the same node.
    const outageEnds = Date.now() + 5000;
    for (let n = 0; Date.now() < outageEnds; n++) {
      a1.send("room/say", { room: "r", n });
      const frame = await until(a2, (f) => !isPresence(f));
      assert.deepEqual([frame.event, frame.json], ["room/say", n]);
      assert.equal(await call(b, "echo", n), n, "node two serves its clients too");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await redis.restart();
    await Promise.all([one.waitForLog(/Cluster link up/), two.waitForLog(/Cluster link up/)]);

    // The restarted Redis is empty; both nodes announced their members again.
    assert.deepEqual(await call(b, "room/members", { room: "r" }), [...ids].sort());
    a1.send("room/say", { room: "r", n: "after" });
    const crossed = await until(b, (f) => !isPresence(f));
    assert.deepEqual([crossed.event, crossed.json], ["room/say", "after"]);
    for (const node of [one, two]) {
      const downs = (node.logs.join("\n") + node.stderr).match(/Cluster link down/g) ?? [];
      assert.equal(downs.length, 1, "the outage is logged once per node");
    }
  } finally {
    await Promise.all([a1.close(), a2.close(), b.close()]);
  }
});
