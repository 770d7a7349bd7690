/**
 * `limits.*` on a real server, both transports: each refusal with its code,
 * counted. The heavier attacks (floods, huge messages, RSS) run against
 * separate processes in attacks_test.ts.
 */
import assert from "node:assert/strict";
import type { TransportName } from "../../config.ts";
import { RateLimiter } from "../../src/server/limits.ts";
import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { frame, Wire } from "../../bench/attack/wire.ts";
import { firstConnection, startServer, TestSocket, WAIT_MS, withTimeout } from "../_harness.ts";

const ECHO = "export async function* echo(m) { yield { payload: m.payload }; }";
const TRANSPORTS: TransportName[] = ["ws", "deno"];

Deno.test("RateLimiter allows a burst, refuses above the rate, and closes on sustained abuse", () => {
  let now = 0;
  const rate = new RateLimiter(10, 3, () => now);
  assert.deepEqual([rate.take(), rate.take(), rate.take()], ["ok", "ok", "ok"]);
  assert.equal(rate.take(), "refuse");
  now += 100; // one token back
  assert.equal(rate.take(), "ok");
  // Strikes drain at the rate too: three more refusals are tolerated, the fourth is abuse.
  assert.deepEqual([rate.take(), rate.take(), rate.take()], ["refuse", "refuse", "refuse"]);
  assert.equal(rate.take(), "close");
});

for (const transport of TRANSPORTS) {
  Deno.test(`messagesPerSecond answers RATE_LIMITED, then closes a flooder with 1008 (${transport})`, async () => {
    await using srv = await startServer({
      config: { transport, limits: { messagesPerSecond: 1, burst: 3 } },
      plugs: { "echo.ts": ECHO },
    });
    await using ws = await TestSocket.open(srv.url);
    for (let i = 0; i < 3; i++) ws.send("echo", i);
    for (let i = 0; i < 3; i++) assert.equal((await ws.next()).json, i);
    ws.send("echo", "over", 9);
    const refused = await ws.next();
    assert.deepEqual([refused.type, refused.requestId, refused.end], [4, 9, true]);
    assert.equal((refused.json as { code: string }).code, "RATE_LIMITED");
    for (let i = 0; i < 10; i++) ws.send("echo", i);
    const closed = await ws.closed;
    // Deno's server socket loses the close frame to the frames still arriving
    // (the client reports code 0); ws delivers it.
    if (transport === "ws") assert.equal(closed.code, 1008);
    assert.ok(srv.runtime.counters.rateLimited >= 3, `${srv.runtime.counters.rateLimited}`);
    assert.equal(srv.runtime.counters.floodCloses, 1);
  });

  Deno.test(`maxCallsPerConnection answers TOO_MANY_CALLS past the limit (${transport})`, async () => {
    await using srv = await startServer({
      config: { transport, limits: { maxCallsPerConnection: 2 } },
      plugs: {
        // Calls wait until another connection opens the gate, so they are all running at once.
        // One plug file holds the gate: in worker mode each plug runs in its own Worker.
        "wait.ts": `let open; const gate = new Promise((r) => open = r);
          export async function* wait(m) {
            if (m.payload === "open") { open(); yield { payload: "open" }; return; }
            await gate;
            yield { payload: m.payload };
          }`,
      },
    });
    await using ws = await TestSocket.open(srv.url);
    await using other = await TestSocket.open(srv.url);
    ws.send("wait", 1, 1);
    ws.send("wait", 2, 2);
    ws.send("wait", 3, 3);
    const refused = await ws.next();
    assert.deepEqual([refused.requestId, refused.end], [3, true]);
    assert.equal((refused.json as { code: string }).code, "TOO_MANY_CALLS");
    assert.equal(srv.runtime.counters.tooManyCalls, 1);
    other.send("wait", "open");
    assert.equal((await other.next()).json, "open");
    const answered = [await ws.next(), await ws.next(), await ws.next(), await ws.next()];
    assert.deepEqual(answered.filter((f) => !f.end).map((f) => f.json).sort(), [1, 2]);
  });

  Deno.test(`maxConnectionsPerIp answers 429 before the upgrade and frees a closed place (${transport})`, async () => {
    await using srv = await startServer({
      config: { transport, limits: { maxConnectionsPerIp: 3 } },
    });
    const wires = await Promise.all(Array.from({ length: 4 }, () => Wire.open(srv.url)));
    try {
      assert.deepEqual(wires.map((w) => w.status).sort(), [101, 101, 101, 429]);
      assert.equal(srv.runtime.counters.refusedPerIp, 1);
      wires.find((w) => w.status === 101)!.close();
      await withTimeout(waitFor(() => srv.runtime.gate.open === 2), 5000, () => "not released");
      const again = await Wire.open(srv.url);
      wires.push(again);
      assert.equal(again.status, 101);
    } finally {
      for (const wire of wires) wire.close();
    }
  });

  Deno.test(`maxConnections answers 503 before the upgrade (${transport})`, async () => {
    await using srv = await startServer({
      config: { transport, limits: { maxConnections: 2, maxConnectionsPerIp: 0 } },
    });
    const wires = [];
    for (let i = 0; i < 3; i++) wires.push(await Wire.open(srv.url));
    for (const wire of wires) wire.close();
    assert.deepEqual(wires.map((w) => w.status), [101, 101, 503]);
    assert.equal(srv.runtime.counters.refusedTotal, 1);
  });
}

