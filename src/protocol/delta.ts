/**
 * The SYNC delta codec: pure, synchronous functions over `Uint8Array`, no I/O
 * and no runtime-specific APIs, so the browser client can use it as is.
 *
 * A delta turns a base (the state the receiver holds, empty for the first
 * SYNC of a stream) into a target (the new state). It carries the base length
 * and a 32-bit checksum of the target, so applying it to the wrong base fails
 * with a {@linkcode ProtocolError} instead of producing a corrupt state.
 *
 * ```
 * u8 version (0xd1) | varint base length | zigzag varint length change | u32 LE checksum | op*
 * ```
 *
 * Each op starts with a tag byte: the top two bits pick the op, the low six
 * bits hold a length of 1..63 (0 means a varint of `length - 64` follows).
 * See docs/DELTA.md for the byte-by-byte format.
 *
 * @example
 * ```ts
 * import { applyDelta, createDelta } from "./delta.ts";
 * const utf8 = new TextEncoder();
 * const base = utf8.encode(JSON.stringify({ count: 1, items: ["a", "b"] }));
 * const target = utf8.encode(JSON.stringify({ count: 2, items: ["a", "b"] }));
 * const delta = createDelta(base, target);
 * console.log(new TextDecoder().decode(applyDelta(base, delta)));
 * ```
 * @module
 */

import { ErrorCode, ProtocolError } from "./errors.ts";

/** The first byte of every delta: format version 1. */
export const DELTA_VERSION = 0xd1;

/** The largest target {@linkcode applyDelta} builds unless told otherwise (256 MiB). */
export const DEFAULT_MAX_TARGET_LENGTH = 256 * 1024 * 1024;

/** Op: the next `length` bytes of the delta are copied to the output. */
export const OP_LITERAL = 0;
/** Op: copy `length` bytes of the base from `cursor + zigzag varint`. */
export const OP_COPY_BASE = 1;
/** Op: copy `length` bytes from `distance` bytes back in the output (may overlap). */
export const OP_COPY_OUTPUT = 2;
/** Op: copy `length` bytes of the base from the cursor, no offset field. */
export const OP_COPY_CURSOR = 3;

const OP_SHIFT = 6;
const INLINE_LENGTH_MASK = 0x3f;
/** Lengths of at least this many bytes are written as a varint after the tag. */
const LONG_LENGTH = 64;
const CHECKSUM_SIZE = 4;
const VARINT_MAX_BYTES = 8;
const VARINT_PAYLOAD_BITS = 7;
const VARINT_PAYLOAD_MASK = 0x7f;
const VARINT_CONTINUE = 0x80;
const VARINT_RADIX = 128;
/** Values below this take at most two varint bytes. */
const VARINT_2_BYTES = VARINT_RADIX * VARINT_RADIX;
const BYTE_MASK = 0xff;
/** Below this length the decoder copies byte by byte instead of calling `set`. */
const SMALL_COPY = 32;

// Encoder tuning.
/** Bytes compared to find a local or self-copy match; the shortest match. */
const HASH_BYTES = 4;
/** Bytes hashed per base index entry; base matches shorter than this are found only locally. */
const BASE_KEY_BYTES = 12;
/** The base is indexed at every this-many positions: matches of 19+ bytes are always found. */
const BASE_STRIDE = 8;
/** Fewest / most hash-table bits. */
const MIN_HASH_BITS = 8;
const MAX_HASH_BITS = 20;
/** Base candidates examined per lookup: bounds the work on repetitive data. */
const MAX_CHAIN = 32;
/** A match this long ends the search early. */
const GOOD_MATCH = 256;
/** Matches at most this long have every position indexed for later self-copies. */
const INDEX_MATCH_LIMIT = 32;
/** Of longer matches, only the last this-many positions are indexed. */
const INDEX_MATCH_TAIL = 8;
/** After this many positions without a match, the scan starts skipping. */
const SKIP_TRIGGER_SHIFT = 5;
/** New bytes scanned with local probes only before the indexes are built. */
const LOCAL_SPAN = 16;
/** Local probes try base positions this far either side of the alignment. */
const PROBE_RADIUS = 16;
/** A match must save more than this many bytes over a literal. */
const MIN_GAIN = 1;
/** Matches shorter than this are compared with matches up to LAZY_STEPS bytes later. */
const LAZY_LIMIT = 32;
/** How far ahead a short match looks for a better one (the base index stride). */
const LAZY_STEPS = 8;
/** Before the indexes exist, a local match must be this long to be taken without a global search. */
const LOCAL_ACCEPT = 32;
/** Base copies this long become the anchor alignment that later probes return to. */
const ANCHOR_LENGTH = 32;
/** Bytes of base either side of the changed middle that the index covers. */
const INDEX_MARGIN = 64 * 1024;
/**
 * Search work (base and self-copy candidates tried, plus compared bytes / 2^WORK_BYTE_SHIFT)
 * allowed per byte of the middle scanned so far, plus WORK_FLOOR. Past it the rest of the middle
 * is encoded in one fast pass (self-copies only), so no input can make an encode slow.
 */
