/**
 * Creates deltas. Most SYNC updates change a few bytes of a large state, so
 * the common prefix and suffix are trimmed first with a plain compare and
 * sent as base copies; only the changed middle is searched, by the one-pass
 * encoder when there is (almost) no base and by the general one otherwise.
 *
 * @example
 * ```ts
 * import { createDelta } from "./delta_encoder.ts";
 * const utf8 = new TextEncoder();
 * const base = utf8.encode(JSON.stringify({ n: 1, list: [1, 2, 3] }));
 * const delta = createDelta(base, utf8.encode(JSON.stringify({ n: 2, list: [1, 2, 3] })));
 * console.log(delta.length); // 11: header 7, then copy / "2" / copy (docs/DELTA.md)
 * ```
 * @module
 */

import { deltaChecksum } from "./delta_checksum.ts";
import { CHECKSUM_SIZE, DELTA_VERSION, VARINT_MAX_BYTES } from "./delta_format.ts";
import { encodeFresh } from "./_delta_fresh_encoder.ts";
import { MiddleEncoder } from "./_delta_middle_encoder.ts";
import { FRESH_BASE_LIMIT } from "./_delta_tuning.ts";
import { zigzag } from "./_delta_varint.ts";
import { ByteWriter, OpWriter } from "./_delta_writer.ts";

const BYTE_MASK = 0xff;

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
