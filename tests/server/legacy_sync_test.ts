import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { applyDelta, readDeltaHeader } from "../../src/protocol/delta.ts";
import { SUBPROTOCOL_V1 } from "../../src/protocol/subprotocol.ts";
import { connect } from "../../src/client/mod.ts";
import { firstConnection, startServer, TestSocket } from "../_harness.ts";
import { LegacyMessage, LegacySocket } from "../_legacy_client.ts";
import { catalogueSteps } from "../client/_big_objects.ts";

const BIG_OBJECTS = new URL("../client/_big_objects.ts", import.meta.url).href;
/** The plug imports modules outside the plugs folder, which a plug Worker may not read unasked. */
const READ_BIG_OBJECTS = {
  isolation: {
    allowRead: [BIG_OBJECTS, new URL("../_random.ts", import.meta.url).href]
      .map((url) => fileURLToPath(url)).join(","),
  },
};

/** Yields `count` states of a large catalogue as SYNC. */
const CATALOGUE = `import { catalogueSteps } from "${BIG_OBJECTS}";
export async function* catalogue(m) {
  for (const step of catalogueSteps(m.payload.seed, m.payload.count)) yield { type: 3, payload: step };
}`;

Deno.test("transport picks ssocket.v1 when offered and none for a legacy client", async () => {
  await using srv = await startServer();
  await using modern = await TestSocket.open(srv.url, ["chat", SUBPROTOCOL_V1]);
  await using legacy = await LegacySocket.open(srv.url);
  assert.equal(modern.ws.protocol, SUBPROTOCOL_V1);
  assert.equal(legacy.ws.protocol, "");
  const kinds = [...srv.runtime.hub.connections.values()].map((c) => c.legacy);
  assert.deepEqual(kinds, [false, true]);
});

Deno.test("the ssocket client offers ssocket.v1 next to its own protocols", async () => {
  await using srv = await startServer();
  await using client = await connect(srv.url, { protocols: "chat", reconnect: false });
  assert.equal(firstConnection(srv).legacy, false);
  assert.equal(client.state, "open");
});

Deno.test("a legacy client rebuilds 50 large states from SYNC instruction arrays while an ssocket client gets binary deltas", async () => {
  await using srv = await startServer({
    plugs: { "catalogue.ts": CATALOGUE },
    config: READ_BIG_OBJECTS,
  });
  await using legacy = await LegacySocket.open(srv.url);
  await using modern = await TestSocket.open(srv.url);
  const expected = catalogueSteps(3, 50);
  // The original client syncs a copy of the request it sent.
  const state = legacy.send("catalogue", { seed: 3, count: 50 });
  modern.send("catalogue", { seed: 3, count: 50 });
  let modernState: Uint8Array = new Uint8Array();
  for (const step of expected) {
    const frame = await legacy.next();
    assert.equal(frame.eventType, 3);
    assert.equal(frame.event, "catalogue");
    assert.ok(Array.isArray(frame.payload), "a JSON instruction array");
    state.syncIncoming(frame);
    assert.deepEqual(state.payload, step, `legacy step ${step.step}`);

    const delta = (await modern.next()).payload;
    assert.equal(readDeltaHeader(delta).baseLength, modernState.length);
    modernState = applyDelta(modernState, delta);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(modernState)), step);
  }
});

Deno.test("legacy SYNC: each request starts again from that request, as serverless-sockets did", async () => {
  await using srv = await startServer({
    plugs: { "catalogue.ts": CATALOGUE },
    config: READ_BIG_OBJECTS,
  });
  await using legacy = await LegacySocket.open(srv.url);
  for (const seed of [1, 2]) {
    const state = legacy.send("catalogue", { seed, count: 3 });
    for (const step of catalogueSteps(seed, 3)) {
      state.syncIncoming(await legacy.next());
      assert.deepEqual(state.payload, step, `seed ${seed} step ${step.step}`);
    }
  }
});

Deno.test("legacy SYNC pushed with sendTo starts from empty bytes and survives syncStateLimit", async () => {
  await using srv = await startServer({ config: { syncStateLimit: 200 } });
  await using legacy = await LegacySocket.open(srv.url);
  const { id } = srv.server.connections[0];
  const state = new LegacyMessage(new Uint8Array());
  const payloads = [{ n: 1 }, { n: 2, pad: "x".repeat(300) }, { n: 3 }, { n: 4 }];
  for (const payload of payloads) {
    assert.ok(srv.server.sendTo(id, { event: "pushed", type: 3, payload }));
    state.syncIncoming(await legacy.next());
    assert.deepEqual(state.payload, payload);
    assert.equal(state.event, "pushed");
  }
  assert.ok(firstConnection(srv).sync.bytes <= 200, "past the limit only lengths are kept");
});