Deno.test("headerTimeout drops HTTP connections that never finish their headers (ws)", async () => {
  await using srv = await startServer({
    config: { transport: "ws", limits: { headerTimeout: 200 } },
  });
  const started = performance.now();
  const wires = await Promise.all(Array.from({ length: 20 }, () => Wire.open(srv.url, false)));
  const half = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n");
  await Promise.all(wires.map((wire) => wire.write(half)));
  await withTimeout(
    Promise.all(wires.map((wire) => wire.readToEnd())),
    5000,
    () => "half-open connections were not dropped",
  );
  for (const wire of wires) wire.close();
  assert.ok(performance.now() - started >= 200);
  assert.equal(srv.runtime.counters.headerTimeouts, 20);
  // A real client still connects.
  await using ws = await TestSocket.open(srv.url);
  assert.equal(ws.ws.readyState, WebSocket.OPEN);
});

/**
 * Heap one reply queued on a ws socket holds besides its bytes (ws's frame
 * header, Buffers, the stream's write request), measured on Deno 2.9.6: see
 * `WS_MESSAGE_COST` in src/server/transport_ws.ts.
 */
const HEAP_PER_QUEUED_REPLY = 437;

/**
 * Counts the WebSocket frames the server sends on `wire` (unmasked) as they
 * arrive; `until(n)` resolves once `n` have, and reading stops there.
 */
function countFrames(wire: Wire) {
  const target = { count: Infinity, reached: Promise.withResolvers<void>() };
  let seen = 0;
  let bytes = 0;
  const reading = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    let pending = new Uint8Array(0);
    while (seen < target.count) {
      const n = await wire.conn.read(buffer);
      if (n === null) throw new Error(`The connection ended after ${seen} frames`);
      bytes += n;
      const joined = new Uint8Array(pending.length + n);
      joined.set(pending);
      joined.set(buffer.subarray(0, n), pending.length);
      let at = 0;
      while (joined.length - at >= 2) {
        const short = joined[at + 1] & 0x7f;
        const head = short === 126 ? 4 : short === 127 ? 10 : 2;
        if (joined.length - at < head) break;
        const length = short === 126
          ? (joined[at + 2] << 8) | joined[at + 3]
          : short === 127
          ? Number(new DataView(joined.buffer, at + 2, 8).getBigUint64(0))
          : short;
        if (joined.length - at < head + length) break;
        at += head + length;
        seen++;
      }
      pending = joined.slice(at);
    }
    target.reached.resolve();
  })();
  reading.catch((err) => target.reached.reject(err));
  return {
    get bytes() {
      return bytes;
    },
    until(count: number): Promise<void> {
      target.count = count;
      if (seen >= count) target.reached.resolve();
      return withTimeout(target.reached.promise, WAIT_MS, () => `${seen} of ${count} frames came`);
    },
  };
}

Deno.test("maxBufferedBytes counts what queued replies hold, not only their bytes: a flood of tiny calls is paused early (ws)", async () => {
  const maxBufferedBytes = 1_048_576;
  await using srv = await startServer({
    config: { transport: "ws", limits: { messagesPerSecond: 0, maxBufferedBytes } },
    plugs: { "echo.ts": ECHO },
  });
  const wire = await Wire.open(srv.url);
  const request = frame(encodeJsonFrame(0, "echo", "x".repeat(100)));
  // One call answered first: the size of a reply on the wire.
  const probe = countFrames(wire);
  await wire.write(request);
  await probe.until(1);
  const replyBytes = probe.bytes;

  const batch = new Uint8Array(request.length * 100);
  for (let i = 0; i < 100; i++) batch.set(request, i * request.length);
  const paused = srv.waitForLog(/is behind/);
  let flooding = true;
  let sent = 0;
  const writer = (async () => {
    while (flooding && await wire.write(batch)) sent += 100;
  })();
  await paused;
  // Reading stopped; what ws holds for the client, counted as the memory it takes.
  const queued = firstConnection(srv).bufferedAmount / replyBytes;
  const held = queued * (replyBytes + HEAP_PER_QUEUED_REPLY);
  assert.ok(
    held <= maxBufferedBytes,
    `${queued.toFixed(0)} replies of ${replyBytes} bytes were queued when reading paused: ` +
      `~${(held / 1024).toFixed(0)} KiB of heap`,
  );

  // Once the client reads, the server catches up and answers every call.
  flooding = false;
  const replies = countFrames(wire);
  await writer;
  await replies.until(sent);
  wire.close();
  assert.equal(srv.runtime.counters.slowReaderCloses, 0);
  assert.ok(srv.runtime.counters.readPauses >= 1);
});

Deno.test("server.sendTo() is false for an id that closed here and for an unknown one", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": ECHO } });
  const ws = await TestSocket.open(srv.url);
  const [id] = srv.runtime.hub.connections.keys();
  assert.equal(srv.server.sendTo(id, { event: "hi", payload: 1 }), true);
  assert.equal((await ws.next()).json, 1);
  await ws.close();
  await withTimeout(waitFor(() => srv.server.connectionCount === 0), 5000, () => "still open");
  assert.equal(srv.server.sendTo(id, { event: "hi", payload: 2 }), false);
  assert.equal(srv.server.sendTo(crypto.randomUUID(), { event: "hi", payload: 3 }), false);
});

/** Resolves once `check()` holds, polling (the server has no event for these). */
async function waitFor(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}
