/**
 * Calls from the server to the client: a plug's `client.call()` answered by
 * the client library's `client.handle()`, over a real socket.
 */
import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";
import { connect } from "../../src/client/mod.ts";
import { EventType } from "../../src/protocol/event_type.ts";
import { SERVER_CALL_BIT } from "../../src/protocol/payload.ts";
import { encodeFrame, encodeJsonFrame } from "../../src/protocol/frame.ts";

const PLUGS = {
  "ask.ts": `export async function* ask(m, client) {
    const yes = await client.call("confirm", { question: m.payload }).first();
    const counted = [];
    for await (const n of client.call("count", 3)) counted.push(n);
    yield { payload: { yes, counted } };
  }`,
  "fails.ts": `import { CallError } from "ssocket";
  export async function* fails(m, client) {
    try {
      await client.call(m.payload, null, { timeout: 2000 }).first();
      yield { payload: "no error" };
    } catch (err) {
      yield { payload: { callError: err instanceof CallError, code: err.code, message: err.message } };
    }
  }`,
  "many.ts": `export async function* many(m, client) {
    const calls = [1, 2, 3, 4, 5].map((n) => client.call("double", n).first());
    yield { payload: await Promise.all(calls) };
  }`,
  "quit.ts": `export async function* quit(m, client) {
    for await (const tick of client.call("ticks")) {
      if (tick === 2) break;
    }
    yield { payload: "stopped reading" };
  }`,
  "silent.ts": `export async function* silent(m, client) {
    try {
      await client.call("confirm", "x", { timeout: 50 }).first();
    } catch (err) {
      yield { payload: err.code };
    }
  }`,
};

Deno.test("client.call() in a plug gets what the client's handle() answers", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  client.handle("confirm", ({ question }: { question: string }) => question === "Delete?");
  client.handle("count", async function* (n: number) {
    for (let i = 1; i <= n; i++) yield i;
  });
  assert.deepEqual(await client.call("ask", "Delete?").first(), { yes: true, counted: [1, 2, 3] });
  assert.deepEqual(await client.call("ask", "Keep?").first(), { yes: false, counted: [1, 2, 3] });
});

Deno.test("client.call() rejects with CallError: NOT_FOUND, a handler's code, HANDLER_ERROR", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  client.handle("refuse", () => {
    throw Object.assign(new Error("Not now"), { code: "BUSY" });
  });
  const nobody = await client.call("fails", "unknown").first();
  assert.deepEqual(nobody, {
    callError: true,
    code: "NOT_FOUND",
    message: 'This client handles no event "unknown"',
  });
  const refused = await client.call("fails", "refuse").first();
  assert.deepEqual(refused, { callError: true, code: "BUSY", message: "Not now" });
});

Deno.test("a throwing handler's error reaches a plug that reads every reply", async () => {
  await using srv = await startServer({
    plugs: {
      "all.ts": `export async function* all(m, client) {
        try {
          yield { payload: await client.call("crash").all() };
        } catch (err) {
          yield { payload: err.code + ": " + err.message };
        }
      }`,
    },
  });
  await using client = await connect(srv.url);
  client.handle("crash", async function* () {
    yield 1;
    throw new Error("Broke");
  });
  assert.equal(await client.call("all").first(), "HANDLER_ERROR: Broke");
});

Deno.test("many server calls are in flight on one connection, each with its own answer", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  client.handle("double", async (n: number) => {
    await new Promise((resolve) => setTimeout(resolve, (6 - n) * 10)); // answer out of order
    return n * 2;
  });
  assert.deepEqual(await client.call("many").first(), [2, 4, 6, 8, 10]);
});

Deno.test("a plug that stops reading cancels the client's handler", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const stopped = Promise.withResolvers<number>();
  client.handle("ticks", async function* (_payload, { signal }) {
    let n = 0;
    try {
      while (!signal.aborted) {
        yield ++n;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      stopped.resolve(n);
    }
  });
  assert.equal(await client.call("quit").first(), "stopped reading");
  const last = await stopped.promise;
  // It stopped (its finally ran) instead of ticking on. The bound leaves room
  // for the cancel's way back through a plug host on a loaded machine, where
  // 10 ticks (50 ms) once was not enough.
  assert.ok(last >= 2 && last < 100, `handler ran on to ${last}`);
});

Deno.test("a client that never answers fails the plug's call with TIMEOUT", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  // A frame-level socket that ignores the server's call, like an older client.
  await using ws = await TestSocket.open(srv.url);
  ws.send("silent", null, 1);
  const call = await ws.next();
  assert.equal(call.event, "confirm");
  assert.ok(call.requestId! >= SERVER_CALL_BIT, "the server picks ids in its own half");
  const cancel = await ws.next();
  assert.deepEqual([cancel.requestId, cancel.end], [call.requestId, true], "the call is cancelled");
  const reply = await ws.next();
  assert.deepEqual([reply.requestId, reply.json], [1, "TIMEOUT"]);
});

Deno.test("server.client(id) calls a connection from outside a plug; a close fails the call", async () => {
  await using srv = await startServer();
  await using client = await connect(srv.url, { reconnect: false });
  client.handle("who", () => "me");
  const [api] = srv.server.connections;
  assert.equal(srv.server.client(api.id), api);
  assert.equal(srv.server.client("nobody"), undefined);
  assert.equal(await api.call("who").first(), "me");
  client.handle("hang", () => new Promise(() => {}));
  const hanging = assert.rejects(api.call("hang").first(), (err: Error & { code?: string }) => {
    assert.equal(err.code, "CONNECTION_LOST");
    return true;
  });
  await client.close();
  await hanging;
});

Deno.test("a plug calls another connection found with server.client(id)", async () => {
  await using srv = await startServer({
    plugs: {
      "relay.ts": `export async function* relay(m, client) {
        const peer = client.server.client(m.payload);
        yield { payload: peer ? await peer.call("who").first() : "no such connection" };
      }`,
    },
  });
  await using asker = await connect(srv.url);
  await using answerer = await connect(srv.url);
  answerer.handle("who", () => "the answerer");
  const [, peer] = srv.server.connections;
  assert.equal(await asker.call("relay", peer.id).first(), "the answerer");
  assert.equal(await asker.call("relay", "nobody").first(), "no such connection");
});

Deno.test("a frame from the client in the server's id half is never taken for a new call", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await TestSocket.open(srv.url);
  // Nothing is waiting for this id: the server drops it instead of running "ask".
  ws.sendRaw(encodeJsonFrame(EventType.MESSAGE, "ask", "Delete?", SERVER_CALL_BIT + 5));
  ws.sendRaw(encodeFrame({ type: EventType.MESSAGE, event: "ask", requestId: 0xffff_ffff }));
  const [end] = await ws.call("quiet-check", null, 7);
  assert.equal(end.type, EventType.NOT_FOUND, "the next frame is the answer to call 7");
});