const WORK_PER_BYTE = 2;
const WORK_FLOOR = 1 << 16;
/** A compared byte costs 2^-this work units. */
const WORK_BYTE_SHIFT = 3;
/** Bases shorter than this are not searched: the middle is compressed against itself only. */
const FRESH_BASE_LIMIT = 1024;
/** Bytes hashed per key of a fresh encode (4 of them are compared before a match is extended). */
const FRESH_KEY_BYTES = 6;
/** Fewest / most bits of the self-copy hash table of a fresh (empty-base) encode. */
const FRESH_MIN_BITS = 10;
const FRESH_MAX_BITS = 14;
/** A fresh encode skips ahead faster than the general one: every 2^this misses add a byte of step. */
const FRESH_SKIP_SHIFT = 4;
const HASH_MULTIPLIER = 0x9e3779b1;
const HASH_MULTIPLIER_2 = 0x85ebca77;
const HASH_MULTIPLIER_3 = 0xc2b2ae3d;

// MurmurHash3 x86_32 constants.
const MURMUR_C1 = 0xcc9e2d51;
const MURMUR_C2 = 0x1b873593;
const MURMUR_R1 = 15;
const MURMUR_R2 = 13;
const MURMUR_M = 5;
const MURMUR_N = 0xe6546b64;
const FMIX_1 = 0x85ebca6b;
const FMIX_2 = 0xc2b2ae35;
/** Whether a Uint32Array reads bytes little-endian here (the checksum then reads words). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Options for {@linkcode applyDelta}. */
export interface ApplyDeltaOptions {
  /**
   * Reject deltas whose declared target is longer than this many bytes,
   * before allocating anything. Defaults to {@linkcode DEFAULT_MAX_TARGET_LENGTH}.
   */
  maxTargetLength?: number;
}

/** The fixed header of a delta, as read by {@linkcode readDeltaHeader}. */
export interface DeltaHeader {
  /** The length of the base the delta applies to. */
  baseLength: number;
  /** The length of the state the delta produces. */
  targetLength: number;
  /** MurmurHash3 x86_32 (seed 0) of the state the delta produces. */
  checksum: number;
  /** Where the first op starts in the delta. */
  opsOffset: number;
}

/**
 * Computes the 32-bit checksum a delta carries: MurmurHash3 x86_32, seed 0.
 *
 * @param data the bytes to hash
 * @returns an unsigned 32-bit integer
 *
 * @example
 * ```ts
 * import { deltaChecksum } from "./delta.ts";
 * console.log(deltaChecksum(new Uint8Array([1, 2, 3]))); // a u32
 * ```
 */
export function deltaChecksum(data: Uint8Array): number {
  const n = data.length;
  const end = n - (n & 3);
  // Aligned data is read as whole words, several times faster than assembling bytes.
  let h = LITTLE_ENDIAN && data.byteOffset % 4 === 0
    ? murmurWords(new Uint32Array(data.buffer, data.byteOffset, end >> 2))
    : murmurBytes(data, end);
  const rest = n & 3;
  if (rest > 0) {
    let k = data[end];
    if (rest > 1) k |= data[end + 1] << 8;
    if (rest > 2) k |= data[end + 2] << 16;
    k = Math.imul(k, MURMUR_C1);
    k = (k << MURMUR_R1) | (k >>> (32 - MURMUR_R1));
    k = Math.imul(k, MURMUR_C2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, FMIX_1);
  h ^= h >>> 13;
  h = Math.imul(h, FMIX_2);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The MurmurHash3 x86_32 block loop over little-endian words. */
function murmurWords(words: Uint32Array): number {
  let h = 0;
  for (let w = 0; w < words.length; w++) {
    let k = Math.imul(words[w], MURMUR_C1);
    k = (k << MURMUR_R1) | (k >>> (32 - MURMUR_R1));
    k = Math.imul(k, MURMUR_C2);
    h ^= k;
    h = (h << MURMUR_R2) | (h >>> (32 - MURMUR_R2));
    h = (Math.imul(h, MURMUR_M) + MURMUR_N) | 0;
  }
  return h;
}

/** {@linkcode murmurWords} over `data[0, end)` read byte by byte (unaligned data). */
function murmurBytes(data: Uint8Array, end: number): number {
  let h = 0;
  for (let i = 0; i < end; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, MURMUR_C1);
    k = (k << MURMUR_R1) | (k >>> (32 - MURMUR_R1));
    k = Math.imul(k, MURMUR_C2);
    h ^= k;
    h = (h << MURMUR_R2) | (h >>> (32 - MURMUR_R2));
    h = (Math.imul(h, MURMUR_M) + MURMUR_N) | 0;
  }
  return h;
}

function malformed(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.DELTA_MALFORMED, message);
}

