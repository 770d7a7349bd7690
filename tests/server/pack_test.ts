/**
 * Frame packing end to end (`ssocket.pack.v1`): a real server, real
 * WebSockets, and a client that records every WebSocket message it gets,
 * so the tests see how frames were grouped into messages.
 *
 * @module
 */

import assert from "node:assert/strict";
import { decodeFrame, decodeJsonPayload, encodeJsonFrame } from "../../src/protocol/frame.ts";
import { PACK_LIMIT, packFrames, splitFrames } from "../../src/protocol/pack.ts";
import { SUBPROTOCOL_PACK_V1, SUBPROTOCOL_V1 } from "../../src/protocol/subprotocol.ts";
import { firstConnection, startServer, TEST_ISOLATION, WAIT_MS, withTimeout } from "../_harness.ts";

const PLUGS = {
  "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }",
  "stream.ts":
    "export async function* stream(m) { for (let i = 0; i < m.payload.n; i++) yield { payload: { i, pad: 'x'.repeat(m.payload.pad ?? 0) } }; }",
  "shout.ts":
    "export async function* shout(m) { yield { type: 1, payload: m.payload }; yield { payload: 'ok' }; }",
  "bye.ts":
    "export async function* bye(m, client) { yield { payload: 'last words' }; client.close(4000, 'bye'); }",
};

/** A WebSocket that records each message as the list of frames in it. */
class MessageLog implements AsyncDisposable {
  readonly messages: Uint8Array[][] = [];
  readonly closed: Promise<CloseEvent>;
  #waiter?: () => void;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "arraybuffer";
    ws.onmessage = (event) => {
      this.messages.push(splitFrames(new Uint8Array(event.data as ArrayBuffer)));
      this.#waiter?.();
    };
    this.closed = new Promise((resolve) => ws.addEventListener("close", resolve));
  }

  static async open(url: string, protocols: string[]): Promise<MessageLog> {
    const ws = new WebSocket(url, protocols);
    const log = new MessageLog(ws);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    return log;
  }

  get frames(): Uint8Array[] {
    return this.messages.flat();
  }

  /** Resolves once `n` frames in all have arrived. */
  async frameCount(n: number): Promise<void> {
    while (this.frames.length < n) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#waiter = resolve;
      await withTimeout(promise, WAIT_MS, () => `${this.frames.length} of ${n} frames arrived`);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }
}

const call = (event: string, payload: unknown, id: number) =>
  encodeJsonFrame(0, event, payload, id);
const json = (frame: Uint8Array) => decodeJsonPayload(decodeFrame(frame));

/**
 * In-process, what becomes ready in one turn leaves as one message. In worker
 * mode each yield crosses from the plug host on a turn of its own, so frames
 * are packed with whatever else is ready then: fewer messages than frames is
 * all that holds there (README, "What differs in worker mode").
 */
function assertPackedInto(messages: number, inProcess: number, frames: number): void {
  if (TEST_ISOLATION === "none") assert.equal(messages, inProcess);
  else assert.ok(messages >= 1 && messages <= frames, `${messages} messages for ${frames} frames`);
}

Deno.test("a stream's 20 yields and its END reach an ssocket.pack.v1 client in one message", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  assert.equal(ws.ws.protocol, SUBPROTOCOL_PACK_V1);
  ws.ws.send(call("stream", { n: 20 }, 1));
  await ws.frameCount(21);
  assertPackedInto(ws.messages.length, 1, 21);
  assert.deepEqual(ws.frames.slice(0, 20).map((f) => (json(f) as { i: number }).i), [
    ...Array(20).keys(),
  ]);
  assert.equal(decodeFrame(ws.frames[20]).end, true);
});

Deno.test("ssocket.v1 and legacy clients still get exactly one frame per message", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  for (const protocols of [[SUBPROTOCOL_V1], []]) {
    await using ws = await MessageLog.open(srv.url, protocols);
    ws.ws.send(encodeJsonFrame(0, "stream", { n: 20 }));
    await ws.frameCount(20);
    assert.equal(ws.messages.length, 20, `offering ${protocols}`);
    assert.ok(ws.messages.every((frames) => frames.length === 1));
  }
});

Deno.test("calls packed into one message all run, and their replies come back packed in order", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  ws.ws.send(packFrames(Array.from({ length: 10 }, (_, i) => call("echo", { i }, i + 1))));
  await ws.frameCount(20);
  assertPackedInto(ws.messages.length, 1, 20);
  const replies = ws.frames.map(decodeFrame).filter((f) => !f.end);
  assert.deepEqual(replies.map((f) => f.requestId), [...Array(10).keys()].map((i) => i + 1));
  assert.deepEqual(
    replies.map((f) => decodeJsonPayload(f)),
    [...Array(10).keys()].map((i) => ({ i })),
  );
});

