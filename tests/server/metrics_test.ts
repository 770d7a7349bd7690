import assert from "node:assert/strict";
import { SUBPROTOCOL_V1 } from "../../src/protocol/subprotocol.ts";
import { encodeJsonFrame } from "../../src/protocol/frame.ts";
import { startServer, type TestServer, WAIT_MS, withTimeout } from "../_harness.ts";
import { parseExposition, seriesKey } from "../_prometheus.ts";

const PLUGS = {
  "echo.ts": "export async function* echo(m) { yield { payload: m.payload }; }",
  "fail.ts": `import { PlugError } from "ssocket";
export async function* fail() { throw new PlugError("NOPE", "no"); }`,
  "big.ts": `export async function* big() {
  const rows = Array.from({ length: 200 }, (_, i) => ({ i, v: "x".repeat(20) }));
  yield { type: 3, payload: rows };
  rows[7].v = "changed";
  yield { type: 3, payload: rows };
}`,
  "room.ts":
    "export async function* room(m, c) { await c.join('lobby'); yield { payload: 'in' }; }",
};

/** A raw socket that records the type byte and size of every frame it gets. */
async function rawSocket(url: string) {
  // ssocket.v1: SYNC as binary deltas, whose savings the test counts.
  const ws = new WebSocket(url, [SUBPROTOCOL_V1]);
  ws.binaryType = "arraybuffer";
  const received: { type: number; bytes: number; end: boolean }[] = [];
  let sentBytes = 0;
  const waiters: (() => void)[] = [];
  ws.onmessage = (e) => {
    const bytes = new Uint8Array(e.data as ArrayBuffer);
    received.push({ type: bytes[4] & 0x3f, bytes: bytes.length, end: (bytes[4] & 0x40) !== 0 });
    waiters.splice(0).forEach((w) => w());
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const closed = new Promise((resolve) => ws.onclose = resolve);
  return {
    received,
    get sentBytes() {
      return sentBytes;
    },
    send(data: Uint8Array | string) {
      sentBytes += typeof data === "string" ? new TextEncoder().encode(data).length : data.length;
      ws.send(data);
    },
    /** Resolves once `count` frames have arrived. */
    async frames(count: number) {
      while (received.length < count) {
        await withTimeout(
          new Promise<void>((r) => waiters.push(r)),
          WAIT_MS,
          () => `Got ${received.length} of ${count} frames`,
        );
      }
    },
    async close() {
      ws.close();
      await closed;
    },
  };
}

async function scrape(srv: TestServer, headers: HeadersInit = {}) {
  const response = await fetch(srv.url.replace("ws:", "http:") + "metrics", { headers });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(await response.text()).samples;
}

Deno.test("/metrics counts exactly the traffic a client sent and received", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  const ws = await rawSocket(srv.url);
  let expected = 0;
  for (let i = 1; i <= 5; i++) ws.send(encodeJsonFrame(0, "echo", { i }, i)); // reply + END
  expected += 10;
  ws.send(encodeJsonFrame(0, "nowhere", null, 6)); // NOT_FOUND|END
  ws.send(encodeJsonFrame(0, "nowhere/else", null)); // NOT_FOUND
  ws.send(encodeJsonFrame(0, "fail", null, 7)); // ERROR NOPE|END
  ws.send("text"); // ERROR TEXT_NOT_SUPPORTED
  ws.send(encodeJsonFrame(0, "big", null, 8)); // 2 SYNC + END
  ws.send(encodeJsonFrame(0, "room", null, 9)); // $presence BROADCAST, reply, END
  expected += 4 + 3 + 3;
  await ws.frames(expected);

  const m = await scrape(srv);
  const get = (name: string, labels?: Record<string, string>) => m.get(seriesKey(name, labels));
  assert.equal(get("ssocket_connections"), 1);
  assert.equal(get("ssocket_connections_opened_total"), 1);
  assert.equal(get("ssocket_messages_received_total", { event: "echo" }), 5);
  assert.equal(get("ssocket_messages_received_total", { event: "fail" }), 1);
  assert.equal(get("ssocket_messages_received_total", { event: "$unmatched" }), 3);
  assert.equal(get("ssocket_bytes_received_total"), ws.sentBytes);
  assert.equal(get("ssocket_bytes_sent_total"), ws.received.reduce((n, f) => n + f.bytes, 0));
  const byType = (type: number) => ws.received.filter((f) => f.type === type).length;
  const TYPES = ["MESSAGE", "BROADCAST", "AUTH", "SYNC", "ERROR", "NOT_FOUND"];
  TYPES.forEach((type, n) => {
    assert.equal(get("ssocket_messages_sent_total", { type }), byType(n), type);
  });
  assert.equal(byType(3), 2);
  assert.equal(get("ssocket_errors_total", { code: "NOT_FOUND" }), 2);
  assert.equal(get("ssocket_errors_total", { code: "NOPE" }), 1);
  assert.equal(get("ssocket_errors_total", { code: "TEXT_NOT_SUPPORTED" }), 1);
  assert.equal(get("ssocket_plug_duration_seconds_count", { event: "echo" }), 5);
  assert.equal(get("ssocket_plug_duration_seconds_bucket", { event: "echo", le: "+Inf" }), 5);
  assert.ok(get("ssocket_plug_duration_seconds_sum", { event: "echo" })! > 0);
  assert.equal(get("ssocket_plug_reloads_total", { result: "loaded" }), 4);
  assert.equal(get("ssocket_rooms"), 1);
  assert.ok(get("ssocket_sync_bytes_saved_total")! > 0);
  assert.equal(get("ssocket_cluster_publish_errors_total"), 0);
  assert.equal(get("ssocket_calls_running"), 0);
  // Event names a client invents never become labels.
  assert.ok(![...m.keys()].some((key) => key.includes("nowhere")));
  await ws.close();
});