/** A growable byte buffer for the encoder. */
class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(capacity, LONG_LENGTH));
  }

  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  varint(value: number): void {
    this.reserve(VARINT_MAX_BYTES);
    if (value < VARINT_CONTINUE) {
      this.bytes[this.length++] = value;
      return;
    }
    while (value >= VARINT_CONTINUE) {
      this.bytes[this.length++] = (value % VARINT_RADIX) | VARINT_CONTINUE;
      value = Math.floor(value / VARINT_RADIX);
    }
    this.bytes[this.length++] = value;
  }

  copy(source: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    if (end - start < SMALL_COPY) {
      const bytes = this.bytes;
      let at = this.length;
      for (let i = start; i < end; i++) bytes[at++] = source[i];
      this.length = at;
    } else {
      this.bytes.set(source.subarray(start, end), this.length);
      this.length += end - start;
    }
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Bytes a varint of `value` takes. */
function varintSize(value: number): number {
  if (value < VARINT_CONTINUE) return 1;
  if (value < VARINT_2_BYTES) return 2;
  let size = 1;
  while (value >= VARINT_CONTINUE) {
    value = Math.floor(value / VARINT_RADIX);
    size++;
  }
  return size;
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Bytes an op's tag and length take. */
function lengthSize(length: number): number {
  return length < LONG_LENGTH ? 1 : 1 + varintSize(length - LONG_LENGTH);
}

/** Writes an op's tag byte and, for a long op, its length varint. */
function writeOp(out: ByteWriter, op: number, length: number): void {
  if (length < LONG_LENGTH) {
    out.byte((op << OP_SHIFT) | length);
  } else {
    out.byte(op << OP_SHIFT);
    out.varint(length - LONG_LENGTH);
  }
}

/** Writes ops, holding back the last base copy so that a contiguous one merges into it. */
class OpWriter {
  readonly out: ByteWriter;
  /** Where a base copy with no offset field starts. */
  cursor = 0;
  private pendingOffset = -1;
  private pendingLength = 0;

  constructor(out: ByteWriter) {
    this.out = out;
  }

  private tag(op: number, length: number): void {
    writeOp(this.out, op, length);
  }

  /** Writes pending ops and returns the buffer, for an encoder that writes ops itself. */
  raw(): ByteWriter {
    this.flush();
    return this.out;
  }

  private flush(): void {
    if (this.pendingLength === 0) return;
    const offset = this.pendingOffset;
    const length = this.pendingLength;
    this.pendingLength = 0;
    if (offset === this.cursor) {
      this.tag(OP_COPY_CURSOR, length);
    } else {
      this.tag(OP_COPY_BASE, length);
      this.out.varint(zigzag(offset - this.cursor));
    }
    this.cursor = offset + length;
  }

  /** The cursor once pending ops are written. */
  nextCursor(): number {
    return this.pendingLength > 0 ? this.pendingOffset + this.pendingLength : this.cursor;
  }

  literal(source: Uint8Array, start: number, end: number): void {
    if (end <= start) return;
    this.flush();
    this.tag(OP_LITERAL, end - start);
    this.out.copy(source, start, end);
    this.cursor += end - start;
  }

  copyBase(offset: number, length: number): void {
    if (length <= 0) return;
    if (this.pendingLength > 0 && this.pendingOffset + this.pendingLength === offset) {
      this.pendingLength += length;
      return;
    }
    this.flush();
    this.pendingOffset = offset;
    this.pendingLength = length;
  }

  copyOutput(distance: number, length: number): void {
    this.flush();
    this.tag(OP_COPY_OUTPUT, length);
    this.out.varint(distance - 1);
    this.cursor += length;
  }

  finish(): void {
    this.flush();
  }
}

function read32(data: Uint8Array, at: number): number {
  return data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24);
}

const NO_MATCH = 0;
const MATCH_BASE = 1;
const MATCH_OUTPUT = 2;

/** Hash of the `BASE_KEY_BYTES` bytes at `at`. */
function baseKey(data: Uint8Array, at: number, shift: number): number {
  return (Math.imul(read32(data, at), HASH_MULTIPLIER) ^
    Math.imul(read32(data, at + 4), HASH_MULTIPLIER_2) ^
    Math.imul(read32(data, at + 8), HASH_MULTIPLIER_3)) >>> shift;
}

function hashBits(entries: number): number {
  let bits = MIN_HASH_BITS;
  while (bits < MAX_HASH_BITS && 1 << bits < entries) bits++;
  return bits;
}

/**
 * The rare, long ops of {@linkcode encodeFresh}, out of its hot loop: writes
 * at `at` a literal of `target[from, from + length)` (`target` given) or an
 * output copy of `length` bytes at varint `from` (`target` null); returns
 * the new write position.
 */
function writeRaw(
  writer: ByteWriter,
  at: number,
  op: number,
  length: number,
  target: Uint8Array | null,
  from: number,
): number {
  writer.length = at;
  writeOp(writer, op, length);
  if (target) writer.copy(target, from, from + length);
  else writer.varint(from);
  return writer.length;
}

/**
 * Encodes `target[start, end)` against itself only, LZ4-style: a one-slot
 * hash of 6-byte keys (no chains), greedy matches extended both ways, the two
 * positions before each match end indexed, and a step that grows with every
 * run of misses. Used when there is (almost) no base, above all for the first SYNC of
 * a stream: linear, and a few times faster than the general search.
 */
function encodeFresh(target: Uint8Array, start: number, end: number, ops: OpWriter): void {
  const writer = ops.raw();
  // Literals and output copies each advance the cursor by their length.
  ops.cursor += end - start;
  // Copies are only taken when they save bytes, so this bounds the output.
  writer.reserve(end - start + ((end - start) >> 4) + 2 * LONG_LENGTH);
  let out = writer.bytes;
  let at = writer.length;
  const last = end - FRESH_KEY_BYTES;
  let literalStart = start;
  if (last - start >= HASH_BYTES) {
    let bits = FRESH_MIN_BITS;
    while (bits < FRESH_MAX_BITS && 1 << bits < end - start) bits++;
    const shift = 32 - bits;
    const table = new Int32Array(1 << bits);
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    let t = start;
    let misses = 0;
    while (t <= last) {
      const word = view.getInt32(t, true);
      const h = (Math.imul(word, HASH_MULTIPLIER) ^
        Math.imul(view.getUint16(t + 4, true), HASH_MULTIPLIER_2)) >>> shift;
      const p = table[h] - 1;
      table[h] = t + 1;
      if (p < 0 || view.getInt32(p, true) !== word) {
        t += 1 + (misses++ >> FRESH_SKIP_SHIFT);
        continue;
      }
      let length = HASH_BYTES;
      const maxLength = end - t;
      while (
        length + HASH_BYTES <= maxLength &&
        view.getInt32(p + length, true) === view.getInt32(t + length, true)
      ) length += HASH_BYTES;
      while (length < maxLength && target[p + length] === target[t + length]) length++;
      let from = t;
      let source = p;
      while (from > literalStart && source > 0 && target[source - 1] === target[from - 1]) {
        from--;
        source--;
      }
      length += t - from;
      const distance = from - source - 1;
      const cost = (length < LONG_LENGTH ? 1 : 1 + varintSize(length - LONG_LENGTH)) +
        (distance < VARINT_CONTINUE ? 1 : distance < VARINT_2_BYTES ? 2 : varintSize(distance));
      if (length - cost <= MIN_GAIN) {
        t += 1 + (misses++ >> FRESH_SKIP_SHIFT);
        continue;
      }
      misses = 0;
      if (from > literalStart) {
        const n = from - literalStart;
        if (n < LONG_LENGTH) {
          out[at++] = (OP_LITERAL << OP_SHIFT) | n;
          for (let i = literalStart; i < from; i++) out[at++] = target[i];
        } else {
          at = writeRaw(writer, at, OP_LITERAL, n, target, literalStart);
          out = writer.bytes;
        }
      }
      if (length < LONG_LENGTH && distance < VARINT_2_BYTES) {
        out[at++] = (OP_COPY_OUTPUT << OP_SHIFT) | length;
        if (distance < VARINT_CONTINUE) {
          out[at++] = distance;
        } else {
          out[at++] = (distance & VARINT_PAYLOAD_MASK) | VARINT_CONTINUE;
          out[at++] = distance >> VARINT_PAYLOAD_BITS;
        }
      } else {
        at = writeRaw(writer, at, OP_COPY_OUTPUT, length, null, distance);
        out = writer.bytes;
      }
      t = literalStart = from + length;
      // Index the two positions before the end, so a following repeat is found.
      for (let i = Math.max(from + 1, t - 2); i < t && i <= last; i++) {
        const key = target[i] | (target[i + 1] << 8) | (target[i + 2] << 16) |
          (target[i + 3] << 24);
        table[
          (Math.imul(key, HASH_MULTIPLIER) ^
            Math.imul(target[i + 4] | (target[i + 5] << 8), HASH_MULTIPLIER_2)) >>> shift
        ] = i + 1;
      }
    }
  }
  writer.length = at;
  if (end > literalStart) writeOp(writer, OP_LITERAL, end - literalStart);
  writer.copy(target, literalStart, end);
}

/**
 * Encodes the changed middle of the target with greedy, one-step-lazy
 * matching. Near the start of each run of new bytes it only probes base
 * positions close to the current and the two last long-copy alignments
 * (cheap, catches edits in place). If that fails it builds the indexes: a
 * chained hash of 12-byte keys at every 8th base position around the middle,
 * and a one-slot hash of 4-byte keys of the output so far (self-copies).
 */
class MiddleEncoder {
  private readonly base: Uint8Array;
  private readonly target: Uint8Array;
  private readonly baseStart: number;
  private readonly baseEnd: number;
  private readonly targetStart: number;
  private readonly targetEnd: number;
  private readonly ops: OpWriter;
  private readonly lastHash: number;

  private indexed = false;
  /** Search work done so far (see WORK_PER_BYTE). */
  private work = 0;
  private baseHead: Int32Array = new Int32Array(0);
  private baseChain: Int32Array = new Int32Array(0);
  private baseShift = 0;
  private indexStart = 0;
  private outputHead: Int32Array = new Int32Array(0);
  private outputShift = 0;

  /** Base position minus target position of the last two long base copies. */
  private anchor = 0;
  private previousAnchor = 0;
  private literalStart: number;

  // The best match found by the last search.
  private kind = NO_MATCH;
  private position = 0;
  private length = 0;
  private gain = 0;

  constructor(
    base: Uint8Array,
    target: Uint8Array,
    baseStart: number,
    baseEnd: number,
    targetStart: number,
    targetEnd: number,
    ops: OpWriter,
  ) {
    this.base = base;
    this.target = target;
    this.baseStart = baseStart;
    this.baseEnd = baseEnd;
    this.targetStart = targetStart;
    this.targetEnd = targetEnd;
    this.ops = ops;
    this.lastHash = targetEnd - HASH_BYTES;
    this.literalStart = targetStart;
    this.anchor = this.previousAnchor = baseStart - targetStart;
  }

  encode(): void {
    let t = this.targetStart;
    let misses = 0;
    while (t <= this.lastHash) {
      if (this.work > WORK_PER_BYTE * (t - this.targetStart) + WORK_FLOOR) {
        // Out of budget (repetitive or unrelated data): finish in one fast pass.
        encodeFresh(this.target, this.literalStart, this.targetEnd, this.ops);
        return;
      }
      if (!this.indexed && this.base.length >= HASH_BYTES) {
        const localEnd = Math.min(this.lastHash, this.literalStart + LOCAL_SPAN);
        let found = false;
        for (; t <= localEnd; t++) {
          this.searchLocal(t);
          if (this.length >= LOCAL_ACCEPT) {
            t = this.emitLazy(t, false);
            found = true;
            break;
          }
          // A short match may be a misalignment: let the global search weigh it.
          if (this.gain > MIN_GAIN) break;
        }
        if (found) continue;
        if (t > this.lastHash) break;
        t = this.literalStart;
      }
      if (!this.indexed) this.buildIndex();
      this.searchGlobal(t);
      if (this.gain <= MIN_GAIN) {
        this.insert(t);
        misses++;
        t += 1 + (misses >> SKIP_TRIGGER_SHIFT);
        continue;
      }
      misses = 0;
      t = this.emitLazy(t, true);
    }
    this.ops.literal(this.target, this.literalStart, this.targetEnd);
  }

  /**
   * Takes the match found at `t`, unless it is short and a match found up to
   * {@linkcode LAZY_STEPS} bytes later saves more even after the literal
   * bytes it leaves behind; returns where scanning resumes.
   */
  private emitLazy(t: number, global: boolean): number {
    let kind = this.kind;
    let position = this.position;
    let length = this.length;
    let gain = this.gain;
    let at = t;
    // Without a base index, self-copies only: one step is enough and keeps a first SYNC fast.
    const steps = this.baseChain.length > 0 || !global ? LAZY_STEPS : 1;
    const last = Math.min(this.lastHash, t + steps);
    for (let u = t + 1; u <= last && length < LAZY_LIMIT; u++) {
      if (global) {
        this.insert(u - 1);
        this.searchGlobal(u);
      } else {
        this.searchLocal(u);
      }
      if (this.gain > gain + (u - at)) {
        kind = this.kind;
        position = this.position;
        length = this.length;
        gain = this.gain;
        at = u;
      }
    }
    this.kind = kind;
    this.position = position;
    this.length = length;
    this.gain = gain;
    return this.emit(at);
  }

  /** Writes the pending literal and the current match at `t`; returns the match end. */
  private emit(t: number): number {
    const target = this.target;
    let length = this.length;
    let p = this.position;
    const source = this.kind === MATCH_BASE ? this.base : target;
    while (t > this.literalStart && p > 0 && source[p - 1] === target[t - 1]) {
      t--;
      p--;
      length++;
    }
    this.ops.literal(target, this.literalStart, t);
    if (this.kind === MATCH_BASE) {
      this.ops.copyBase(p, length);
      if (length >= ANCHOR_LENGTH && p - t !== this.anchor) {
        this.previousAnchor = this.anchor;
        this.anchor = p - t;
      }
    } else {
      this.ops.copyOutput(t - p, length);
    }
    const end = t + length;
    if (this.indexed) {
      const last = Math.min(end, this.lastHash + 1);
      const from = length <= INDEX_MATCH_LIMIT ? t : Math.max(t, last - INDEX_MATCH_TAIL);
      for (let i = from; i < last; i++) this.insert(i);
    }
    this.literalStart = end;
    return end;
  }

  /** Measures the base match at `p` for target `t` and keeps it if it is the best so far. */
  private tryBase(p: number, t: number, word: number, cursor: number): void {
    const base = this.base;
    const target = this.target;
    this.work++;
    if (p < 0 || p + HASH_BYTES > base.length || read32(base, p) !== word) return;
    const best = this.length;
    if (best > 0 && base[p + best] !== target[t + best]) return;
    const limit = Math.min(this.targetEnd - t, base.length - p);
    let length = HASH_BYTES;
    while (length < limit && base[p + length] === target[t + length]) length++;
    this.work += length >> WORK_BYTE_SHIFT;
    const gain = length - lengthSize(length) -
      (p === cursor ? 0 : varintSize(zigzag(p - cursor)));
    if (gain > this.gain) {
      this.kind = MATCH_BASE;
      this.position = p;
      this.length = length;
      this.gain = gain;
    }
  }

  /** Tries the current alignment, the anchors, and (near the start of a run) positions around them. */
  private searchLocal(t: number): void {
    this.kind = NO_MATCH;
    this.length = 0;
    this.gain = 0;
    const word = read32(this.target, t);
    const cursor = this.ops.nextCursor() + (t - this.literalStart);
    this.tryBase(cursor, t, word, cursor);
    if (this.length >= GOOD_MATCH) return;
    const anchor = t + this.anchor;
    const previous = t + this.previousAnchor;
    if (anchor !== cursor) this.tryBase(anchor, t, word, cursor);
    if (previous !== cursor && previous !== anchor) this.tryBase(previous, t, word, cursor);
    if (this.length >= GOOD_MATCH || t - this.literalStart > LOCAL_SPAN) return;
    for (let d = 1; d <= PROBE_RADIUS; d++) {
      this.tryBase(cursor + d, t, word, cursor);
      this.tryBase(cursor - d, t, word, cursor);
      if (anchor !== cursor) {
        this.tryBase(anchor + d, t, word, cursor);
        this.tryBase(anchor - d, t, word, cursor);
      }
    }
  }

  /** {@linkcode searchLocal}, then the base hash chain and the output slot of `t`. */
  private searchGlobal(t: number): void {
    this.searchLocal(t);
    if (this.length >= GOOD_MATCH) return;
    const target = this.target;
    const word = read32(target, t);
    const maxLength = this.targetEnd - t;
    if (this.baseChain.length > 0 && maxLength >= BASE_KEY_BYTES) {
      const chain = this.baseChain;
      const cursor = this.ops.nextCursor() + (t - this.literalStart);
      let candidate = this.baseHead[baseKey(target, t, this.baseShift)];
      let steps = MAX_CHAIN;
      while (candidate !== 0 && steps-- > 0) {
        this.tryBase(this.indexStart + (candidate - 1) * BASE_STRIDE, t, word, cursor);
        if (this.length >= GOOD_MATCH || this.length === maxLength) return;
        candidate = chain[candidate - 1];
      }
    }
    const p = this.outputHead[Math.imul(word, HASH_MULTIPLIER) >>> this.outputShift] - 1;
    // The slot may hold a position scanned ahead by the lazy search: only earlier ones are output.
    if (p < 0 || p >= t || read32(target, p) !== word) return;
    let length = HASH_BYTES;
    while (length < maxLength && target[p + length] === target[t + length]) length++;
    this.work += 1 + (length >> WORK_BYTE_SHIFT);
    const gain = length - lengthSize(length) - varintSize(t - p - 1);
    if (gain > this.gain) {
      this.kind = MATCH_OUTPUT;
      this.position = p;
      this.length = length;
      this.gain = gain;
    }
  }

  /** Indexes the base around the middle; output positions are added as they are scanned. */
  private buildIndex(): void {
    this.indexed = true;
    const base = this.base;
    const start = Math.max(0, this.baseStart - INDEX_MARGIN);
    const end = Math.min(base.length, this.baseEnd + INDEX_MARGIN) - BASE_KEY_BYTES;
    this.indexStart = start;
    if (end >= start) {
      const slots = Math.floor((end - start) / BASE_STRIDE) + 1;
      const bits = hashBits(slots);
      const shift = this.baseShift = 32 - bits;
      const head = this.baseHead = new Int32Array(1 << bits);
      const chain = this.baseChain = new Int32Array(slots);
      for (let i = 0, p = start; i < slots; i++, p += BASE_STRIDE) {
        const h = baseKey(base, p, shift);
        chain[i] = head[h];
        head[h] = i + 1;
      }
    }
    const bits = hashBits(this.targetEnd - this.targetStart);
    this.outputShift = 32 - bits;
    this.outputHead = new Int32Array(1 << bits);
  }

  /** Makes output position `t` the self-copy candidate for its 4 bytes. */
  private insert(t: number): void {
    if (!this.indexed || t > this.lastHash) return;
    this.outputHead[Math.imul(read32(this.target, t), HASH_MULTIPLIER) >>> this.outputShift] = t +
      1;
  }
}

/**
 * Creates a delta that turns `base` into `target`. The delta costs roughly
 * what changed: unchanged runs become short copy ops, new bytes are carried
 * as literals or as copies of bytes already produced.
 *
 * Pure and synchronous; neither input is modified.
 *
 * @param base the state the receiver holds (empty for a first SYNC)
 * @param target the new state
 * @returns the delta bytes, to be read by {@linkcode applyDelta}
 *
 * @example
 * ```ts
 * import { createDelta } from "./delta.ts";
 * const utf8 = new TextEncoder();
 * const delta = createDelta(utf8.encode('{"n":1,"big":"…"}'), utf8.encode('{"n":2,"big":"…"}'));
 * console.log(delta.length);
 * ```
 */
export function createDelta(base: Uint8Array, target: Uint8Array): Uint8Array {
  const baseLength = base.length;
  const targetLength = target.length;
  const shorter = Math.min(baseLength, targetLength);
  let prefix = 0;
  while (prefix < shorter && base[prefix] === target[prefix]) prefix++;
  let suffix = 0;
  const maxSuffix = shorter - prefix;
  while (
    suffix < maxSuffix && base[baseLength - 1 - suffix] === target[targetLength - 1 - suffix]
  ) suffix++;

  const out = new ByteWriter(2 * VARINT_MAX_BYTES + CHECKSUM_SIZE + 1 + (targetLength >> 4));
  out.byte(DELTA_VERSION);
  out.varint(baseLength);
  out.varint(zigzag(targetLength - baseLength));
  const checksum = deltaChecksum(target);
  out.byte(checksum & BYTE_MASK);
  out.byte((checksum >>> 8) & BYTE_MASK);
  out.byte((checksum >>> 16) & BYTE_MASK);
  out.byte(checksum >>> 24);

  const ops = new OpWriter(out);
  ops.copyBase(0, prefix);
  if (baseLength < FRESH_BASE_LIMIT) {
    encodeFresh(target, prefix, targetLength - suffix, ops);
  } else {
    new MiddleEncoder(base, target, prefix, baseLength - suffix, prefix, targetLength - suffix, ops)
      .encode();
  }
  ops.copyBase(baseLength - suffix, suffix);
  ops.finish();
  return out.finish();
}

/** Reads a varint at `reader.at`, or throws DELTA_MALFORMED naming `what`. */
function readVarint(delta: Uint8Array, reader: { at: number }, what: string): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < VARINT_MAX_BYTES; i++) {
    if (reader.at >= delta.length) throw malformed(`Delta ends inside the ${what}`);
    const byte = delta[reader.at++];
    value += (byte & VARINT_PAYLOAD_MASK) * scale;
    if (byte < VARINT_CONTINUE) {
      if (value > Number.MAX_SAFE_INTEGER) throw malformed(`The ${what} is too large`);
      return value;
    }
    scale *= 2 ** VARINT_PAYLOAD_BITS;
  }
  throw malformed(`The ${what} is longer than ${VARINT_MAX_BYTES} bytes`);
}

