import assert from "node:assert/strict";
import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { startServer } from "../_harness.ts";

const CHUNK = 64 * 1024;
const YIELDS = 400;

/**
 * A WebSocket client on a raw TCP connection that reads only when told to:
 * the slow client a browser on a bad network would be.
 */
async function slowClient(url: string) {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode(
    "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  ));
  const send = async (frame: Uint8Array) => {
    // A client frame: FIN + binary, masked with a zero key (allowed, and keeps bytes as they are).
    const header = frame.length < 126
      ? new Uint8Array([0x82, 0x80 | frame.length, 0, 0, 0, 0])
      : new Uint8Array([0x82, 0x80 | 126, frame.length >> 8, frame.length & 0xff, 0, 0, 0, 0]);
    await conn.write(header);
    await conn.write(frame);
  };
  /** Reads and discards until `total` bytes have arrived. */
  const readAtLeast = async (total: number) => {
    const buffer = new Uint8Array(256 * 1024);
    let seen = 0;
    while (seen < total) {
      const n = await conn.read(buffer);
      if (n === null) break;
      seen += n;
    }
    return seen;
  };
  return { send, readAtLeast, close: () => conn.close() };
}

Deno.test("a plug's yield waits while a slow client's queue is over backpressureLimit", async () => {
  const limit = 256 * 1024;
  await using srv = await startServer({
    config: { backpressureLimit: limit },
    plugs: {
      "flood.ts": `export async function* flood(_m, client) {
        let most = 0;
        for (let i = 0; i < ${YIELDS}; i++) {
          most = Math.max(most, client.bufferedAmount);
          if (i === 10) client.server.log.info("flood reached 10");
          yield { payload: "x".repeat(${CHUNK}) };
        }
        client.server.log.info("flood done, most queued " + most);
      }`,
    },
  });
  const client = await slowClient(srv.url);
  try {
    await client.send(encodeJsonFrame(0, "flood", null));
    // Kernel buffers take the first megabytes; then the plug must wait for us.
    await srv.waitForLog(/flood reached 10/);
    await client.readAtLeast(YIELDS * CHUNK);
    const done = await srv.waitForLog(/flood done/);
    const most = Number(done.match(/most queued (\d+)/)![1]);
    assert.ok(most <= limit + CHUNK + 64, `queued up to ${most} bytes with a limit of ${limit}`);
  } finally {
    client.close();
  }
});
