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
 * This module is the codec's one entry point and holds no code: callers
 * import from here, while the code is split by concern into the `delta_*.ts`
 * files beside it (those with public names) and `_delta_*.ts` (internals),
 * each short enough to read alone. docs/DELTA.md lists which file holds what.
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

export { createDelta } from "./delta_encoder.ts";
export { applyDelta, type ApplyDeltaOptions, DEFAULT_MAX_TARGET_LENGTH } from "./delta_decoder.ts";
export { type DeltaHeader, deltaTargetLength, readDeltaHeader } from "./delta_header.ts";
export { deltaChecksum } from "./delta_checksum.ts";
export {
  DELTA_VERSION,
  OP_COPY_BASE,
  OP_COPY_CURSOR,
  OP_COPY_OUTPUT,
  OP_LITERAL,
} from "./delta_format.ts";