/**
 * Reads the header of a delta without applying it.
 *
 * @param delta the delta bytes
 * @returns the base length, target length, checksum and where ops start
 * @throws {ProtocolError} DELTA_MALFORMED if the header is truncated or of an unknown version
 *
 * @example
 * ```ts
 * import { createDelta, readDeltaHeader } from "./delta.ts";
 * const delta = createDelta(new Uint8Array(0), new Uint8Array([1, 2, 3]));
 * console.log(readDeltaHeader(delta).targetLength); // 3
 * ```
 */
export function readDeltaHeader(delta: Uint8Array): DeltaHeader {
  if (delta.length === 0) throw malformed("Delta is empty");
  if (delta[0] !== DELTA_VERSION) {
    throw malformed(`Delta version byte is 0x${delta[0].toString(16)}, expected 0xd1`);
  }
  const reader = { at: 1 };
  const baseLength = readVarint(delta, reader, "base length");
  const targetLength = baseLength + unzigzag(readVarint(delta, reader, "target length change"));
  if (targetLength < 0) throw malformed(`Delta declares a negative target length ${targetLength}`);
  if (reader.at + CHECKSUM_SIZE > delta.length) throw malformed("Delta ends inside the checksum");
  const at = reader.at;
  const checksum =
    (delta[at] | (delta[at + 1] << 8) | (delta[at + 2] << 16) | (delta[at + 3] << 24)) >>>
    0;
  return { baseLength, targetLength, checksum, opsOffset: at + CHECKSUM_SIZE };
}

