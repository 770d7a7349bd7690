import assert from "node:assert/strict";
import { FrameEncoder } from "../../src/protocol/frame_encoder.ts";
import { encodeFrame, encodeJsonFrame } from "../../src/protocol/frame.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { MAX_EVENT_TYPE } from "../../src/protocol/event_type.ts";
import { bytes, int, prng, text } from "../_random.ts";

Deno.test("FrameEncoder.json() writes the same bytes as encodeJsonFrame()", () => {
  const encoder = new FrameEncoder();
  const seed = Date.now() % 100_000;
  const random = prng(seed);
  for (let i = 0; i < 3_000; i++) {
    const value = random() < 0.1 ? undefined : {
      n: int(random, -1e6, 1e6),
      s: text(random, int(random, 0, random() < 0.05 ? 2_000 : 40)),
      lone: random() < 0.05 ? "\ud800x" : "",
    };
    const type = int(random, 0, 10);
    const event = text(random, int(random, 0, 20));
    const requestId = random() < 0.5 ? undefined : int(random, 0, 0xffff_ffff);
    const end = requestId !== undefined && random() < 0.2;
    assert.deepEqual(
      encoder.json(type, event, value, requestId, end),
      encodeJsonFrame(type, event, value, requestId, end),
      `seed ${seed}, case ${i}`,
    );
  }
});

Deno.test("FrameEncoder.frame() writes the same bytes as encodeFrame()", () => {
  const encoder = new FrameEncoder();
  const random = prng(3);
  for (let i = 0; i < 500; i++) {
    const payload = bytes(random, int(random, 0, random() < 0.1 ? 100_000 : 200));
    const init = { type: 3, event: "sync", requestId: i, end: i % 7 === 0 };
    assert.deepEqual(encoder.frame(init, payload), encodeFrame(init, payload));
  }
});

Deno.test("FrameEncoder reuses its buffer, and allocates frames too big for it", () => {
  const encoder = new FrameEncoder();
  const first = encoder.json(0, "a", 1);
  const second = encoder.json(0, "b", 2);
  assert.equal(first.buffer, second.buffer, "small frames share the scratch buffer");
  const huge = encoder.json(0, "big", "x".repeat(2_000_000));
  assert.notEqual(huge.buffer, second.buffer);
  assert.deepEqual(huge, encodeJsonFrame(0, "big", "x".repeat(2_000_000)));
});

Deno.test("FrameEncoder rejects what encodeJsonFrame() rejects", () => {
  const encoder = new FrameEncoder();
  assert.throws(() => encoder.json(MAX_EVENT_TYPE + 1, "e", 1), ProtocolError);
  assert.throws(() => encoder.json(0, "e", () => 1), ProtocolError);
  assert.throws(() => encoder.json(0, "e".repeat(256), 1), ProtocolError);
  assert.throws(() => encoder.frame({ type: 0, event: "e", end: true }), ProtocolError);
});