Deno.test("a packed message whose lengths do not add up gets LENGTH_MISMATCH and close 1007, and none of it runs", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  const packed = packFrames([call("echo", { a: 1 }, 1), call("echo", { b: 2 }, 2)]);
  ws.ws.send(packed.subarray(0, packed.length - 3)); // the second frame is cut short
  const closed = await withTimeout(ws.closed, WAIT_MS, () => "not closed");
  assert.equal(closed.code, 1007);
  assert.equal(ws.frames.length, 1);
  const error = decodeFrame(ws.frames[0]);
  assert.equal(error.type, 4);
  assert.equal((decodeJsonPayload(error) as { code: string }).code, "LENGTH_MISMATCH");
});

Deno.test("one bad frame in a packed message gets its own ERROR; the others run", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  const bad = call("echo", { x: 1 }, 2);
  bad[bad.length - 1] = 0x7b; // "{" where "}" was: the JSON breaks, the length holds
  ws.ws.send(packFrames([call("echo", 1, 1), bad, call("echo", 3, 3)]));
  await ws.frameCount(5);
  const frames = ws.frames.map(decodeFrame);
  const error = frames.find((f) => f.requestId === 2)!;
  assert.equal((decodeJsonPayload(error) as { code: string }).code, "INVALID_JSON");
  assert.deepEqual(frames.filter((f) => f.type === 0 && !f.end).map(decodeJsonPayload), [1, 3]);
  assert.equal(ws.ws.readyState, WebSocket.OPEN);
});

Deno.test("payloadLimit counts the whole packed message, not only each frame", async () => {
  await using srv = await startServer({ plugs: PLUGS, config: { payloadLimit: 300 } });
  await using ws = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  const frame = call("echo", "y".repeat(100), 1); // 119 bytes: each frame fits
  ws.ws.send(packFrames([frame, frame, frame]));
  // ws refuses it while receiving; Deno hands it over whole, so the server can say why.
  if (srv.runtime.config.transport === "deno") {
    await ws.frameCount(1);
    assert.equal((json(ws.frames[0]) as { code: string }).code, "PAYLOAD_TOO_LARGE");
  }
  assert.equal((await ws.closed).code, 1009);
  assert.equal(ws.frames.length, srv.runtime.config.transport === "deno" ? 1 : 0);
});

Deno.test("a burst larger than PACK_LIMIT goes out in messages of at most PACK_LIMIT bytes, in order", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  ws.ws.send(call("stream", { n: 100, pad: 2000 }, 1));
  await ws.frameCount(101);
  const sizes = ws.messages.map((frames) => frames.reduce((n, f) => n + f.length, 0));
  assert.ok(ws.messages.length >= 4, `${ws.messages.length} messages`);
  assert.ok(sizes.every((size) => size <= PACK_LIMIT), `sizes ${sizes}`);
  const order = ws.frames.slice(0, 100).map((f) => (json(f) as { i: number }).i);
  assert.deepEqual(order, [...Array(100).keys()]);
});

Deno.test("a BROADCAST reaches packing and one-frame connections alike", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using sender = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  await using packed = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  await using plain = await MessageLog.open(srv.url, [SUBPROTOCOL_V1]);
  sender.ws.send(call("shout", "hi", 1));
  await Promise.all([packed.frameCount(1), plain.frameCount(1), sender.frameCount(2)]);
  for (const ws of [packed, plain]) assert.equal(json(ws.frames[0]), "hi");
  assert.equal(json(sender.frames[0]), "ok");
});

Deno.test("frames written before a plug's client.close() arrive before the close", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  ws.ws.send(call("bye", null, 1));
  const closed = await withTimeout(ws.closed, WAIT_MS, () => "not closed");
  assert.equal(closed.code, 4000);
  assert.equal(json(ws.frames[0]), "last words");
});

Deno.test("Connection.packs and bufferedAmount: a batched frame counts until the turn ends", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using ws = await MessageLog.open(srv.url, [SUBPROTOCOL_PACK_V1]);
  ws.ws.send(call("echo", 0, 1));
  await ws.frameCount(2);
  const connection = firstConnection(srv);
  assert.equal(connection.packs, true);
  const before = connection.bufferedAmount;
  const frame = call("echo", "z".repeat(50), 9);
  assert.ok(connection.write(frame));
  assert.equal(connection.bufferedAmount, before + frame.length);
  await ws.frameCount(3);
  assert.equal(json(ws.frames[2]), "z".repeat(50));
});
