import assert from "node:assert/strict";
import { applyDelta, readDeltaHeader } from "../../src/protocol/delta.ts";
import { firstConnection, startServer, TestSocket } from "../_harness.ts";

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A SYNC plug yielding `steps` versions of a large object, each differing in a few places. */
const BIG_SYNC = `export async function* big(m) {
  const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: "row " + i, score: 0 }));
  for (let step = 0; step < m.payload.steps; step++) {
    rows[(step * 37) % rows.length].score += step + 1;
    if (step % 5 === 0) rows.unshift({ id: -step, name: "new " + step, score: step });
    yield { type: 3, payload: { step, rows } };
  }
}`;

/** The same objects the plug yields, rebuilt here to compare against. */
function expectedStates(steps: number): string[] {
  const rows = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: "row " + i, score: 0 }));
  const states: string[] = [];
  for (let step = 0; step < steps; step++) {
    rows[(step * 37) % rows.length].score += step + 1;
    if (step % 5 === 0) rows.unshift({ id: -step, name: "new " + step, score: step });
    states.push(JSON.stringify({ step, rows }));
  }
  return states;
}

Deno.test("SYNC frames are deltas a client rebuilds into every yielded state", async () => {
  await using srv = await startServer({ plugs: { "big.ts": BIG_SYNC } });
  await using ws = await TestSocket.open(srv.url);
  const steps = 12;
  ws.send("big", { steps });
  const expected = expectedStates(steps);
  let state: Uint8Array = new Uint8Array();
  for (let step = 0; step < steps; step++) {
    const frame = await ws.next();
    assert.equal(frame.type, 3);
    assert.equal(frame.event, "big");
    const header = readDeltaHeader(frame.payload);
    assert.equal(header.baseLength, state.length, "each delta is against the previous state");
    state = applyDelta(state, frame.payload);
    assert.equal(fromUtf8.decode(state), expected[step], `step ${step}`);
    if (step > 0) {
      assert.ok(
        frame.payload.length < expected[step].length / 20,
        `step ${step}: delta of ${frame.payload.length} B for a ${expected[step].length} B state`,
      );
    }
  }
});

Deno.test("correlated SYNC calls are separate streams, forgotten when the call ends", async () => {
  await using srv = await startServer({
    plugs: {
      "count.ts": `export async function* count(m) {
        for (let i = 1; i <= 3; i++) yield { type: 3, payload: { who: m.payload, i } };
      }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  ws.send("count", "a", 1);
  ws.send("count", "b", 2);
  const states = new Map<number, Uint8Array>([[1, new Uint8Array()], [2, new Uint8Array()]]);
  let ended = 0;
  while (ended < 2) {
    const frame = await ws.next();
    if (frame.end) {
      ended++;
      continue;
    }
    const next = applyDelta(states.get(frame.requestId!)!, frame.payload);
    states.set(frame.requestId!, next);
  }
  assert.deepEqual(JSON.parse(fromUtf8.decode(states.get(1))), { who: "a", i: 3 });
  assert.deepEqual(JSON.parse(fromUtf8.decode(states.get(2))), { who: "b", i: 3 });
  assert.equal(firstConnection(srv).sync.bytes, 0, "ended calls keep no state");
});

Deno.test("past syncStateLimit a SYNC is sent as full state against an empty base", async () => {
  await using srv = await startServer({
    config: { syncStateLimit: 1000 },
    plugs: {
      "grow.ts": `export async function* grow() {
        yield { type: 3, payload: "x".repeat(500) };
        yield { type: 3, payload: "x".repeat(600) };
        yield { type: 3, payload: "x".repeat(2000) };
      }`,
    },
  });
  await using ws = await TestSocket.open(srv.url);
  ws.send("grow", null);
  const frames = [await ws.next(), await ws.next(), await ws.next()];
  const bases = frames.map((f) => readDeltaHeader(f.payload).baseLength);
  assert.deepEqual(bases, [0, 502, 0]);
  let state: Uint8Array = new Uint8Array();
  for (const frame of frames) {
    const base = readDeltaHeader(frame.payload).baseLength === 0 ? new Uint8Array() : state;
    state = applyDelta(base, frame.payload);
  }
  assert.deepEqual(state, utf8.encode(JSON.stringify("x".repeat(2000))));
  assert.ok(firstConnection(srv).sync.bytes <= 1000);
});

Deno.test("a connection's SYNC state is dropped when it closes", async () => {
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  await using srv = await startServer({
    plugs: { "s.ts": `export async function* s() { yield { type: 3, payload: [1, 2, 3] }; }` },
    init: (server) => void server.onDisconnect(() => resolve()),
  });
  const ws = await TestSocket.open(srv.url);
  ws.send("s", null);
  await ws.next();
  const connection = firstConnection(srv);
  assert.equal(connection.sync.bytes, 7);
  await ws.close();
  await closed;
  assert.equal(connection.sync.bytes, 0);
});
