/**
 * The delta format's integers: unsigned LEB128 varints of at most 8 bytes and
 * at most 2^53 - 1, so every value is an exact JavaScript number, and zigzag
 * for signed ones. The arithmetic multiplies and divides instead of shifting,
 * because lengths and offsets may exceed 32 bits. Writing a varint is
 * `ByteWriter.varint` in `_delta_writer.ts`, next to the buffer it grows.
 *
 * @example
 * ```ts
 * import { readVarint, unzigzag, varintSize, zigzag } from "./_delta_varint.ts";
 * const bytes = new Uint8Array([0xac, 0x02]); // 300
 * console.log(readVarint(bytes, { at: 0 }, "example"), varintSize(300)); // 300 2
 * console.log(zigzag(-3), unzigzag(5)); // 5 -3
 * ```
 * @module
 */

import {
  malformed,
  VARINT_2_BYTES as FORMAT_VARINT_2_BYTES,
  VARINT_CONTINUE as FORMAT_VARINT_CONTINUE,
  VARINT_MAX_BYTES as FORMAT_VARINT_MAX_BYTES,
  VARINT_PAYLOAD_BITS as FORMAT_VARINT_PAYLOAD_BITS,
  VARINT_PAYLOAD_MASK as FORMAT_VARINT_PAYLOAD_MASK,
  VARINT_RADIX as FORMAT_VARINT_RADIX,
} from "./delta_format.ts";

// Module-local copies of the imports above: see delta_format.ts.
const VARINT_2_BYTES = FORMAT_VARINT_2_BYTES;
const VARINT_CONTINUE = FORMAT_VARINT_CONTINUE;
const VARINT_MAX_BYTES = FORMAT_VARINT_MAX_BYTES;
const VARINT_PAYLOAD_BITS = FORMAT_VARINT_PAYLOAD_BITS;
const VARINT_PAYLOAD_MASK = FORMAT_VARINT_PAYLOAD_MASK;
const VARINT_RADIX = FORMAT_VARINT_RADIX;

/** Bytes a varint of `value` takes. */
export function varintSize(value: number): number {
  if (value < VARINT_CONTINUE) return 1;
  if (value < VARINT_2_BYTES) return 2;
  let size = 1;
  while (value >= VARINT_CONTINUE) {
    value = Math.floor(value / VARINT_RADIX);
    size++;
  }
  return size;
}

export function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Reads a varint at `reader.at`, or throws DELTA_MALFORMED naming `what`. */
export function readVarint(delta: Uint8Array, reader: { at: number }, what: string): number {
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