/**
 * Returns the length of the state a delta produces, from its header.
 *
 * @param delta the delta bytes
 * @returns the target length in bytes
 * @throws {ProtocolError} DELTA_MALFORMED if the header is truncated or of an unknown version
 *
 * @example
 * ```ts
 * import { createDelta, deltaTargetLength } from "./delta.ts";
 * console.log(deltaTargetLength(createDelta(new Uint8Array(4), new Uint8Array(9)))); // 9
 * ```
 */
export function deltaTargetLength(delta: Uint8Array): number {
  return readDeltaHeader(delta).targetLength;
}

/**
 * Copies `length` bytes front to back, so an overlapping copy within one
 * array repeats its source as the format requires.
 */
function copyBytes(
  source: Uint8Array,
  from: number,
  out: Uint8Array,
  to: number,
  length: number,
): void {
  if (length < SMALL_COPY) {
    for (let i = 0; i < length; i++) out[to + i] = source[from + i];
  } else if (source === out) {
    out.copyWithin(to, from, from + length);
  } else {
    out.set(source.subarray(from, from + length), to);
  }
}

/**
 * Walks the ops. With `out` null it only validates every length and offset
 * against the delta, the base and the declared target length; with `out` it
 * writes the target (the ops were validated before, so it cannot overrun).
 */
