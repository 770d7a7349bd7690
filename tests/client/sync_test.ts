import assert from "node:assert/strict";
import { startServer } from "../_harness.ts";
import { connect, type SsocketError } from "../../src/client/mod.ts";
import { type Catalogue, catalogueSteps } from "./_big_objects.ts";

const STEPS = 50;
const objects = new URL("./_big_objects.ts", import.meta.url).href;
const delta = new URL("../../src/protocol/delta.ts", import.meta.url).href;
const frame = new URL("../../src/protocol/frame.ts", import.meta.url).href;

const PLUGS = {
  // Yields 50 large SYNC objects to the caller (stream = request id, or event if uncorrelated).
  "catalogue.ts": `import { catalogueSteps } from "${objects}";
    export async function* catalogue(m) {
      for (const state of catalogueSteps(m.payload.seed, ${STEPS})) yield { type: 3, payload: state };
    }`,
  // Sends one good SYNC state, then a delta whose checksum is wrong, until it has run
  // m.payload.bad times; then it behaves.
  "flaky.ts": `import { createDelta, readDeltaHeader } from "${delta}";
    import { encodeFrame } from "${frame}";
    const utf8 = new TextEncoder();
    export async function* flaky(m, c) {
      c.data.runs = (c.data.runs ?? 0) + 1;
      yield { type: 3, payload: { step: 1 } };
      if (c.data.runs <= m.payload.bad) {
        const bad = createDelta(utf8.encode('{"step":1}'), utf8.encode('{"step":2}'));
        bad[readDeltaHeader(bad).opsOffset - 1] ^= 0xff;
        // The plug API cannot send a corrupt delta; the test's raw-frame hook can.
        globalThis.sendRawFrame(c.id, encodeFrame({ type: 3, event: m.event, requestId: m.requestId }, bad));
        return;
      }
      yield { type: 3, payload: { step: 2, runs: c.data.runs } };
    }`,
  "runs.ts": "export async function* runs(m, c) { yield { payload: c.data.runs }; }",
};

Deno.test("SsocketClient rebuilds 50 successive large SYNC objects of a call exactly", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const expected = catalogueSteps(7, STEPS);
  let step = 0;
  for await (const state of client.call("catalogue", { seed: 7 })) {
    assert.deepEqual(state, expected[step], `state ${step} differs from what the plug yielded`);
    step++;
  }
  assert.equal(step, STEPS);
});

Deno.test("SsocketClient.on() rebuilds 50 large objects of an event SYNC stream exactly", async () => {
  await using srv = await startServer({ plugs: PLUGS });
  await using client = await connect(srv.url);
  const expected = catalogueSteps(11, STEPS);
  const received: Catalogue[] = [];
  const done = Promise.withResolvers<void>();
  client.on("catalogue", (state, frame) => {
    assert.equal(frame.type, 3);
    received.push(state as Catalogue);
    if (received.length === STEPS) done.resolve();
  });
  client.send("catalogue", { seed: 11 });
  await done.promise;
  for (let i = 0; i < STEPS; i++) assert.deepEqual(received[i], expected[i], `state ${i}`);
  // Each listener gets its own copy: changing it cannot corrupt the next state.
  received[STEPS - 1].items.length = 0;
});

/** A server whose plugs may write raw frames, so "flaky" can send a corrupt delta. */
async function startFlakyServer() {
  const srv = await startServer({ plugs: PLUGS });
  Object.assign(globalThis, {
    sendRawFrame: (id: string, frame: Uint8Array) =>
      srv.runtime.hub.connections.get(id)?.write(frame),
  });
  return srv;
}

Deno.test("SsocketClient re-sends a call whose SYNC delta fails its check", async () => {
  await using srv = await startFlakyServer();
  await using client = await connect(srv.url);
  const states = await client.call("flaky", { bad: 1 }).all();
  // Run 1 gave step 1, then a corrupt delta; the re-sent call (run 2) starts over.
  assert.deepEqual(states, [{ step: 1 }, { step: 1 }, { step: 2, runs: 2 }]);
  assert.equal(await client.call("runs").first(), 2);
});

Deno.test("SsocketClient gives up with SYNC_FAILED after maxResyncs bad deltas", async () => {
  await using srv = await startFlakyServer();
  await using client = await connect(srv.url, { maxResyncs: 2 });
  const states: unknown[] = [];
  const error = await (async () => {
    for await (const state of client.call("flaky", { bad: 99 })) states.push(state);
  })().catch((err) => err as SsocketError);
  assert.equal(error?.code, "SYNC_FAILED");
  assert.equal((error?.cause as SsocketError).code, "DELTA_CHECKSUM_MISMATCH");
  assert.equal(states.length, 3); // one good state per run: the first and two resyncs
  assert.equal(await client.call("runs").first(), 3);
});
