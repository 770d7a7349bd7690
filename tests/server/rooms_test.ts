/**
 * Rooms and presence on one process, through real sockets: who gets a room
 * BROADCAST, `$presence` on join, leave and close, `members()`, and the
 * refusals for bad room names and misrouted yields.
 */
import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";

const PLUGS = {
  "room/join.ts": `export async function* join(m, client) {
    await client.join(m.payload.room, m.payload.meta);
    yield { payload: [...client.rooms] };
  }`,
  "room/leave.ts": `export async function* leave(m, client) {
    await client.leave(m.payload.room);
    yield { payload: [...client.rooms] };
  }`,
  "room/say.ts": `export async function* say(m) {
    yield { type: 1, room: m.payload.room, payload: m.payload.text };
  }`,
  "room/members.ts": `export async function* members(m, client) {
    const list = await client.server.members(m.payload.room);
    yield { payload: list.sort((a, b) => a.id < b.id ? -1 : 1) };
  }`,
  "whoami.ts": `export async function* whoami(_m, client) { yield { payload: client.id }; }`,
  "misroute.ts": `export async function* misroute() { yield { room: "r", payload: 1 }; }`,
};

/** Opens a socket and returns it with its connection id. */
async function member(url: string) {
  const socket = await TestSocket.open(url);
  const [reply] = await socket.call("whoami", null, 1);
  return { socket, id: reply.json as string };
}

let nextRequest = 100;
async function call(socket: TestSocket, event: string, payload: unknown) {
  const [reply] = await socket.call(event, payload, nextRequest++);
  return reply;
}

Deno.test("a room BROADCAST reaches the members only, without the sender", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  const a = await member(srv.url);
  const b = await member(srv.url);
  const outsider = await member(srv.url);
  try {
    assert.deepEqual((await call(a.socket, "room/join", { room: "r1" })).json, ["r1"]);
    await a.socket.next(); // a's own $presence join
    assert.deepEqual((await call(b.socket, "room/join", { room: "r1" })).json, ["r1"]);
    await Promise.all([a.socket.next(), b.socket.next()]); // b's join, seen by both

    a.socket.send("room/say", { room: "r1", text: "hello" });
    const got = await b.socket.next();
    assert.deepEqual([got.event, got.type, got.json], ["room/say", 1, "hello"]);

    // Neither the sender nor the outsider got it: the next frame each gets is this marker.
    srv.server.broadcast({ event: "marker", payload: 0 });
    assert.equal((await a.socket.next()).event, "marker");
    assert.equal((await outsider.socket.next()).event, "marker");
    assert.equal((await b.socket.next()).event, "marker");

    // server.broadcast to a room, from outside any plug, includes everyone in it.
    assert.equal(srv.server.broadcast({ event: "news", payload: 1 }, { room: "r1" }), 2);
    assert.equal((await a.socket.next()).event, "news");
    assert.equal((await b.socket.next()).event, "news");
    assert.deepEqual(srv.server.rooms(), ["r1"]);
  } finally {
    await Promise.all([a.socket.close(), b.socket.close(), outsider.socket.close()]);
  }
});

Deno.test("$presence reports joins, leaves and closes to the room's members", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  const a = await member(srv.url);
  const b = await member(srv.url);
  try {
    await call(a.socket, "room/join", { room: "lobby", meta: { name: "ada" } });
    const own = await a.socket.next();
    assert.equal(own.event, "$presence");
    assert.deepEqual(own.json, {
      room: "lobby",
      joined: [{ id: a.id, meta: { name: "ada" } }],
      left: [],
    });
    await call(b.socket, "room/join", { room: "lobby" });
    const [seenByA] = [await a.socket.next(), await b.socket.next()];
    assert.deepEqual(seenByA.json, { room: "lobby", joined: [{ id: b.id, meta: null }], left: [] });

    const list = (await call(a.socket, "room/members", { room: "lobby" })).json;
    const expected = [{ id: a.id, meta: { name: "ada" } }, { id: b.id, meta: null }]
      .sort((x, y) => x.id < y.id ? -1 : 1);
    assert.deepEqual(list, expected);

    assert.deepEqual((await call(b.socket, "room/leave", { room: "lobby" })).json, []);
    assert.deepEqual((await a.socket.next()).json, {
      room: "lobby",
      joined: [],
      left: [{ id: b.id }],
    });
    // Leaving a room one is not in changes nothing and tells no one.
    assert.deepEqual((await call(b.socket, "room/leave", { room: "lobby" })).json, []);

    await call(b.socket, "room/join", { room: "lobby" });
    await Promise.all([a.socket.next(), b.socket.next()]);
    await b.socket.close();
    assert.deepEqual((await a.socket.next()).json, {
      room: "lobby",
      joined: [],
      left: [{ id: b.id }],
    });
    assert.deepEqual((await call(a.socket, "room/members", { room: "lobby" })).json, [
      { id: a.id, meta: { name: "ada" } },
    ]);
  } finally {
    await Promise.all([a.socket.close(), b.socket.close()]);
  }
});

Deno.test("a closed connection leaves every room it was in", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  const a = await member(srv.url);
  await call(a.socket, "room/join", { room: "x" });
  await call(a.socket, "room/join", { room: "y" });
  assert.deepEqual(srv.server.rooms().sort(), ["x", "y"]);
  await a.socket.close();
  await srv.waitForLog(new RegExp(`Connection ${a.id} closed`));
  assert.deepEqual(srv.server.rooms(), []);
  assert.deepEqual(await srv.server.members("x"), []);
});

Deno.test("room names that are not 1 to 256 bytes of string answer ERROR INVALID_ROOM", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await TestSocket.open(srv.url);
  for (const room of ["", "é".repeat(129), 42, null, ["a"]]) {
    const reply = await call(ws, "room/join", { room });
    assert.equal(reply.type, 4, `room ${JSON.stringify(room)}`);
    assert.equal((reply.json as { code: string }).code, "INVALID_ROOM");
  }
  const ok = await call(ws, "room/join", { room: "é".repeat(128) });
  assert.equal(ok.type, 0, "256 bytes is allowed");
  assert.throws(() => srv.server.broadcast({ event: "e" }, { room: "" }), /room name/);
});

Deno.test("room meta with no JSON form or over 4 KiB answers ERROR INVALID_META; 4 KiB is allowed", async () => {
  await using srv = await startServer({
    plugs: {
      "meta.ts": `export async function* meta(m, client) {
        const meta = m.payload.kind === "bigint" ? { n: 1n } : "x".repeat(m.payload.chars);
        await client.join("r", meta);
        yield { payload: [...client.rooms] };
      }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  for (const payload of [{ kind: "bigint" }, { chars: 4095 }]) {
    const reply = await call(ws, "meta", payload);
    assert.equal(reply.type, 4, JSON.stringify(payload));
    assert.equal((reply.json as { code: string }).code, "INVALID_META");
  }
  assert.deepEqual(srv.server.rooms(), [], "a refused join joins nothing");
  // 4094 characters plus the JSON string's two quotes are exactly 4096 bytes.
  assert.deepEqual((await call(ws, "meta", { chars: 4094 })).json, ["r"]);
});

Deno.test("a yield with a room but not BROADCAST answers INVALID_YIELD; $ events are not plugs", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await TestSocket.open(srv.url);
  const misrouted = await call(ws, "misroute", null);
  assert.equal((misrouted.json as { code: string }).code, "INVALID_YIELD");
  const reserved = await call(ws, "$presence", null);
  assert.equal(reserved.type, 5);
  assert.equal((reserved.json as { code: string }).code, "NOT_FOUND");
});
