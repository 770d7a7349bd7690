/**
 * The one-pass encoder for a middle with (almost) no base to copy from,
 * above all the first SYNC of a stream, where the whole state is new: the
 * general search would block the event loop for tens of milliseconds on a
 * large state (27-112 ms on 240-800 KB), while this LZ4-style pass stays
 * linear. The middle encoder also falls back to it when its work budget runs
 * out. The hot loop writes short ops straight into the output buffer, a few
 * stores each; only the rare long ones go through `ByteWriter`.
 *
 * @example
 * ```ts
 * import { encodeFresh } from "./_delta_fresh_encoder.ts";
 * import { ByteWriter, OpWriter } from "./_delta_writer.ts";
 * const target = new TextEncoder().encode('{"a":[1,2,3],"b":[1,2,3],"c":[1,2,3]}');
 * const ops = new OpWriter(new ByteWriter(64));
 * encodeFresh(target, 0, target.length, ops);
 * ops.finish();
 * console.log(ops.out.finish().length < target.length); // true: the repeats became copies
 * ```
 * @module
 */

import {
  LONG_LENGTH as FORMAT_LONG_LENGTH,
  OP_COPY_OUTPUT as FORMAT_OP_COPY_OUTPUT,
  OP_LITERAL as FORMAT_OP_LITERAL,
  OP_SHIFT as FORMAT_OP_SHIFT,
  VARINT_2_BYTES as FORMAT_VARINT_2_BYTES,
  VARINT_CONTINUE as FORMAT_VARINT_CONTINUE,
  VARINT_PAYLOAD_BITS as FORMAT_VARINT_PAYLOAD_BITS,
  VARINT_PAYLOAD_MASK as FORMAT_VARINT_PAYLOAD_MASK,
} from "./delta_format.ts";
import {
  FRESH_KEY_BYTES as TUNED_FRESH_KEY_BYTES,
  FRESH_MAX_BITS as TUNED_FRESH_MAX_BITS,
  FRESH_MIN_BITS as TUNED_FRESH_MIN_BITS,
  FRESH_SKIP_SHIFT as TUNED_FRESH_SKIP_SHIFT,
  HASH_BYTES as TUNED_HASH_BYTES,
  HASH_MULTIPLIER as TUNED_HASH_MULTIPLIER,
  HASH_MULTIPLIER_2 as TUNED_HASH_MULTIPLIER_2,
  MIN_GAIN as TUNED_MIN_GAIN,
} from "./_delta_tuning.ts";
import { varintSize } from "./_delta_varint.ts";
import { type ByteWriter, type OpWriter, writeOp } from "./_delta_writer.ts";

// Module-local copies of the imports above: see delta_format.ts.
const LONG_LENGTH = FORMAT_LONG_LENGTH;
const OP_COPY_OUTPUT = FORMAT_OP_COPY_OUTPUT;
const OP_LITERAL = FORMAT_OP_LITERAL;
const OP_SHIFT = FORMAT_OP_SHIFT;
const VARINT_2_BYTES = FORMAT_VARINT_2_BYTES;
const VARINT_CONTINUE = FORMAT_VARINT_CONTINUE;
const VARINT_PAYLOAD_BITS = FORMAT_VARINT_PAYLOAD_BITS;
const VARINT_PAYLOAD_MASK = FORMAT_VARINT_PAYLOAD_MASK;
const FRESH_KEY_BYTES = TUNED_FRESH_KEY_BYTES;
const FRESH_MAX_BITS = TUNED_FRESH_MAX_BITS;
const FRESH_MIN_BITS = TUNED_FRESH_MIN_BITS;
const FRESH_SKIP_SHIFT = TUNED_FRESH_SKIP_SHIFT;
const HASH_BYTES = TUNED_HASH_BYTES;
const HASH_MULTIPLIER = TUNED_HASH_MULTIPLIER;
const HASH_MULTIPLIER_2 = TUNED_HASH_MULTIPLIER_2;
const MIN_GAIN = TUNED_MIN_GAIN;

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
export function encodeFresh(target: Uint8Array, start: number, end: number, ops: OpWriter): void {
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
