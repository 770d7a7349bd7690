/**
 * Where the middle encoder finds what to copy: the base (at the current
 * alignment, near the last long-copy alignments, or through a hash index) and
 * the output already written (self-copies). It keeps the best candidate of the
 * last search, ranked by the bytes it saves after the cost of its op, and
 * counts the work each search does so the encoder can bound it. It is a base
 * class of `MiddleEncoder` rather than an object of its own, so the hot scan
 * reads the match and the indexes as fields of one object, as before the
 * split.
 *
 * @example
 * ```ts
 * import { BASE_MATCH, MatchFinder } from "./_delta_match_finder.ts";
 * import { ByteWriter, OpWriter } from "./_delta_writer.ts";
 * class Probe extends MatchFinder {
 *   best(t: number): [boolean, number, number] {
 *     this.searchLocal(t);
 *     return [this.kind === BASE_MATCH, this.position, this.length];
 *   }
 * }
 * const utf8 = new TextEncoder();
 * const base = utf8.encode('{"id":7,"name":"ssocket","tags":["ws","deno"]}');
 * const target = utf8.encode('{"id":8,"name":"ssocket","tags":["ws","deno"]}');
 * const ops = new OpWriter(new ByteWriter(64));
 * // Byte 6 differs; the search at 7 finds the base bytes in place.
 * const probe = new Probe(base, target, 6, base.length, 6, target.length, ops);
 * console.log(probe.best(7)); // [ true, 7, 39 ]
 * ```
 * @module
 */

import {
  BASE_KEY_BYTES as TUNED_BASE_KEY_BYTES,
  BASE_STRIDE as TUNED_BASE_STRIDE,
  GOOD_MATCH as TUNED_GOOD_MATCH,
  HASH_BYTES as TUNED_HASH_BYTES,
  HASH_MULTIPLIER as TUNED_HASH_MULTIPLIER,
  HASH_MULTIPLIER_2 as TUNED_HASH_MULTIPLIER_2,
  HASH_MULTIPLIER_3 as TUNED_HASH_MULTIPLIER_3,
  INDEX_MARGIN as TUNED_INDEX_MARGIN,
  LOCAL_SPAN as TUNED_LOCAL_SPAN,
  MAX_CHAIN as TUNED_MAX_CHAIN,
  MAX_HASH_BITS as TUNED_MAX_HASH_BITS,
  MIN_HASH_BITS as TUNED_MIN_HASH_BITS,
  PROBE_RADIUS as TUNED_PROBE_RADIUS,
  WORK_BYTE_SHIFT as TUNED_WORK_BYTE_SHIFT,
} from "./_delta_tuning.ts";
import { varintSize, zigzag } from "./_delta_varint.ts";
import { lengthSize, type OpWriter } from "./_delta_writer.ts";

// Module-local copies of the imports above: see delta_format.ts.
const BASE_KEY_BYTES = TUNED_BASE_KEY_BYTES;
const BASE_STRIDE = TUNED_BASE_STRIDE;
const GOOD_MATCH = TUNED_GOOD_MATCH;
const HASH_BYTES = TUNED_HASH_BYTES;
const HASH_MULTIPLIER = TUNED_HASH_MULTIPLIER;
const HASH_MULTIPLIER_2 = TUNED_HASH_MULTIPLIER_2;
const HASH_MULTIPLIER_3 = TUNED_HASH_MULTIPLIER_3;
const INDEX_MARGIN = TUNED_INDEX_MARGIN;
const LOCAL_SPAN = TUNED_LOCAL_SPAN;
const MAX_CHAIN = TUNED_MAX_CHAIN;
const MAX_HASH_BITS = TUNED_MAX_HASH_BITS;
const MIN_HASH_BITS = TUNED_MIN_HASH_BITS;
const PROBE_RADIUS = TUNED_PROBE_RADIUS;
const WORK_BYTE_SHIFT = TUNED_WORK_BYTE_SHIFT;

function read32(data: Uint8Array, at: number): number {
  return data[at] | (data[at + 1] << 8) | (data[at + 2] << 16) | (data[at + 3] << 24);
}

const NO_MATCH = 0;
const MATCH_BASE = 1;
const MATCH_OUTPUT = 2;
/**
 * @internal The `kind` of a match in the base, for `MiddleEncoder`: exported
 * under another name so that `MATCH_BASE` stays module-local here (see
 * delta_format.ts).
 */
export const BASE_MATCH = MATCH_BASE;

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
 * The search state and the searches of {@linkcode MiddleEncoder}: every field
 * the scan shares with the searches lives here.
 */
export abstract class MatchFinder {
  protected readonly base: Uint8Array;
  protected readonly target: Uint8Array;
  private readonly baseStart: number;
  private readonly baseEnd: number;
  protected readonly targetStart: number;
  protected readonly targetEnd: number;
  protected readonly ops: OpWriter;
  protected readonly lastHash: number;

  protected indexed = false;
  /** Search work done so far (see WORK_PER_BYTE). */
  protected work = 0;
  private baseHead: Int32Array = new Int32Array(0);
  protected baseChain: Int32Array = new Int32Array(0);
  private baseShift = 0;
  private indexStart = 0;
  private outputHead: Int32Array = new Int32Array(0);
  private outputShift = 0;

  /** Base position minus target position of the last two long base copies. */
  protected anchor = 0;
  protected previousAnchor = 0;
  protected literalStart: number;

  // The best match found by the last search.
  protected kind = NO_MATCH;
  protected position = 0;
  protected length = 0;
  protected gain = 0;

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
  protected searchLocal(t: number): void {
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
  protected searchGlobal(t: number): void {
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
  protected buildIndex(): void {
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
  protected insert(t: number): void {
    if (!this.indexed || t > this.lastHash) return;
    this.outputHead[Math.imul(read32(this.target, t), HASH_MULTIPLIER) >>> this.outputShift] = t +
      1;
  }
}
