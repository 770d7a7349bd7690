/**
 * Applies a delta. The input comes off the network, so the ops are walked
 * twice: once to check every length and offset without writing, then, with
 * the target's size known to be right, again to write it into one exact
 * allocation. A hostile delta raises a {@linkcode ProtocolError}; it can
 * never read out of bounds or make the receiver allocate more than
 * `maxTargetLength`.
 *
 * @example
 * ```ts
 * import { applyDelta } from "./delta_decoder.ts";
 * import { createDelta } from "./delta_encoder.ts";
 * const base = new TextEncoder().encode('{"n":1}');
 * const delta = createDelta(base, new TextEncoder().encode('{"n":2}'));
 * console.log(new TextDecoder().decode(applyDelta(base, delta))); // {"n":2}
 * ```
 * @module
 */

import { ErrorCode, ProtocolError } from "./errors.ts";
import { deltaChecksum } from "./delta_checksum.ts";
import {
  INLINE_LENGTH_MASK as FORMAT_INLINE_LENGTH_MASK,
  LONG_LENGTH as FORMAT_LONG_LENGTH,
  malformed,
  OP_COPY_BASE as FORMAT_OP_COPY_BASE,
  OP_COPY_OUTPUT as FORMAT_OP_COPY_OUTPUT,
  OP_LITERAL as FORMAT_OP_LITERAL,
  OP_SHIFT as FORMAT_OP_SHIFT,
} from "./delta_format.ts";
import { readDeltaHeader } from "./delta_header.ts";
import { SMALL_COPY as TUNED_SMALL_COPY } from "./_delta_tuning.ts";
import { readVarint, unzigzag } from "./_delta_varint.ts";

// Module-local copies of the imports above: see delta_format.ts.
const INLINE_LENGTH_MASK = FORMAT_INLINE_LENGTH_MASK;
const LONG_LENGTH = FORMAT_LONG_LENGTH;
const OP_COPY_BASE = FORMAT_OP_COPY_BASE;
const OP_COPY_OUTPUT = FORMAT_OP_COPY_OUTPUT;
const OP_LITERAL = FORMAT_OP_LITERAL;
const OP_SHIFT = FORMAT_OP_SHIFT;
const SMALL_COPY = TUNED_SMALL_COPY;

/** The largest target {@linkcode applyDelta} builds unless told otherwise (256 MiB). */
export const DEFAULT_MAX_TARGET_LENGTH = 256 * 1024 * 1024;

/** Options for {@linkcode applyDelta}. */
export interface ApplyDeltaOptions {
  /**
   * Reject deltas whose declared target is longer than this many bytes,
   * before allocating anything. Defaults to {@linkcode DEFAULT_MAX_TARGET_LENGTH}.
   */
  maxTargetLength?: number;
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