function runOps(
  base: Uint8Array,
  delta: Uint8Array,
  start: number,
  targetLength: number,
  out: Uint8Array | null,
): void {
  const reader = { at: start };
  const baseLength = base.length;
  let written = 0;
  let cursor = 0;
  while (reader.at < delta.length) {
    const tag = delta[reader.at++];
    const op = tag >> OP_SHIFT;
    let length = tag & INLINE_LENGTH_MASK;
    if (length === 0) length = LONG_LENGTH + readVarint(delta, reader, "op length");
    if (length > targetLength - written) {
      throw malformed(
        `Op at byte ${reader.at} writes ${length} bytes past the target length ${targetLength}`,
      );
    }
    if (op === OP_LITERAL) {
      if (length > delta.length - reader.at) {
        throw malformed(`Literal of ${length} bytes runs past the end of the delta`);
      }
      if (out) copyBytes(delta, reader.at, out, written, length);
      reader.at += length;
      cursor += length;
    } else if (op === OP_COPY_OUTPUT) {
      const distance = readVarint(delta, reader, "copy distance") + 1;
      if (distance > written) {
        throw malformed(`Copy reaches ${distance} bytes back with only ${written} written`);
      }
      if (out) {
        const from = written - distance;
        if (length < SMALL_COPY || distance >= length) {
          copyBytes(out, from, out, written, length);
        } else {
          // Overlapping: each pass doubles the repeated run.
          let done = 0;
          let run = distance;
          while (done < length) {
            const n = Math.min(run, length - done);
            out.copyWithin(written + done, from, from + n);
            done += n;
            run += n;
          }
        }
      }
      cursor += length;
    } else {
      const offset = op === OP_COPY_BASE
        ? cursor + unzigzag(readVarint(delta, reader, "copy offset"))
        : cursor;
      if (offset < 0 || offset > baseLength - length) {
        throw malformed(
          `Copy of ${length} bytes at base offset ${offset} is outside the base of ${baseLength}`,
        );
      }
      if (out) copyBytes(base, offset, out, written, length);
      cursor = offset + length;
    }
    written += length;
  }
  if (written !== targetLength) {
    throw malformed(`Delta ops produce ${written} bytes, the header says ${targetLength}`);
  }
}

