import assert from "node:assert/strict";
import { decodeFrame, encodeFrame, encodeJsonFrame } from "../../src/protocol/frame.ts";
import { EventType, FLAG_BINARY, TYPE_MASK } from "../../src/protocol/event_type.ts";
import {
  decodePayload,
  encodePayloadFrame,
  isServerCallId,
  SERVER_CALL_BIT,
} from "../../src/protocol/payload.ts";
import { bytes, int, prng } from "../_random.ts";

Deno.test("encodePayloadFrame() sends a Uint8Array as raw bytes flagged binary", () => {
  const data = new Uint8Array([0x7b, 0x22, 0, 255]); // starts like JSON on purpose
  const frame = encodePayloadFrame(EventType.MESSAGE, "up", data, 9);
  assert.equal(frame[4] & FLAG_BINARY, FLAG_BINARY);
  const decoded = decodeFrame(frame);
  assert.equal(decoded.binary, true);
  assert.equal(decoded.type, EventType.MESSAGE);
  assert.deepEqual(decodePayload(decoded), data);
});

Deno.test("encodePayloadFrame() sends anything else as the JSON encodeJsonFrame() writes", () => {
  const value = { text: "héllo", n: [1, 2] };
  const frame = encodePayloadFrame(EventType.BROADCAST, "chat", value, 3, true);
  assert.deepEqual(frame, encodeJsonFrame(EventType.BROADCAST, "chat", value, 3, true));
  assert.equal(decodeFrame(frame).binary, false);
  assert.deepEqual(decodePayload(decodeFrame(frame)), value);
});

Deno.test("decodePayload() returns a view into the frame, not a copy", () => {
  const frame = encodePayloadFrame(0, "e", new Uint8Array(1024).fill(7));
  const payload = decodePayload(decodeFrame(frame)) as Uint8Array;
  assert.equal(payload.buffer, frame.buffer);
  assert.equal(payload.byteOffset, frame.length - 1024);
});

Deno.test("the binary flag keeps the event type of every frame (random frames)", () => {
  const seed = Date.now() % 100_000;
  const random = prng(seed);
  for (let i = 0; i < 1_000; i++) {
    const type = int(random, 0, EventType.INPUT - 1);
    const payload = bytes(random, int(random, 0, 200));
    const decoded = decodeFrame(encodeFrame({ type, event: "b", binary: true }, payload));
    assert.equal(decoded.type, type, `seed ${seed}`);
    assert.ok(decoded.binary, `seed ${seed}`);
    assert.deepEqual(decodePayload(decoded), payload, `seed ${seed}`);
  }
  // The flag lies outside the type bits, so no type number can set it by accident.
  assert.equal(FLAG_BINARY & TYPE_MASK, 0);
});

Deno.test("isServerCallId() splits the u32 request-id space in two halves", () => {
  assert.equal(isServerCallId(1), false);
  assert.equal(isServerCallId(SERVER_CALL_BIT - 1), false);
  assert.equal(isServerCallId(SERVER_CALL_BIT), true);
  assert.equal(isServerCallId(0xffff_ffff), true);
});
