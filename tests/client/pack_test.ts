/**
 * The client library's side of frame packing: it offers `ssocket.pack.v1`
 * by default, packs the frames it sends in one turn, and unpacks what it
 * gets. The ssocket server is real; so is the small Deno server that
 * records the client's messages one by one.
 *
 * @module
 */

import assert from "node:assert/strict";
import { SsocketClient } from "../../src/client/mod.ts";
import { decodeFrame, encodeFrame, encodeJsonFrame } from "../../src/protocol/frame.ts";
import { packFrames, splitFrames } from "../../src/protocol/pack.ts";
import { SUBPROTOCOL_PACK_V1, SUBPROTOCOL_V1 } from "../../src/protocol/subprotocol.ts";
import { firstConnection, startServer } from "../_harness.ts";

Deno.test("SsocketClient negotiates ssocket.pack.v1 with the server and its calls still answer", async () => {
  await using srv = await startServer({
    plugs: {
      "count.ts":
        "export async function* count(m) { for (let i = 0; i < m.payload.n; i++) yield { payload: i }; }",
    },
  });
  await using client = new SsocketClient(srv.url, { reconnect: false });
  await client.ready();
  assert.equal(firstConnection(srv).packs, true);
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, n) => client.call("count", { n }).all()),
  );
  assert.deepEqual(results, Array.from({ length: 20 }, (_, n) => [...Array(n).keys()]));
});

/**
 * A Deno server that answers `ssocket.pack.v1` when offered (else
 * `ssocket.v1`), records every message it gets as its frames, and answers
 * each call with its payload and an END, all the replies to one message
 * packed into one message when packing.
 */
function recordingServer() {
  const messages: Uint8Array[][] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const offered = request.headers.get("sec-websocket-protocol") ?? "";
    const pack = offered.includes(SUBPROTOCOL_PACK_V1);
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol: pack ? SUBPROTOCOL_PACK_V1 : SUBPROTOCOL_V1,
    });
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      const frames = splitFrames(new Uint8Array(event.data));
      messages.push(frames);
      const replies = frames.map(decodeFrame).flatMap(({ event, requestId, payload }) => [
        encodeFrame({ type: 0, event, requestId }, payload),
        encodeFrame({ type: 0, event, requestId, end: true }),
      ]);
      if (pack) socket.send(packFrames(replies));
      else for (const reply of replies) socket.send(reply);
    };
    return response;
  });
  return { server, messages, url: `ws://127.0.0.1:${server.addr.port}/` };
}

Deno.test("SsocketClient packs the calls it makes in one turn into one message and unpacks the replies", async () => {
  const { server, messages, url } = recordingServer();
  try {
    await using client = new SsocketClient(url, { reconnect: false });
    await client.ready();
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => client.call("echo", { i }).all()),
    );
    assert.deepEqual(replies, Array.from({ length: 10 }, (_, i) => [{ i }]));
    assert.equal(messages.length, 1, `${messages.length} messages for 10 calls`);
    assert.equal(messages[0].length, 10);
    // A call made after the first turn goes out in a message of its own.
    assert.deepEqual(await client.call("echo", "later").all(), ["later"]);
    assert.equal(messages.length, 2);
  } finally {
    await server.shutdown();
  }
});

Deno.test("SsocketClient sends one frame per message to a server that answers only ssocket.v1", async () => {
  const messages: Uint8Array[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request, { protocol: SUBPROTOCOL_V1 });
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => {
      const bytes = new Uint8Array(event.data);
      messages.push(bytes);
      const { event: name, requestId } = decodeFrame(bytes); // throws if packed
      socket.send(encodeJsonFrame(0, name, "ok", requestId));
      socket.send(encodeFrame({ type: 0, event: name, requestId, end: true }));
    };
    return response;
  });
  try {
    await using client = new SsocketClient(`ws://127.0.0.1:${server.addr.port}/`, {
      reconnect: false,
    });
    await client.ready();
    await Promise.all(Array.from({ length: 5 }, () => client.call("echo", 1).all()));
    assert.equal(messages.length, 5);
  } finally {
    await server.shutdown();
  }
});
