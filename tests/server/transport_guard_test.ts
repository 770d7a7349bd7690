import assert from "node:assert/strict";
import { originAllowed } from "../../src/server/admission.ts";
import { startServer, TestSocket, withTimeout } from "../_harness.ts";

Deno.test("originAllowed() matches whole origins from the list; no list allows all", () => {
  assert.ok(originAllowed("", "https://evil.example"));
  assert.ok(originAllowed("https://a.example, http://localhost:8080", "http://localhost:8080"));
  assert.ok(!originAllowed("https://a.example", "https://a.example.evil.example"));
  assert.ok(!originAllowed("https://a.example", "http://a.example"));
  assert.ok(originAllowed("https://a.example", null), "non-browser clients send no Origin");
});

Deno.test("allowedOrigins refuses a WebSocket from another site's page with 403", async () => {
  await using srv = await startServer({ config: { allowedOrigins: "https://app.example" } });
  const http = srv.url.replace("ws:", "http:");
  const handshake = {
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    "sec-websocket-version": "13",
  };
  const refused = await fetch(http, { headers: { ...handshake, origin: "https://evil.example" } });
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  await srv.waitForLog(/Refused a WebSocket from origin https:\/\/evil\.example/);
  // A client without Origin (not a browser) still connects.
  await using ws = await TestSocket.open(srv.url);
  assert.equal(ws.ws.readyState, WebSocket.OPEN);
});

Deno.test("idleTimeout disconnects a client that stops answering pings", async () => {
  const { promise: gone, resolve } = Promise.withResolvers<void>();
  await using srv = await startServer({
    config: { idleTimeout: 1 },
    init: (server) => void server.onDisconnect(() => resolve()),
  });
  const { hostname, port } = new URL(srv.url);
  // A raw TCP client that completes the handshake and then never reads or pongs.
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await conn.write(new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    await withTimeout(gone, 5_000, () => "The silent client was not dropped within 5 s");
    assert.equal(srv.server.connectionCount, 0);
  } finally {
    conn.close();
  }
});
