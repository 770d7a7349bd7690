import assert from "node:assert/strict";
import { denoSocket } from "../../src/server/transport.ts";

/**
 * The server encodes replies into one reused buffer (FrameEncoder) and relies
 * on WebSocket.send() copying the bytes before it returns. If a Deno release
 * changes that, this test fails before clients see corrupted frames.
 */
Deno.test("Deno's WebSocket.send() copies its data before returning", async () => {
  const { promise: serverSocket, resolve } = Promise.withResolvers<WebSocket>();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onopen = () => resolve(socket);
    return response;
  });
  const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  client.binaryType = "arraybuffer";
  const count = 500;
  const firstBytes: number[] = [];
  const { promise: received, resolve: done } = Promise.withResolvers<void>();
  client.onmessage = (event) => {
    firstBytes.push(new Uint8Array(event.data as ArrayBuffer)[0]);
    if (firstBytes.length === count) done();
  };
  const ws = await serverSocket;
  const scratch = new Uint8Array(64 * 1024);
  for (let i = 0; i < count; i++) {
    scratch.fill(i % 250);
    ws.send(scratch.subarray(0, i % 2 === 0 ? 100 : 60_000));
  }
  scratch.fill(255);
  await received;
  assert.deepEqual(firstBytes, Array.from({ length: count }, (_, i) => i % 250));
  const closed = new Promise((r) => client.onclose = r);
  client.close();
  await closed;
  await server.shutdown();
});

/** A stand-in for a Deno WebSocket: its queue's bytes are set by the test. */
function fakeWebSocket() {
  return { readyState: 1, bufferedAmount: 0, sent: 0, send() {}, close() {} };
}

Deno.test("denoSocket() estimates the messages queued on a Deno WebSocket from their bytes", () => {
  const ws = fakeWebSocket();
  const socket = denoSocket(ws as unknown as WebSocket);
  assert.equal(socket.messageCost, 1024);
  const tiny = new Uint8Array(10);
  for (let i = 0; i < 100; i++) socket.send(tiny);
  // Nothing has left: every message sent is queued.
  ws.bufferedAmount = 1000;
  assert.equal(socket.queuedMessages, 100);
  // Deno writes in order: the 500 bytes left are the newest 50 messages.
  ws.bufferedAmount = 500;
  assert.equal(socket.queuedMessages, 50);
  for (let i = 0; i < 10; i++) socket.send(new Uint8Array(1000));
  // What left came off the older part first: the 50 tiny ones and one byte of a large one.
  ws.bufferedAmount = 9_999;
  assert.equal(socket.queuedMessages, 10);
  for (let i = 0; i < 10; i++) socket.send(tiny);
  ws.bufferedAmount = 10_099;
  assert.equal(socket.queuedMessages, 20);
  // An empty queue restarts the count.
  ws.bufferedAmount = 0;
  assert.equal(socket.queuedMessages, 0);
  socket.send(tiny);
  ws.bufferedAmount = 10;
  assert.equal(socket.queuedMessages, 1);
});
