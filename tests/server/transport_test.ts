import assert from "node:assert/strict";

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