Deno.test("a failed reload shows in /metrics and as the plug's last error in /status.json", async () => {
  await using srv = await startServer({ plugs: { "echo.ts": PLUGS["echo.ts"] } });
  await srv.writePlug("echo.ts", "export async function* echo( {");
  await srv.waitForLog(/Plug "echo" .* failed to load/);
  const m = await scrape(srv);
  assert.equal(m.get(seriesKey("ssocket_plug_reloads_total", { result: "failed" })), 1);
  const status = await (await fetch(srv.url.replace("ws:", "http:") + "status.json")).json();
  const echo = status.plugs.find((p: { event: string }) => p.event === "echo");
  assert.equal(echo.state, "failed");
  assert.equal(echo.serving, true);
  assert.match(echo.lastError, /\S/);
  assert.equal(status.cluster.clustered, false);
});

Deno.test("metrics.token guards /metrics and /status with Bearer (or Basic) auth; health stays open", async () => {
  await using srv = await startServer({ config: { metrics: { token: "s3cret" } } });
  const base = srv.url.replace("ws:", "http:");
  for (const path of ["metrics", "status", "status.json"]) {
    const refused = await fetch(base + path);
    assert.equal(refused.status, 401, path);
    assert.match(refused.headers.get("www-authenticate")!, /Bearer/);
    await refused.body?.cancel();
    const wrong = await fetch(base + path, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401, path);
    await wrong.body?.cancel();
    const ok = await fetch(base + path, { headers: { authorization: "Bearer s3cret" } });
    assert.equal(ok.status, 200, path);
    await ok.body?.cancel();
  }
  const basic = await fetch(base + "status", {
    headers: { authorization: `Basic ${btoa("anyone:s3cret")}` },
  });
  assert.equal(basic.status, 200);
  assert.match(await basic.text(), /<title>ssocket status<\/title>/);
  const health = await fetch(base + "healthz");
  assert.deepEqual([health.status, await health.json()], [200, { status: "ok" }]);
});

Deno.test("metrics.isOn false serves no /metrics and counts nothing", async () => {
  await using srv = await startServer({ config: { metrics: { isOn: false } } });
  assert.equal(srv.runtime.metrics, undefined);
  const response = await fetch(srv.url.replace("ws:", "http:") + "metrics");
  assert.equal((await response.json()).name, "ssocket"); // the plain JSON status
  const ready = await fetch(srv.url.replace("ws:", "http:") + "readyz");
  assert.equal(ready.status, 200);
  await ready.body?.cancel();
});
