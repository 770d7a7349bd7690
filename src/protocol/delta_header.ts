/**
 * Reads the fixed header of a delta on its own, so a receiver can see what a
 * delta expects before applying it: the client looks for base length 0 (a
 * delta that replaces the state), `applyDelta` checks the base length and
 * the target size before it allocates anything.
 *
 * ```
 * u8 version (0xd1) | varint base length | zigzag varint length change | u32 LE checksum
 * ```
 *
 * @example
 * ```ts
 * import { readDeltaHeader } from "./delta_header.ts";
 * import { createDelta } from "./delta_encoder.ts";
 * const header = readDeltaHeader(createDelta(new Uint8Array(5), new Uint8Array(8)));
 * console.log(header.baseLength, header.targetLength); // 5 8
 * ```
 * @module
 */

import { CHECKSUM_SIZE, DELTA_VERSION, malformed } from "./delta_format.ts";
import { readVarint, unzigzag } from "./_delta_varint.ts";

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
