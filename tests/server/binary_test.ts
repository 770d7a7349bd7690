/**
 * Binary payloads both ways: a `Uint8Array` travels as raw bytes in a frame
 * flagged binary, and arrives as a `Uint8Array` with the same bytes.
 */
import assert from "node:assert/strict";
import { startServer, TestSocket } from "../_harness.ts";
import { connect } from "../../src/client/mod.ts";
import { encodePayloadFrame } from "../../src/protocol/payload.ts";
import { bytes, prng } from "../_random.ts";

const PLUGS = {
  "bytes/echo.ts": `export async function* echo(m) {
    yield { payload: { isBytes: m.payload instanceof Uint8Array, length: m.payload.length } };
    yield { payload: m.payload };
  }`,
  "bytes/shout.ts": `export async function* shout(m) {
    yield { type: 1, event: "bytes/news", payload: m.payload };
    yield { payload: "sent" };
  }`,
  "bytes/sync.ts": `export async function* sync() {
    yield { type: 3, payload: new Uint8Array([1]) };
  }`,
  "json.ts": `export async function* json() {
    yield { payload: [1, 2, 3] };
  }`,
};

Deno.test("client.call(event, bytes) reaches the plug as a Uint8Array and comes back the same", async () => {
  await using srv = await startServer({ plugs: PLUGS, config: { payloadLimit: 1_000_000 } });
  await using client = await connect(srv.url);
  const random = prng(12);
  for (const size of [0, 1, 1000, 64 * 1024, 600_000]) {
    const sent = bytes(random, size);
    const [info, echoed] = await client.call("bytes/echo", sent).all();
    assert.deepEqual(info, { isBytes: true, length: size });
    assert.ok(echoed instanceof Uint8Array, `${size} bytes came back as ${typeof echoed}`);
    assert.deepEqual(echoed, sent);
  }
});

Deno.test("a binary BROADCAST reaches other clients' on() as a Uint8Array", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using sender = await connect(srv.url);
  await using listener = await connect(srv.url);
  const heard = Promise.withResolvers<unknown>();
  listener.on("bytes/news", (payload) => heard.resolve(payload));
  await sender.call("bytes/shout", new Uint8Array([9, 8, 7])).all();
  assert.deepEqual(await heard.promise, new Uint8Array([9, 8, 7]));
});

Deno.test("binary frames carry FLAG_BINARY and JSON frames never do", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await TestSocket.open(srv.url);
  // Bytes that happen to be valid JSON must still arrive flagged, never as JSON.
  ws.sendRaw(encodePayloadFrame(0, "bytes/echo", new TextEncoder().encode("[1,2,3]"), 1));
  const frames = await collect(ws, 1);
  assert.deepEqual(frames.map((f) => f.binary), [false, true, false]);
  assert.equal(frames[1].json, null, "the harness leaves binary payloads unparsed");
  assert.deepEqual(frames[1].payload, new TextEncoder().encode("[1,2,3]"));
  const json = await ws.call("json", null, 2);
  assert.deepEqual(json.map((f) => f.binary), [false, false]);
  assert.deepEqual(json[0].json, [1, 2, 3]);
});

Deno.test("a SYNC of bytes answers INVALID_YIELD", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  await assert.rejects(client.call("bytes/sync").first(), /SYNC payload is JSON/);
});

/** The frames of call `id` up to its END. */
async function collect(ws: TestSocket, id: number) {
  const frames = [];
  while (true) {
    const frame = await ws.next();
    assert.equal(frame.requestId, id);
    frames.push(frame);
    if (frame.end) return frames;
  }
}
