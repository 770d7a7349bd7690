import assert from "node:assert/strict";
import { decodeEnvelope, encodeEnvelope } from "../../src/cluster/envelope.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { bytes, int, prng } from "../_random.ts";

Deno.test("decodeEnvelope(encodeEnvelope()) keeps kind, ids and frame", () => {
  const frame = new Uint8Array([0, 0, 0, 6, 1, 0]);
  const direct = decodeEnvelope(encodeEnvelope("node-a", { kind: "direct", to: "conn-1", frame }));
  assert.equal(direct.nodeId, "node-a");
  assert.deepEqual(direct.message, { kind: "direct", to: "conn-1", frame });
  const sync = decodeEnvelope(encodeEnvelope("n", { kind: "sync", to: "conn-2", frame }));
  assert.deepEqual(sync.message, { kind: "sync", to: "conn-2", frame });
  const all = decodeEnvelope(encodeEnvelope("n", { kind: "broadcast", frame }));
  assert.deepEqual(all.message, { kind: "broadcast", exclude: undefined, frame });
  const but = decodeEnvelope(encodeEnvelope("n", { kind: "broadcast", exclude: "me", frame }));
  assert.equal(but.message.exclude, "me");
  const room = "sala é 🎉".repeat(20);
  const inRoom = decodeEnvelope(
    encodeEnvelope("n", { kind: "broadcast", exclude: "me", room, frame }),
  );
  assert.deepEqual(inRoom.message, { kind: "broadcast", exclude: "me", room, frame });
});

Deno.test("decodeEnvelope() rejects every truncation of a room broadcast", () => {
  const envelope = encodeEnvelope("node", {
    kind: "broadcast",
    room: "r",
    frame: new Uint8Array(),
  });
  for (let cut = 0; cut < envelope.length; cut++) {
    assert.throws(() => decodeEnvelope(envelope.subarray(0, cut)), ProtocolError, `cut ${cut}`);
  }
});

Deno.test("decodeEnvelope() rejects truncations and garbage with ProtocolError only", () => {
  const envelope = encodeEnvelope("node", { kind: "direct", to: "abc", frame: new Uint8Array() });
  for (let cut = 0; cut < envelope.length; cut++) {
    assert.throws(() => decodeEnvelope(envelope.subarray(0, cut)), ProtocolError, `cut ${cut}`);
  }
  const random = prng(11);
  for (let i = 0; i < 2000; i++) {
    try {
      decodeEnvelope(bytes(random, int(random, 0, 40)));
    } catch (err) {
      assert.ok(err instanceof ProtocolError);
    }
  }
});
