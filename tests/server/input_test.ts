/**
 * The client streams into a running plug: `call.write()` / `call.end()` in
 * the client, `message.input` in the plug, bounded by `inputBufferLimit`.
 */
import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";
import { CallError, connect, SsocketClient } from "../../src/client/mod.ts";
import { EventType } from "../../src/protocol/event_type.ts";
import { encodeJsonFrame } from "../../src/protocol/frame.ts";

const PLUGS = {
  "sum.ts": `export async function* sum(m) {
    let total = m.payload.start;
    for await (const n of m.input) yield { payload: (total += n) };
    yield { payload: "end of input" };
  }`,
  "stall.ts": `export async function* stall(m, client) {
    try {
      yield { payload: "ready" };
      await client.call("release").first(); // never reads m.input
      yield { payload: "late" };
    } finally {
      client.server.log.info("stall ended");
    }
  }`,
  "reader.ts": `export async function* reader(m, client) {
    try {
      yield { payload: "ready" };
      for await (const _ of m.input) { /* waits for input that never comes */ }
    } finally {
      client.server.log.info("reader ended");
    }
  }`,
};

Deno.test("call.write() streams into message.input until call.end()", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const call = client.call("sum", { start: 10 });
  call.write(1);
  call.write(2);
  call.write(3);
  call.end();
  assert.deepEqual(await call.all(), [11, 13, 16, "end of input"]);
  assert.throws(() => call.write(4), TypeError, "no write after end()");
});

Deno.test("input written before the socket opens follows its call", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = new SsocketClient(srv.url);
  const call = client.call("sum", { start: 0 }); // not open yet: queued
  call.write(5);
  call.end();
  assert.deepEqual(await call.all(), [5, "end of input"]);
});

Deno.test("a plug that reads no input ends with INPUT_OVERFLOW, not unbounded memory", async () => {
  await using srv = await startServer({ plugs: PLUGS, config: { inputBufferLimit: 1000 } });
  await using client = await connect(srv.url);
  const release = Promise.withResolvers<boolean>();
  client.handle("release", () => release.promise);
  const call = client.call("stall");
  const replies = call[Symbol.asyncIterator]();
  assert.deepEqual(await replies.next(), { value: "ready", done: false });
  const chunk = "x".repeat(300);
  for (let i = 0; i < 4; i++) call.write(chunk); // 4 × 302 bytes of JSON: the 4th overflows
  await assert.rejects(replies.next(), (err: CallError) => {
    assert.ok(err instanceof CallError);
    assert.equal(err.code, "INPUT_OVERFLOW");
    return true;
  });
  release.resolve(true);
  await srv.waitForLog(/stall ended/);
});

Deno.test("cancelling a call ends a plug that waits for input", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  assert.equal(await client.call("reader").first(), "ready"); // first() cancels the call
  await srv.waitForLog(/reader ended/);
});

Deno.test("closing the connection ends a plug that waits for input", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  const client = await connect(srv.url, { reconnect: false });
  const call = client.call("reader");
  assert.deepEqual(await call[Symbol.asyncIterator]().next(), { value: "ready", done: false });
  await client.close();
  await srv.waitForLog(/reader ended/);
});

Deno.test("INPUT frames for a call that is not running are dropped", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await TestSocket.open(srv.url);
  ws.sendRaw(encodeJsonFrame(EventType.INPUT, "sum", 1, 99));
  ws.sendRaw(encodeJsonFrame(EventType.INPUT, "sum", 2, 99, true));
  // The next frames answer call 1 only: the input above started nothing and sent nothing.
  ws.send("sum", { start: 1 }, 1);
  ws.sendRaw(encodeJsonFrame(EventType.INPUT, "sum", 1, 1, true));
  const frames = [await ws.next(), await ws.next(), await ws.next()];
  assert.deepEqual(frames.map((f) => [f.requestId, f.json, f.end]), [
    [1, 2, false],
    [1, "end of input", false],
    [1, null, true],
  ]);
});
