import assert from "node:assert/strict";
import {
  applyDelta,
  createDelta,
  DELTA_VERSION,
  deltaChecksum,
  deltaTargetLength,
  OP_COPY_BASE,
  OP_COPY_CURSOR,
  OP_COPY_OUTPUT,
  OP_LITERAL,
  readDeltaHeader,
} from "../../src/protocol/delta.ts";
import { ErrorCode, ProtocolError } from "../../src/protocol/errors.ts";
import { prng } from "../_random.ts";

const utf8 = new TextEncoder();
const bytes = (text: string) => utf8.encode(text);

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function assertRoundTrip(base: Uint8Array, target: Uint8Array, label = ""): Uint8Array {
  const delta = createDelta(base, target);
  const rebuilt = applyDelta(base, delta);
  assert.ok(equalBytes(rebuilt, target), `round trip differs ${label}`);
  return delta;
}

function assertProtocolError(fn: () => unknown, code?: ErrorCode, label = ""): ProtocolError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError ${label}, got ${error}`);
    if (code !== undefined) assert.equal(error.code, code, `${label}: ${error.message}`);
    return error;
  }
  assert.fail(`expected a ProtocolError ${label}, nothing was thrown`);
}

// --- Hand-built deltas ------------------------------------------------------

function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function tag(op: number, length: number): number[] {
  return length < 64 ? [(op << 6) | length] : [op << 6, ...varint(length - 64)];
}

function header(baseLength: number, target: Uint8Array | number, checksum?: number): number[] {
  const length = typeof target === "number" ? target : target.length;
  const sum = checksum ?? (typeof target === "number" ? 0 : deltaChecksum(target));
  return [
    DELTA_VERSION,
    ...varint(baseLength),
    ...varint(zigzag(length - baseLength)),
    sum & 0xff,
    (sum >>> 8) & 0xff,
    (sum >>> 16) & 0xff,
    sum >>> 24,
  ];
}

const literal = (data: Uint8Array) => [...tag(OP_LITERAL, data.length), ...data];
const copyBase = (length: number, delta: number) => [
  ...tag(OP_COPY_BASE, length),
  ...varint(zigzag(delta)),
];
const copyCursor = (length: number) => tag(OP_COPY_CURSOR, length);
const copyOutput = (length: number, distance: number) => [
  ...tag(OP_COPY_OUTPUT, length),
  ...varint(distance - 1),
];

// --- Unit tests --------------------------------------------------------------

Deno.test("createDelta() round-trips empty base and empty target", () => {
  const empty = new Uint8Array(0);
  const delta = assertRoundTrip(empty, empty);
  assert.equal(delta.length, 7, "version, two one-byte varints and the checksum, no ops");
  assert.equal(delta[0], DELTA_VERSION);
  assertRoundTrip(empty, bytes("hello"));
  assertRoundTrip(bytes("hello"), empty);
});

Deno.test("createDelta() writes the header: version, base length, target length, checksum", () => {
  const base = new Uint8Array(300);
  const target = bytes("x".repeat(280));
  const delta = createDelta(base, target);
  const head = readDeltaHeader(delta);
  assert.equal(head.baseLength, 300);
  assert.equal(head.targetLength, 280);
  assert.equal(head.checksum, deltaChecksum(target));
  assert.equal(head.opsOffset, 1 + 2 + 1 + 4, "the length change -20 takes one byte");
  assert.equal(deltaTargetLength(delta), 280);
});

Deno.test("createDelta() of identical states is one cursor copy", () => {
  const state = bytes(JSON.stringify({ a: "x".repeat(1000) }));
  const delta = assertRoundTrip(state, state);
  const ops = delta.subarray(readDeltaHeader(delta).opsOffset);
  assert.deepEqual([...ops], copyCursor(state.length));
});

Deno.test("createDelta() costs what changed for a small edit in a large state", () => {
  const random = prng(7);
  const items = Array.from({ length: 20000 }, (_, i) => ({ id: i, v: Math.floor(random() * 1e6) }));
  const base = bytes(JSON.stringify(items));
  items[12345].v = 42;
  items[54].v += 1;
  const target = bytes(JSON.stringify(items));
  assert.ok(base.length > 400_000);
  const delta = assertRoundTrip(base, target);
  assert.ok(delta.length < 40, `delta of ${delta.length} bytes for two edits`);
});

Deno.test("createDelta() handles inserts, deletes and moves with small deltas", () => {
  const random = prng(11);
  const text = Array.from({ length: 4000 }, () => Math.floor(random() * 1e9).toString(36)).join(
    " ",
  );
  const base = bytes(text);
  const insert = bytes(text.slice(0, 10000) + "INSERTED" + text.slice(10000));
  assert.ok(assertRoundTrip(base, insert).length < 40);
  const cut = bytes(text.slice(0, 5000) + text.slice(9000));
  assert.ok(assertRoundTrip(base, cut).length < 40);
  const moved = bytes(
    text.slice(0, 1000) + text.slice(4000, 20000) + text.slice(1000, 4000) +
      text.slice(20000),
  );
  assert.ok(assertRoundTrip(base, moved).length < 50);
});

Deno.test("createDelta() copies repeated output instead of repeating literals", () => {
  const target = bytes("abcdefgh".repeat(5000));
  const delta = assertRoundTrip(new Uint8Array(0), target);
  assert.ok(delta.length < 30, `delta of ${delta.length} bytes`);
  const same = new Uint8Array(100_000).fill(7);
  assert.ok(assertRoundTrip(new Uint8Array(0), same).length < 30);
});

Deno.test("applyDelta() applies each op kind from a hand-built delta", () => {
  const base = bytes("0123456789abcdefghij");
  const target = bytes("XY" + "01234" + "cdef" + "234" + "Y0" + "ghij");
  const delta = new Uint8Array([
    ...header(base.length, target),
    ...literal(bytes("XY")), // cursor 2
    ...copyBase(5, -2), // base 0..5, cursor 5
    ...copyBase(4, 7), // base 12..16, cursor 16
    ...copyBase(3, -14), // base 2..5, cursor 5
    ...copyOutput(2, 13), // "Y0" from output 1, cursor 7
    ...copyBase(4, 9), // base 16..20
  ]);
  assert.deepEqual(applyDelta(base, delta), target);
  const cursorDelta = new Uint8Array([
    ...header(base.length, bytes("ab0123")),
    ...literal(bytes("ab")),
    ...copyBase(2, -2),
    ...copyCursor(2),
  ]);
  assert.deepEqual(applyDelta(base, cursorDelta), bytes("ab0123"));
});

Deno.test("applyDelta() repeats an overlapping output copy byte by byte", () => {
  const target = new Uint8Array(1000);
  for (let i = 0; i < target.length; i++) target[i] = [1, 2, 3][i % 3];
  const delta = new Uint8Array([
    ...header(0, target),
    ...literal(new Uint8Array([1, 2, 3])),
    ...copyOutput(997, 3),
  ]);
  assert.deepEqual(applyDelta(new Uint8Array(0), delta), target);
});

Deno.test("applyDelta() reads lengths of 64 and more as tag 0 plus a varint", () => {
  const data = new Uint8Array(200).map((_, i) => i);
  const delta = new Uint8Array([...header(0, data), ...literal(data)]);
  assert.equal(delta[readDeltaHeader(delta).opsOffset], OP_LITERAL << 6);
  assert.deepEqual(applyDelta(new Uint8Array(0), delta), data);
});

Deno.test("deltaChecksum() is MurmurHash3 x86_32 for aligned and unaligned bytes", () => {
  const vectors: [string, number][] = [
    ["", 0],
    ["hello", 0x248bfa47],
    ["The quick brown fox jumps over the lazy dog", 0x2e4ff723],
  ];
  for (const [text, expected] of vectors) {
    const data = bytes(text);
    assert.equal(deltaChecksum(data), expected, JSON.stringify(text));
    for (let shift = 1; shift < 4; shift++) {
      const padded = new Uint8Array(data.length + shift);
      padded.set(data, shift);
      assert.equal(deltaChecksum(padded.subarray(shift)), expected, `${text} at +${shift}`);
    }
  }
});

// --- Wrong bases -------------------------------------------------------------

Deno.test("applyDelta() rejects a base of the wrong length with DELTA_BASE_MISMATCH", () => {
  const base = bytes('{"n":1,"list":[1,2,3]}');
  const delta = createDelta(base, bytes('{"n":2,"list":[1,2,3]}'));
  assertProtocolError(() => applyDelta(base.subarray(1), delta), ErrorCode.DELTA_BASE_MISMATCH);
  assertProtocolError(() => applyDelta(new Uint8Array(0), delta), ErrorCode.DELTA_BASE_MISMATCH);
  const longer = new Uint8Array(base.length + 1);
  longer.set(base);
  assertProtocolError(() => applyDelta(longer, delta), ErrorCode.DELTA_BASE_MISMATCH);
});

Deno.test("applyDelta() rejects a same-length wrong base with DELTA_CHECKSUM_MISMATCH", () => {
  const base = bytes(JSON.stringify({ n: 1, text: "lorem ipsum ".repeat(100) }));
  const target = bytes(JSON.stringify({ n: 2, text: "lorem ipsum ".repeat(100) }));
  const delta = createDelta(base, target);
  for (const at of [0, 7, 100, base.length - 1]) {
    const wrong = base.slice();
    wrong[at] ^= 0x20;
    assertProtocolError(
      () => applyDelta(wrong, delta),
      ErrorCode.DELTA_CHECKSUM_MISMATCH,
      `byte ${at} flipped`,
    );
  }
});

Deno.test("applyDelta() rejects a corrupted checksum with DELTA_CHECKSUM_MISMATCH", () => {
  const base = bytes("some base state");
  const delta = createDelta(base, bytes("some other state"));
  const opsOffset = readDeltaHeader(delta).opsOffset;
  delta[opsOffset - 1] ^= 1;
  assertProtocolError(() => applyDelta(base, delta), ErrorCode.DELTA_CHECKSUM_MISMATCH);
});

// --- Hostile input -----------------------------------------------------------

Deno.test("applyDelta() rejects every truncation of a valid delta", () => {
  const random = prng(3);
  const base = bytes(JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ i, r: random() }))));
  const target = bytes(
    JSON.stringify(Array.from({ length: 310 }, (_, i) => ({ i, r: i % 7 ? random() : 0 }))),
  );
  for (const delta of [createDelta(base, target), createDelta(new Uint8Array(0), target)]) {
    const useBase = readDeltaHeader(delta).baseLength === 0 ? new Uint8Array(0) : base;
    assert.deepEqual(applyDelta(useBase, delta), target);
    for (let cut = 0; cut < delta.length; cut++) {
      const error = assertProtocolError(
        () => applyDelta(useBase, delta.subarray(0, cut)),
        undefined,
        `truncated to ${cut} of ${delta.length}`,
      );
      assert.ok(Object.values(ErrorCode).includes(error.code));
    }
  }
});

Deno.test("applyDelta() rejects a wrong version byte and an empty delta", () => {
  const delta = createDelta(new Uint8Array(0), bytes("abc"));
  assertProtocolError(
    () => applyDelta(new Uint8Array(0), new Uint8Array(0)),
    ErrorCode.DELTA_MALFORMED,
  );
  delta[0] = 0xd2;
  assertProtocolError(() => applyDelta(new Uint8Array(0), delta), ErrorCode.DELTA_MALFORMED);
  assertProtocolError(() => deltaTargetLength(delta), ErrorCode.DELTA_MALFORMED);
});

Deno.test("applyDelta() rejects ops that disagree with the header or the base", () => {
  const base = bytes("0123456789");
  const target = bytes("0123");
  const cases: [string, number[]][] = [
    ["trailing bytes", [...header(10, target), ...copyCursor(4), 0x01]],
    ["too few bytes", [...header(10, target), ...copyCursor(3)]],
    ["too many bytes", [...header(10, target), ...copyCursor(4), ...literal(bytes("x"))]],
    ["base copy past the end", [...header(10, target), ...copyBase(4, 7)]],
    ["base copy before the start", [...header(10, target), ...copyBase(4, -1)]],
    ["output copy before any output", [...header(10, target), ...copyOutput(4, 1)]],
    ["output copy too far back", [
      ...header(10, target),
      ...literal(bytes("01")),
      ...copyOutput(2, 3),
    ]],
    ["literal past the delta end", [...header(10, target), ...tag(OP_LITERAL, 4), 0x30]],
    ["varint of 9 bytes", [...header(10, target), OP_COPY_BASE << 6, ...Array(9).fill(0xff)]],
    ["varint past 2^53", [DELTA_VERSION, ...Array(7).fill(0xff), 0x7f]],
    ["negative target length", [DELTA_VERSION, ...varint(10), ...varint(zigzag(-11)), 0, 0, 0, 0]],
  ];
  for (const [label, delta] of cases) {
    assertProtocolError(
      () => applyDelta(base, new Uint8Array(delta)),
      ErrorCode.DELTA_MALFORMED,
      label,
    );
  }
});

Deno.test("applyDelta() rejects a 4 GB target claim without allocating it", () => {
  const huge = 4 * 1024 ** 3;
  // Over the default limit: rejected from the header alone.
  const claim = new Uint8Array([...header(0, huge), ...literal(bytes("tiny"))]);
  assertProtocolError(() => applyDelta(new Uint8Array(0), claim), ErrorCode.DELTA_MALFORMED);
  // Under a raised limit: the op walk proves the ops fall short before allocating.
  const before = Deno.memoryUsage().rss;
  assertProtocolError(
    () => applyDelta(new Uint8Array(0), claim, { maxTargetLength: 2 * huge }),
    ErrorCode.DELTA_MALFORMED,
  );
  // A run-length op that really claims 4 GB: validated, then refused by the limit.
  const rle = new Uint8Array([
    ...header(0, huge),
    ...literal(bytes("a")),
    ...copyOutput(huge - 1, 1),
  ]);
  assertProtocolError(() => applyDelta(new Uint8Array(0), rle), ErrorCode.DELTA_MALFORMED);
  assert.ok(Deno.memoryUsage().rss - before < 512 * 1024 ** 2, "no huge allocation");
  assert.equal(deltaTargetLength(claim), huge);
});

Deno.test("applyDelta() honours maxTargetLength", () => {
  const target = bytes("x".repeat(100));
  const delta = createDelta(new Uint8Array(0), target);
  assert.deepEqual(applyDelta(new Uint8Array(0), delta, { maxTargetLength: 100 }), target);
  assertProtocolError(
    () => applyDelta(new Uint8Array(0), delta, { maxTargetLength: 99 }),
    ErrorCode.DELTA_MALFORMED,
  );
});

Deno.test("applyDelta() rejects random garbage only with ProtocolError", () => {
  const seed = 0xbad5eed;
  const random = prng(seed);
  const base = bytes("0123456789".repeat(20));
  for (let round = 0; round < 3000; round++) {
    const length = Math.floor(random() * 40);
    const garbage = new Uint8Array(length).map(() => Math.floor(random() * 256));
    // Half the time give it a plausible header so the op parser gets exercised.
    if (round % 2 === 0 && length > 8) {
      garbage.set([DELTA_VERSION, ...varint(base.length), Math.floor(random() * 100)]);
    }
    try {
      const out = applyDelta(base, garbage);
      assert.ok(out.length <= 100, `seed ${seed} round ${round}`);
    } catch (error) {
      assert.ok(error instanceof ProtocolError, `seed ${seed} round ${round}: ${error}`);
    }
  }
});

Deno.test("applyDelta() rejects bit flips of a valid delta with ProtocolError or returns the target", () => {
  const seed = 0xf11b;
  const random = prng(seed);
  const base = bytes(JSON.stringify({ list: Array.from({ length: 100 }, (_, i) => i * 3) }));
  const target = bytes(JSON.stringify({ list: Array.from({ length: 101 }, (_, i) => i * 3 + 1) }));
  const delta = createDelta(base, target);
  for (let round = 0; round < 2000; round++) {
    const flipped = delta.slice();
    flipped[Math.floor(random() * flipped.length)] ^= 1 << Math.floor(random() * 8);
    try {
      assert.deepEqual(applyDelta(base, flipped), target, `seed ${seed} round ${round}`);
    } catch (error) {
      assert.ok(error instanceof ProtocolError, `seed ${seed} round ${round}: ${error}`);
    }
  }
});

// --- Property tests ----------------------------------------------------------

function randomBytes(random: () => number, length: number, alphabet: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * alphabet);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Applies 0..n random edits: insert, delete, move, duplicate a block, overwrite. */
function mutate(random: () => number, base: Uint8Array, alphabet: number): Uint8Array {
  let data = base;
  const edits = Math.floor(random() * 6);
  const pick = (max: number) => Math.floor(random() * (max + 1));
  for (let e = 0; e < edits; e++) {
    const span = 1 + pick(Math.min(data.length, 64 + data.length / 8));
    const at = pick(data.length);
    const end = Math.min(data.length, at + span);
    switch (Math.floor(random() * 5)) {
      case 0: // insert new bytes
        data = concat(data.subarray(0, at), randomBytes(random, span, alphabet), data.subarray(at));
        break;
      case 1: // delete
        data = concat(data.subarray(0, at), data.subarray(end));
        break;
      case 2: { // move a block elsewhere
        const block = data.subarray(at, end);
        const rest = concat(data.subarray(0, at), data.subarray(end));
        const to = pick(rest.length);
        data = concat(rest.subarray(0, to), block, rest.subarray(to));
        break;
      }
      case 3: { // repeat a block
        const block = data.subarray(at, end);
        data = concat(data.subarray(0, end), block, block, data.subarray(end));
        break;
      }
      default: { // overwrite in place
        data = data.slice();
        for (let i = at; i < end; i++) data[i] = Math.floor(random() * alphabet);
      }
    }
  }
  return data;
}

function checkCase(random: () => number, base: Uint8Array, target: Uint8Array, label: string) {
  const delta = assertRoundTrip(base, target, label);
  // A base of another length is always rejected.
  const shorter = base.subarray(0, base.length - 1 - Math.floor(random() * base.length));
  if (base.length > 0) {
    assertProtocolError(() => applyDelta(shorter, delta), ErrorCode.DELTA_BASE_MISMATCH, label);
  }
  assertProtocolError(
    () => applyDelta(concat(base, new Uint8Array([1])), delta),
    ErrorCode.DELTA_BASE_MISMATCH,
    label,
  );
  // A same-length wrong base never yields a wrong state silently.
  if (base.length > 0) {
    const wrong = base.slice();
    wrong[Math.floor(random() * wrong.length)] ^= 1 + Math.floor(random() * 255);
    try {
      assert.ok(equalBytes(applyDelta(wrong, delta), target), `${label}: wrong state returned`);
    } catch (error) {
      assert.ok(error instanceof ProtocolError, `${label}: ${error}`);
      assert.equal(error.code, ErrorCode.DELTA_CHECKSUM_MISMATCH, label);
    }
  }
  return delta;
}

Deno.test("createDelta() round-trips random edits of small inputs (property)", () => {
  const seed = 0x5eed0001;
  const random = prng(seed);
  for (let round = 0; round < 1500; round++) {
    const label = `seed ${seed} round ${round}`;
    const alphabet = [2, 4, 26, 256][round % 4];
    const size = Math.floor(random() ** 2 * 3000);
    const base = round % 25 === 0 ? new Uint8Array(0) : randomBytes(random, size, alphabet);
    const target = round % 31 === 0 ? new Uint8Array(0) : mutate(random, base, alphabet);
    checkCase(random, base, target, label);
  }
});

Deno.test("createDelta() round-trips JSON states edited like a plug would (property)", () => {
  const seed = 0x5eed0002;
  const random = prng(seed);
  const state = {
    rows: Array.from({ length: 500 }, (_, i) => ({ id: i, score: Math.floor(random() * 1000) })),
  };
  let base = bytes(JSON.stringify(state));
  for (let round = 0; round < 200; round++) {
    for (let k = Math.floor(random() * 5); k > 0; k--) {
      const op = random();
      if (op < 0.6) state.rows[Math.floor(random() * state.rows.length)].score++;
      else if (op < 0.8) state.rows.unshift({ id: 1000 + round, score: 0 });
      else state.rows.splice(Math.floor(random() * state.rows.length), 1);
    }
    const target = bytes(JSON.stringify(state));
    const delta = checkCase(random, base, target, `seed ${seed} round ${round}`);
    assert.ok(delta.length < 200, `seed ${seed} round ${round}: ${delta.length} bytes`);
    base = target;
  }
});

Deno.test("createDelta() round-trips large inputs up to 5 MB without going quadratic", () => {
  const seed = 0x5eed0003;
  const random = prng(seed);
  const mb = 1024 * 1024;
  const started = performance.now();
  const sameByte = new Uint8Array(5 * mb).fill(0x61);
  const otherByte = new Uint8Array(5 * mb).fill(0x62);
  assert.ok(checkCase(random, sameByte, otherByte, `seed ${seed} 5 MB of one byte`).length < 64);
  const edited = sameByte.slice();
  edited[2 * mb] = 0;
  edited[3 * mb] = 0;
  assert.ok(checkCase(random, sameByte, edited, `seed ${seed} 5 MB repetitive`).length < 64);
  const noise = randomBytes(random, 5 * mb, 256);
  checkCase(random, new Uint8Array(0), noise, `seed ${seed} 5 MB noise from empty`);
  checkCase(random, noise, mutate(random, noise, 256), `seed ${seed} 5 MB noise edited`);
  const text = randomBytes(random, mb, 4);
  checkCase(random, text, mutate(random, text, 4), `seed ${seed} 1 MB of 4 letters`);
  checkCase(random, text, new Uint8Array(0), `seed ${seed} 1 MB to empty`);
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 8000, `large cases took ${elapsed.toFixed(0)} ms`);
});

Deno.test("createDelta() compresses a first SYNC (empty base) of repetitive and random data", () => {
  const seed = 0x5eed0004;
  const random = prng(seed);
  const empty = new Uint8Array(0);
  // Repetitive JSON, like a plug's state.
  const rows = Array.from({ length: 8000 }, (_, i) => ({
    id: i,
    name: `user${Math.floor(random() * 1000)}`,
    status: ["active", "paused", "archived"][Math.floor(random() * 3)],
    score: Math.floor(random() * 1e6),
  }));
  const json = bytes(JSON.stringify({ rows }));
  assert.ok(json.length > 400_000);
  const jsonDelta = checkCase(random, empty, json, `seed ${seed} JSON`);
  assert.ok(jsonDelta.length < json.length / 2, `JSON: ${jsonDelta.length} of ${json.length}`);
  // A block repeated with a few bytes changed in each copy.
  const block = randomBytes(random, 1000, 256);
  const blocks = new Uint8Array(1024 * 1024);
  for (let at = 0; at < blocks.length; at += block.length) {
    blocks.set(block.subarray(0, Math.min(block.length, blocks.length - at)), at);
    blocks[at + Math.floor(random() * block.length)] = Math.floor(random() * 256);
  }
  const blocksDelta = checkCase(random, empty, blocks, `seed ${seed} blocks`);
  assert.ok(blocksDelta.length < blocks.length / 50, `blocks: ${blocksDelta.length}`);
  // Random bytes: one literal, a few bytes of overhead at most.
  for (const size of [1, 5, 6, 7, 100, 65_536, 1024 * 1024]) {
    const noise = randomBytes(random, size, 256);
    const delta = checkCase(random, empty, noise, `seed ${seed} noise ${size}`);
    assert.ok(delta.length <= size + 16, `noise ${size}: ${delta.length}`);
  }
  // Few distinct bytes, and a small (but not empty) base with a shared prefix and suffix.
  checkCase(random, empty, randomBytes(random, 300_000, 2), `seed ${seed} 2 letters`);
  const small = bytes('{"v":1,"rows":[]}');
  const grown = bytes(`{"v":2,"rows":[${"[1,2,3],".repeat(20000)}[4]]}`);
  assert.ok(checkCase(random, small, grown, `seed ${seed} small base`).length < 1000);
});

Deno.test("createDelta() stays fast on pathological inputs (work budget)", () => {
  const seed = 0x5eed0005;
  const random = prng(seed);
  const mb = 1024 * 1024;
  const json = () => {
    const rows = [];
    for (let size = 0; size < mb; size += 60) {
      rows.push({ id: size, name: `user${Math.floor(random() * 1e5)}`, v: random() });
    }
    return bytes(JSON.stringify(rows));
  };
  const cases: [string, Uint8Array, Uint8Array][] = [
    ["unrelated JSON of one shape", json(), json()],
    ["unrelated 2-letter data", randomBytes(random, mb, 2), randomBytes(random, mb, 2)],
    ["unrelated 4-letter data", randomBytes(random, mb, 4), randomBytes(random, mb, 4)],
  ];
  for (const [label, base, target] of cases) {
    checkCase(random, base, target, `seed ${seed} ${label}`); // warm up and check
    const started = performance.now();
    createDelta(base, target);
    const elapsed = performance.now() - started;
    // About 3 ms per 100 KB on a quiet machine; the bound leaves room for a loaded CI runner.
    assert.ok(elapsed < 250, `${label}: ${elapsed.toFixed(0)} ms for 1 MB`);
  }
});
