/**
 * `limits.*` on a real server, both transports: each refusal with its code,
 * counted. The heavier attacks (floods, huge messages, RSS) run against
 * separate processes in attacks_test.ts.
 */
import assert from "node:assert/strict";
import type { TransportName } from "../../config.ts";
import { RateLimiter } from "../../src/server/limits.ts";
import { Wire } from "../../bench/attack/wire.ts";
import { startServer, TestSocket, withTimeout } from "../_harness.ts";

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
