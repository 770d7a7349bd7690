import assert from "node:assert/strict";
import { ErrorCode, ProtocolError } from "../../src/protocol/errors.ts";
import { decodeFrame, decodeJsonPayload, encodeJsonFrame } from "../../src/protocol/frame.ts";
import {
  FrameBatch,
  isPacked,
  PACK_LIMIT,
  packFrames,
  splitFrames,
} from "../../src/protocol/pack.ts";

const frames = [
  encodeJsonFrame(0, "echo", { n: 1 }),
  encodeJsonFrame(1, "chat/message", "héllo", 7),
  encodeJsonFrame(0, "e", undefined, 9, true), // an empty END frame, the shortest with an id
  encodeJsonFrame(3, "", [1, 2, 3]),
];

function lengthMismatch(err: unknown): boolean {
  return err instanceof ProtocolError && err.code === ErrorCode.LENGTH_MISMATCH;
}

Deno.test("splitFrames() gives back exactly the frames packFrames() joined", () => {
  for (let n = 1; n <= frames.length; n++) {
    const parts = splitFrames(packFrames(frames.slice(0, n)));
    assert.deepEqual(parts.map((part) => [...part]), frames.slice(0, n).map((f) => [...f]));
    assert.deepEqual(
      parts.map((part) => decodeJsonPayload(decodeFrame(part))),
      [
        { n: 1 },
        "héllo",
        undefined,
        [1, 2, 3],
      ].slice(0, n),
    );
  }
});

Deno.test("isPacked() is false for one ordinary frame and true for two", () => {
  assert.equal(isPacked(frames[0]), false);
  assert.equal(isPacked(packFrames(frames.slice(0, 2))), true);
});

Deno.test("splitFrames() refuses a message cut at every byte that is not a frame boundary", () => {
  const packed = packFrames(frames);
  const boundaries = new Set<number>();
  let at = 0;
  for (const frame of frames) boundaries.add(at += frame.length);
  for (let cut = 1; cut < packed.length; cut++) {
    const head = packed.subarray(0, cut);
    if (boundaries.has(cut)) {
      assert.equal(splitFrames(head).length, [...boundaries].indexOf(cut) + 1, `cut at ${cut}`);
    } else {
      assert.throws(() => splitFrames(head), lengthMismatch, `cut at ${cut}`);
    }
  }
});

Deno.test("splitFrames() refuses trailing bytes after the last frame at every length", () => {
  const packed = packFrames(frames);
  for (let extra = 1; extra <= 12; extra++) {
    const tail = new Uint8Array(packed.length + extra);
    tail.set(packed);
    tail.fill(0x41, packed.length);
    assert.throws(() => splitFrames(tail), lengthMismatch, `${extra} extra bytes`);
  }
});

Deno.test("splitFrames() refuses lying length fields: too short, too long, zero, huge", () => {
  const packed = packFrames(frames);
  const second = frames[0].length;
  for (const lie of [0, 1, 5, frames[1].length + 1, packed.length, 0xffff_ffff]) {
    const bytes = packed.slice();
    new DataView(bytes.buffer).setUint32(second, lie);
    assert.throws(() => splitFrames(bytes), lengthMismatch, `length ${lie}`);
  }
  // A lie that happens to land on a later boundary still splits, into
  // frames that then fail decodeFrame on their own: framing is kept.
  const merged = packed.slice();
  new DataView(merged.buffer).setUint32(second, frames[1].length + frames[2].length);
  assert.equal(splitFrames(merged).length, frames.length - 1);
  assert.throws(() => splitFrames(new Uint8Array(0)), ProtocolError);
});

Deno.test("FrameBatch copies each frame, so the caller may reuse its buffer", () => {
  const batch = new FrameBatch();
  const scratch = frames[0].slice();
  assert.ok(batch.append(scratch));
  scratch.fill(0);
  assert.ok(batch.append(frames[1]));
  assert.equal(batch.count, 2);
  assert.deepEqual([...batch.bytes()], [...packFrames(frames.slice(0, 2))]);
  batch.clear();
  assert.equal(batch.length, 0);
  assert.equal(batch.bytes().length, 0);
});

Deno.test("FrameBatch.append() refuses what would pass the limit and grows up to it", () => {
  const batch = new FrameBatch();
  const big = new Uint8Array(PACK_LIMIT - 10);
  new DataView(big.buffer).setUint32(0, big.length);
  assert.ok(batch.append(big));
  assert.equal(batch.append(frames[0]), false, "past PACK_LIMIT");
  const exact = encodeJsonFrame(0, "", undefined).subarray(0, 6); // 6 bytes of the 10 left
  assert.ok(batch.append(exact));
  assert.equal(batch.length, PACK_LIMIT - 4);
  batch.clear();
  // An empty batch takes anything up to the limit, however many grow steps it takes.
  let n = 0;
  while (batch.append(frames[0])) n++;
  assert.equal(n, Math.floor(PACK_LIMIT / frames[0].length));
  assert.equal(splitFrames(batch.bytes()).length, n);
});
