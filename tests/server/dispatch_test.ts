import assert from "node:assert/strict";
import { encodeFrame } from "../../src/protocol/frame.ts";
import { startServer, TestSocket } from "../_harness.ts";

const ECHO = "export async function* echo(m) { yield { payload: m.payload }; }";

Deno.test("dispatch answers an echo plug over a real WebSocket", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": ECHO } });
  await using ws = await TestSocket.open(srv.url);
  ws.send("echo", { hello: "world" });
  const frame = await ws.next();
  assert.equal(frame.event, "echo");
  assert.equal(frame.type, 0);
  assert.equal(frame.requestId, undefined);
  assert.deepEqual(frame.json, { hello: "world" });
});

Deno.test("dispatch gives the plug message fields and a client handle", async () => {
  await using srv = await startServer({
    plugs: {
      "who.ts": `export async function* who(m, c) {
        c.data.n = (c.data.n ?? 0) + 1;
        yield { payload: { event: m.event, type: m.eventType, raw: m.raw.length, id: c.id,
          n: c.data.n, count: c.server.connectionCount } };
      }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  ws.send("who", { x: 1 });
  const first = (await ws.next()).json as Record<string, unknown>;
  ws.send("who", { x: 1 });
  const second = (await ws.next()).json as Record<string, unknown>;
  assert.equal(first.event, "who");
  assert.equal(first.type, 0);
  assert.equal(first.raw, 6 + 3 + 7);
  assert.equal(first.count, 1);
  assert.equal(first.id, srv.server.connections[0].id);
  assert.equal(second.id, first.id);
  assert.deepEqual([first.n, second.n], [1, 2]);
});

Deno.test("a correlated call gets every yield with its id, then one end frame", async () => {
  await using srv = await startServer({
    plugs: {
      "count.ts": `export async function* count(m) {
        for (let i = 0; i < m.payload.n; i++) yield { payload: i };
      }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  const frames = await ws.call("count", { n: 4 }, 99);
  assert.deepEqual(frames.map((f) => f.json), [0, 1, 2, 3, null]);
  assert.ok(frames.every((f) => f.requestId === 99));
  assert.deepEqual(frames.map((f) => f.end), [false, false, false, false, true]);
});

Deno.test("many calls in flight each end with their own replies", async () => {
  await using srv = await startServer({
    plugs: {
      "slow.ts": `export async function* slow(m) {
        await new Promise((r) => setTimeout(r, m.payload.wait));
        yield { payload: m.payload.id };
        yield { payload: m.payload.id * 10 };
      }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  for (const id of ids) ws.send("slow", { id, wait: (20 - id) * 2 }, id);
  const byId = new Map<number, unknown[]>();
  let ended = 0;
  while (ended < ids.length) {
    const frame = await ws.next();
    if (frame.end) ended++;
    else byId.set(frame.requestId!, [...(byId.get(frame.requestId!) ?? []), frame.json]);
  }
  for (const id of ids) assert.deepEqual(byId.get(id), [id, id * 10]);
});

Deno.test("plain frames behave as in the original: no id, no end frame", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": ECHO } });
  await using ws = await TestSocket.open(srv.url);
  ws.send("echo", 1);
  ws.send("echo", 2);
  const a = await ws.next();
  const b = await ws.next();
  assert.deepEqual([a.json, b.json], [1, 2]);
  assert.ok(!a.end && !b.end && a.requestId === undefined);
});

Deno.test("a yield may name another event and type", async () => {
  await using srv = await startServer({
    plugs: {
      "e.ts": `export async function* e() { yield { event: "other", type: 6, payload: 1 }; }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  ws.send("e", null);
  const frame = await ws.next();
  assert.equal(frame.event, "other");
  assert.equal(frame.type, 6);
});

Deno.test("BROADCAST reaches every other connection, sender excluded", async () => {
  await using srv = await startServer({
    plugs: {
      "shout.ts": `export async function* shout(m) {
        yield { type: 1, payload: m.payload };
        yield { payload: "done" };
      }`,
    },
  });
  await using a = await TestSocket.open(srv.url);
  await using b = await TestSocket.open(srv.url);
  await using c = await TestSocket.open(srv.url);
  a.send("shout", "hi");
  const [fb, fc] = await Promise.all([b.next(), c.next()]);
  assert.deepEqual([fb.type, fb.event, fb.json], [1, "shout", "hi"]);
  assert.deepEqual([fc.type, fc.json], [1, "hi"]);
  const own = await a.next();
  assert.deepEqual([own.type, own.json], [0, "done"], "the sender gets only its own reply");
});

Deno.test("BROADCAST includes the sender when excludeSenderOnBroadcast is false", async () => {
  await using srv = await startServer({
    config: { excludeSenderOnBroadcast: false },
    plugs: {
      "shout.ts": `export async function* shout(m) { yield { type: 1, payload: m.payload }; }`,
    },
  });
  await using a = await TestSocket.open(srv.url);
  a.send("shout", "me too");
  const frame = await a.next();
  assert.deepEqual([frame.type, frame.json], [1, "me too"]);
});

Deno.test("a throwing plug sends ERROR with a code, is logged with its stack, and service goes on", async () => {
  await using srv = await startServer({
    plugs: {
      "boom.ts":
        `export async function* boom() { yield { payload: 1 }; throw new Error("kaput"); }`,
      "echo.ts": ECHO,
    },
  });
  await using a = await TestSocket.open(srv.url);
  await using b = await TestSocket.open(srv.url);
  const frames = await a.call("boom", null, 5);
  assert.deepEqual(frames.map((f) => f.type), [0, 4]);
  assert.deepEqual(frames[1].json, { code: "PLUG_ERROR", message: "kaput" });
  assert.equal(frames[1].end, true);
  const logged = await srv.waitForLog(/Plug "boom" failed/);
  assert.match(logged, /kaput\n\s+at .*boom\.ts/);
  a.send("echo", "still here");
  b.send("echo", "me too");
  assert.equal((await a.next()).json, "still here");
  assert.equal((await b.next()).json, "me too");
});

Deno.test("a PlugError keeps its own code in the ERROR frame", async () => {
  await using srv = await startServer({
    plugs: {
      "deny.ts": `import { PlugError } from "ssocket";
        export async function* deny() { throw new PlugError("NOT_ALLOWED", "No"); }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  ws.send("deny", null);
  const frame = await ws.next();
  assert.equal(frame.type, 4);
  assert.deepEqual(frame.json, { code: "NOT_ALLOWED", message: "No" });
});

Deno.test("a yield that is not an object ends the call with INVALID_YIELD", async () => {
  await using srv = await startServer({
    plugs: { "bad.ts": `export async function* bad() { yield 42; yield { payload: "never" }; }` },
  });
  await using ws = await TestSocket.open(srv.url);
  const frames = await ws.call("bad", null, 1);
  assert.equal(frames.length, 1);
  assert.equal((frames[0].json as { code: string }).code, "INVALID_YIELD");
});

Deno.test("every exported generator runs, in order; other exports are skipped with a warning", async () => {
  await using srv = await startServer({
    plugs: {
      "two.ts": `export const note = "not a plug";
        export async function* first() { yield { payload: "a" }; }
        export async function* second() { yield { payload: "b" }; }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  const frames = await ws.call("two", null, 3);
  assert.deepEqual(frames.map((f) => f.json), ["a", "b", null]);
  await srv.waitForLog(/export "note" is not an async generator function/);
});

Deno.test("disconnecting ends running generators so their finally blocks run", async () => {
  await using srv = await startServer({
    plugs: {
      "forever.ts": `export async function* forever(_m, client) {
        try {
          for (let i = 0; ; i++) {
            yield { payload: i };
            await new Promise((r) => setTimeout(r, 5));
          }
        } finally {
          client.server.log.info("forever finally ran, open=" + client.isOpen);
        }
      }`,
    },
  });
  const ws = await TestSocket.open(srv.url);
  ws.send("forever", null);
  await ws.next();
  await ws.close();
  const line = await srv.waitForLog(/forever finally ran/);
  assert.match(line, /open=false/);
  assert.equal(srv.server.connectionCount, 0);
});

Deno.test("NOT_FOUND answers unknown and hostile event names", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": ECHO } });
  await using ws = await TestSocket.open(srv.url);
  for (const name of ["nope", "../echo", "/echo", "echo\\x", "a\u0000b", "echo\u0007", "./echo"]) {
    const frames = await ws.call(name, null, 8);
    assert.equal(frames.length, 1);
    assert.equal(frames[0].type, 5, name);
    assert.equal(frames[0].end, true);
    assert.equal((frames[0].json as { code: string }).code, "NOT_FOUND");
  }
});

Deno.test("a REQUEST|END frame from the client cancels its call at the next yield", async () => {
  await using srv = await startServer({
    plugs: {
      "ticks.ts": `export async function* ticks(_m, client) {
        try {
          for (let i = 0; ; i++) {
            yield { payload: i };
            await new Promise((r) => setTimeout(r, 5));
          }
        } finally {
          client.server.log.info("ticks finally ran");
        }
      }`,
      "echo.ts": ECHO,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  ws.send("ticks", null, 9);
  assert.equal((await ws.next()).json, 0);
  ws.sendRaw(encodeFrame({ type: 0, event: "ticks", requestId: 9, end: true }));
  await srv.waitForLog(/ticks finally ran/);
  // The cancel is answered with an empty END at once (ticks already in flight come first).
  let frame = await ws.next();
  while (frame.requestId === 9 && !frame.end) frame = await ws.next();
  assert.deepEqual([frame.requestId, frame.end, frame.payload.length], [9, true, 0]);
  // Cancelling an id that is not running is harmless, and answered the same way.
  ws.sendRaw(encodeFrame({ type: 0, event: "ticks", requestId: 12345, end: true }));
  frame = await ws.next();
  assert.deepEqual([frame.requestId, frame.end, frame.payload.length], [12345, true, 0]);
  ws.send("echo", "after");
  assert.equal((await ws.next()).json, "after");
  assert.equal(srv.server.connectionCount, 1);
});

Deno.test("with plugTimeout, a plug that hangs gets its caller ERROR PLUG_TIMEOUT", async () => {
  await using srv = await startServer({
    config: { plugTimeout: 100 },
    plugs: {
      "hang.ts": `export async function* hang() {
        yield { payload: "started" };
        await new Promise(() => {}); // never settles
      }`,
      "steady.ts": `export async function* steady() {
        for (let i = 0; i < 3; i++) {
          await new Promise((r) => setTimeout(r, 30));
          yield { payload: i };
        }
      }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  const hung = await ws.call("hang", null, 1);
  assert.deepEqual(hung.map((f) => [f.type, f.end]), [[0, false], [4, true]]);
  assert.equal((hung[1].json as { code: string }).code, "PLUG_TIMEOUT");
  const steady = await ws.call("steady", null, 2);
  assert.deepEqual(steady.map((f) => f.json), [0, 1, 2, null], "each step is timed, not the call");
});
