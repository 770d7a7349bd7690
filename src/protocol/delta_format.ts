/**
 * The numbers of the SYNC delta format that the encoder and the decoder must
 * agree on: the version byte, the op codes, how an op's tag byte packs its
 * length and how varints are laid out. Changing any of them changes the format
 * (see docs/DELTA.md), so they live in one place; speed/size thresholds that
 * can change freely are in `_delta_tuning.ts`.
 *
 * Files with hot loops import these under another name and copy them into
 * module-local constants (`import { OP_SHIFT as FORMAT_OP_SHIFT }`, then
 * `const OP_SHIFT = FORMAT_OP_SHIFT;`), so the loops keep the names they had
 * and run as fast as when the codec was one file: V8 folds a module's own
 * constants into optimized code, but loads an imported or exported binding on
 * every use (importing the encoder's thresholds by name made `createDelta`
 * about 18% slower). A namespace import with destructuring would be shorter,
 * but the client bundle would then carry every constant and the encoder's
 * copies of them, which the bundler cannot drop.
 *
 * @example
 * ```ts
 * import { DELTA_VERSION, LONG_LENGTH, OP_COPY_CURSOR, OP_SHIFT } from "./delta_format.ts";
 * // A COPY_CURSOR of 16 bytes, as in the example of docs/DELTA.md.
 * const tag = (OP_COPY_CURSOR << OP_SHIFT) | 16;
 * console.log(DELTA_VERSION.toString(16), tag.toString(16), 16 < LONG_LENGTH); // d1 d0 true
 * ```
 * @module
 */

import { ErrorCode, ProtocolError } from "./errors.ts";

/** The first byte of every delta: format version 1. */
export const DELTA_VERSION = 0xd1;

/** Op: the next `length` bytes of the delta are copied to the output. */
export const OP_LITERAL = 0;
/** Op: copy `length` bytes of the base from `cursor + zigzag varint`. */
export const OP_COPY_BASE = 1;
/** Op: copy `length` bytes from `distance` bytes back in the output (may overlap). */
export const OP_COPY_OUTPUT = 2;
/** Op: copy `length` bytes of the base from the cursor, no offset field. */
export const OP_COPY_CURSOR = 3;

/** @internal The op is in the top two bits of a tag byte. */
export const OP_SHIFT = 6;
/** @internal The low six bits of a tag byte: a length of 1..63, or 0 for a long op. */
export const INLINE_LENGTH_MASK = 0x3f;
/** @internal Lengths of at least this many bytes are written as a varint after the tag. */
export const LONG_LENGTH = 64;
/** @internal Bytes of the u32 LE checksum in the header. */
export const CHECKSUM_SIZE = 4;

/** @internal The most bytes of a varint: 56 bits hold every safe integer. */
export const VARINT_MAX_BYTES = 8;
/** @internal Payload bits per varint byte, least significant group first. */
export const VARINT_PAYLOAD_BITS = 7;
/** @internal The payload bits of a varint byte. */
export const VARINT_PAYLOAD_MASK = 0x7f;
/** @internal Set on every varint byte but the last. */
export const VARINT_CONTINUE = 0x80;
/** @internal 2^VARINT_PAYLOAD_BITS, for arithmetic past 32 bits (where shifts stop working). */
export const VARINT_RADIX = 128;
/** @internal Values below this take at most two varint bytes. */
export const VARINT_2_BYTES = VARINT_RADIX * VARINT_RADIX;

/**
 * @internal The error for any delta that breaks the format, so every reader
 * (header, varints, ops) reports it with the same code.
 */
export function malformed(message: string): ProtocolError {
  return new ProtocolError(ErrorCode.DELTA_MALFORMED, message);
}
