import assert from "node:assert/strict";
import { SsocketClient } from "../../src/client/mod.ts";
import { EventType } from "../../src/protocol/event_type.ts";
import { startServer } from "../_harness.ts";
import { TcpProxy } from "../_proxy.ts";
import { AWAY, doc, nextEvent, RECOVERY_PLUGS, settleIn, until } from "./_scenario.ts";

Deno.test("SsocketClient cut off for 3 s gets back its id, rooms, data, all 500 broadcasts in order once, and SYNC by one delta", async () => {
  await using srv = await startServer({ plugs: RECOVERY_PLUGS });
  await using proxy = TcpProxy.start(srv.url);
  const client = new SsocketClient(proxy.url, { reconnect: AWAY });
  try {
    const { id: beforeId, ticks, docs } = await settleIn(client);
    srv.server.sendTo(beforeId, { type: EventType.SYNC, event: "doc", payload: doc(0) });
    await until((f) => client.on("doc", f), () => docs.length === 1, "the first SYNC");

    // Cut without a close frame; the server does not notice (its socket is silent).
    const dropped = nextEvent(client, "close");
    proxy.cut({ silent: true });
    assert.equal((await dropped).code, 1006);
    const recovered = nextEvent(client, "recovered");
    for (let n = 0; n < 500; n++) {
      srv.server.broadcast({ event: "tick", payload: n }, { room: "r" });
    }
    for (let step = 1; step <= 20; step++) {
      srv.server.sendTo(beforeId, { type: EventType.SYNC, event: "doc", payload: doc(step) });
    }

    const { id, missed } = await recovered;
    assert.equal(id, beforeId);
    // 500 broadcasts and the 20 SYNC updates squeezed into one delta.
    assert.equal(missed, 501);
    await until((f) => client.on("tick", f), () => ticks.length >= 500, "500 ticks");
    assert.deepEqual(ticks, Array.from({ length: 500 }, (_, n) => n));
    assert.deepEqual(docs.map((d) => d.step), [0, 20]);
    assert.deepEqual(docs[1], doc(20));
    const after = await client.call("whoami").first();
    assert.deepEqual(after, { id: beforeId, rooms: ["r"], data: { note: "kept" } });
    assert.equal(srv.server.connectionCount, 1);
  } finally {
    await client.close();
  }
});

Deno.test("SsocketClient's call in flight across a drop resumes when its plug kept running", async () => {
  const gate = Promise.withResolvers<void>();
  (globalThis as { recoveryGate?: Promise<void> }).recoveryGate = gate.promise;
  await using srv = await startServer({
    plugs: {
      "slow.ts": `export async function* slow() {
        yield { payload: 1 };
        await globalThis.recoveryGate;
        yield { payload: 2 };
      }`,
    },
  });
  await using proxy = TcpProxy.start(srv.url);
  const client = new SsocketClient(proxy.url, { reconnect: { initialDelay: 200, jitter: 0 } });
  try {
    await client.ready();
    const replies = client.call("slow", null, { timeout: 0 })[Symbol.asyncIterator]();
    assert.deepEqual(await replies.next(), { value: 1, done: false });
    const recovered = nextEvent(client, "recovered");
    proxy.cut();
    gate.resolve(); // the plug yields its second value while the client is away
    assert.equal((await recovered).missed, 2); // the reply and the END
    assert.deepEqual(await replies.next(), { value: 2, done: false });
    assert.deepEqual(await replies.next(), { value: undefined, done: true });
  } finally {
    delete (globalThis as { recoveryGate?: Promise<void> }).recoveryGate;
    await client.close();
  }
});
