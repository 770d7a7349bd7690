import assert from "node:assert/strict";
import {
  decodeFrame,
  decodeJsonPayload,
  encodeFrame,
  encodeJsonFrame,
  HEADER_SIZE,
  MAX_EVENT_NAME_BYTES,
  peekRequestId,
  utf8Length,
} from "../../src/protocol/frame.ts";
import {
  EventType,
  FLAG_END,
  FLAG_REQUEST,
  MAX_EVENT_TYPE,
} from "../../src/protocol/event_type.ts";
import { ErrorCode, ProtocolError } from "../../src/protocol/errors.ts";
import { bytes, int, prng, text } from "../_random.ts";

const utf8 = new TextEncoder();

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${err}`);
    return err.code;
  }
  assert.fail("expected a ProtocolError");
}

Deno.test("encodeJsonFrame() writes the original serverless-sockets layout", () => {
  const frame = encodeJsonFrame(EventType.BROADCAST, "chat", { a: 1 });
  const json = utf8.encode('{"a":1}');
  assert.equal(frame.length, HEADER_SIZE + 4 + json.length);
  assert.equal(new DataView(frame.buffer).getUint32(0), frame.length);
  assert.equal(frame[4], EventType.BROADCAST);
  assert.equal(frame[5], 4);
  assert.deepEqual(frame.subarray(6, 10), utf8.encode("chat"));
  assert.deepEqual(frame.subarray(10), json);
});

Deno.test("encodeFrame() puts the request id after the name and sets the flags", () => {
  const frame = encodeFrame({ type: 0, event: "e", requestId: 0x01020304, end: true });
  assert.equal(frame[4], FLAG_REQUEST | FLAG_END);
  assert.deepEqual([...frame.subarray(7, 11)], [1, 2, 3, 4]);
  const decoded = decodeFrame(frame);
  assert.equal(decoded.requestId, 0x01020304);
  assert.equal(decoded.end, true);
  assert.equal(decoded.payload.length, 0);
});

Deno.test("decodeFrame() returns a payload view, not a copy", () => {
  const frame = encodeJsonFrame(0, "x", [1]);
  const decoded = decodeFrame(frame);
  assert.equal(decoded.payload.buffer, frame.buffer);
  assert.equal(decoded.requestId, undefined);
  assert.equal(decoded.end, false);
});

Deno.test("decodeFrame() rejects each malformed header with a distinct code", () => {
  const good = encodeJsonFrame(0, "echo", { a: 1 });
  assert.equal(codeOf(() => decodeFrame(new Uint8Array())), ErrorCode.EMPTY_MESSAGE);
  assert.equal(codeOf(() => decodeFrame(good.subarray(0, 5))), ErrorCode.FRAME_TOO_SHORT);
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  assert.equal(codeOf(() => decodeFrame(longer)), ErrorCode.LENGTH_MISMATCH);
  const badType = good.slice();
  badType[4] = MAX_EVENT_TYPE + 1;
  assert.equal(codeOf(() => decodeFrame(badType)), ErrorCode.INVALID_EVENT_TYPE);
  const inputWithoutId = good.slice();
  inputWithoutId[4] = EventType.INPUT;
  assert.equal(codeOf(() => decodeFrame(inputWithoutId)), ErrorCode.INVALID_EVENT_TYPE);
  const endWithoutId = good.slice();
  endWithoutId[4] = FLAG_END;
  assert.equal(codeOf(() => decodeFrame(endWithoutId)), ErrorCode.INVALID_EVENT_TYPE);
  const overflow = good.slice();
  overflow[5] = 200;
  assert.equal(codeOf(() => decodeFrame(overflow)), ErrorCode.EVENT_NAME_OVERFLOW);
  const noId = encodeFrame({ type: 0, event: "ab" });
  noId[4] = FLAG_REQUEST;
  assert.equal(codeOf(() => decodeFrame(noId)), ErrorCode.EVENT_NAME_OVERFLOW);
  const badName = encodeFrame({ type: 0, event: "ab" });
  badName[6] = 0xff;
  assert.equal(codeOf(() => decodeFrame(badName)), ErrorCode.INVALID_UTF8);
});

Deno.test("decodeJsonPayload() rejects invalid UTF-8 and invalid JSON distinctly", () => {
  const badUtf8 = decodeFrame(encodeFrame({ type: 0, event: "e" }, new Uint8Array([0x22, 0xc3])));
  assert.equal(codeOf(() => decodeJsonPayload(badUtf8)), ErrorCode.INVALID_UTF8);
  const badJson = decodeFrame(encodeFrame({ type: 0, event: "e" }, utf8.encode("{nope")));
  assert.equal(codeOf(() => decodeJsonPayload(badJson)), ErrorCode.INVALID_JSON);
  assert.equal(decodeJsonPayload(decodeFrame(encodeFrame({ type: 0, event: "e" }))), undefined);
});

Deno.test("encodeFrame() refuses fields that do not fit the layout", () => {
  assert.equal(
    codeOf(() => encodeFrame({ type: MAX_EVENT_TYPE + 1, event: "e" })),
    ErrorCode.ENCODE_ERROR,
  );
  const longName = "é".repeat(MAX_EVENT_NAME_BYTES / 2 + 1);
  assert.equal(codeOf(() => encodeFrame({ type: 0, event: longName })), ErrorCode.ENCODE_ERROR);
  assert.equal(codeOf(() => encodeFrame({ type: 0, event: "e", requestId: -1 })), "ENCODE_ERROR");
  assert.equal(
    codeOf(() => encodeFrame({ type: 0, event: "e", requestId: 2 ** 32 })),
    "ENCODE_ERROR",
  );
  assert.equal(codeOf(() => encodeFrame({ type: 0, event: "e", end: true })), "ENCODE_ERROR");
  assert.equal(codeOf(() => encodeJsonFrame(0, "e", () => 1)), ErrorCode.INVALID_YIELD);
});

Deno.test("utf8Length() matches TextEncoder on random text and lone surrogates", () => {
  const random = prng(7);
  for (let i = 0; i < 500; i++) {
    const value = text(random, int(random, 0, 40));
    assert.equal(utf8Length(value), utf8.encode(value).length, JSON.stringify(value));
  }
  for (const odd of ["\ud800", "a\udc00b", "\ud83d", "\ud83d\ude00\ud83d"]) {
    assert.equal(utf8Length(odd), utf8.encode(odd).length);
  }
});

Deno.test("decodeFrame(encodeFrame()) round-trips random frames", () => {
  const seed = Date.now() % 100_000;
  const random = prng(seed);
  for (let i = 0; i < 2_000; i++) {
    const requestId = random() < 0.5 ? undefined : int(random, 0, 0xffff_ffff);
    // INPUT belongs to a call: without a request id it is not a frame.
    const type = int(random, 0, requestId === undefined ? EventType.INPUT - 1 : MAX_EVENT_TYPE);
    const event = text(random, int(random, 0, 30));
    const end = requestId !== undefined && random() < 0.3;
    const binary = random() < 0.5;
    const payload = bytes(random, int(random, 0, 300));
    const frame = encodeFrame({ type, event, requestId, end, binary }, payload);
    const decoded = decodeFrame(frame);
    assert.deepEqual(
      {
        type: decoded.type,
        event: decoded.event,
        requestId: decoded.requestId,
        end: decoded.end,
        binary: decoded.binary,
      },
      { type, event, requestId, end, binary },
      `seed ${seed}`,
    );
    assert.deepEqual(decoded.payload, payload, `seed ${seed}`);
    assert.equal(peekRequestId(frame), requestId);
  }
});

Deno.test("decodeFrame() rejects every truncation of a valid frame with a ProtocolError", () => {
  const frames = [
    encodeJsonFrame(0, "chat/send", { text: "héllo" }),
    encodeJsonFrame(3, "x", null, 42, false),
    encodeFrame({ type: 0, event: "", requestId: 1, end: true }),
  ];
  for (const frame of frames) {
    for (let cut = 0; cut < frame.length; cut++) {
      const code = codeOf(() => decodeFrame(frame.subarray(0, cut)));
      assert.ok(
        cut === 0
          ? code === "EMPTY_MESSAGE"
          : cut < HEADER_SIZE
          ? code === "FRAME_TOO_SHORT"
          : code === "LENGTH_MISMATCH",
        `cut ${cut}: ${code}`,
      );
    }
  }
});

Deno.test("decodeFrame() never throws anything but ProtocolError on random bytes", () => {
  const seed = Date.now() % 100_000;
  const random = prng(seed);
  for (let i = 0; i < 5_000; i++) {
    const data = bytes(random, int(random, 0, 64));
    if (data.length >= 4 && random() < 0.7) new DataView(data.buffer).setUint32(0, data.length);
    try {
      const frame = decodeFrame(data);
      assert.ok(frame.type <= MAX_EVENT_TYPE);
      assert.ok(frame.payload.length <= data.length);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `seed ${seed}: ${err}`);
    }
  }
});