/**
 * Applies a delta made by {@linkcode createDelta} to `base`.
 *
 * Every length in the delta is checked against the bytes left, the base and
 * the declared target length before the target is allocated, so hostile input
 * raises a {@linkcode ProtocolError}, never an out-of-bounds read or a huge
 * allocation.
 *
 * @param base the state the receiver holds (empty before the first SYNC)
 * @param delta the delta bytes
 * @param options limits, see {@linkcode ApplyDeltaOptions}
 * @returns the new state, a fresh array
 * @throws {ProtocolError} DELTA_BASE_MISMATCH if `base` has the wrong length,
 * DELTA_CHECKSUM_MISMATCH if the rebuilt state fails the checksum (a wrong
 * base of the right length), DELTA_MALFORMED for truncated or garbage deltas
 *
 * @example
 * ```ts
 * import { applyDelta, createDelta } from "./delta.ts";
 * const base = new TextEncoder().encode("hello world");
 * const target = new TextEncoder().encode("hello, world!");
 * const rebuilt = applyDelta(base, createDelta(base, target));
 * console.log(new TextDecoder().decode(rebuilt)); // "hello, world!"
 * ```
 */
export function applyDelta(
  base: Uint8Array,
  delta: Uint8Array,
  options: ApplyDeltaOptions = {},
): Uint8Array {
  const header = readDeltaHeader(delta);
  if (header.baseLength !== base.length) {
    throw new ProtocolError(
      ErrorCode.DELTA_BASE_MISMATCH,
      `Delta expects a base of ${header.baseLength} bytes, got ${base.length}`,
    );
  }
  const limit = options.maxTargetLength ?? DEFAULT_MAX_TARGET_LENGTH;
  if (header.targetLength > limit) {
    throw malformed(`Delta target of ${header.targetLength} bytes exceeds the limit of ${limit}`);
  }
  runOps(base, delta, header.opsOffset, header.targetLength, null);
  const out = new Uint8Array(header.targetLength);
  runOps(base, delta, header.opsOffset, header.targetLength, out);
  const checksum = deltaChecksum(out);
  if (checksum !== header.checksum) {
    throw new ProtocolError(
      ErrorCode.DELTA_CHECKSUM_MISMATCH,
      `Rebuilt state has checksum ${checksum}, the delta says ${header.checksum}`,
    );
  }
  return out;
}
