/**
 * The checksum every delta carries, so a delta applied to a wrong base of the
 * right length fails instead of producing a corrupt state: MurmurHash3
 * x86_32, seed 0. It hashes the whole state on every SYNC, on both ends,
 * so it has a word-at-a-time fast path for aligned input (all
 * `TextEncoder` output) beside the byte-at-a-time path for views at any
 * offset; both give the same value.
 *
 * @example
 * ```ts
 * import { deltaChecksum } from "./delta_checksum.ts";
 * const bytes = new TextEncoder().encode('{"n":1}');
 * // An unaligned view of the same bytes takes the slow path, same result.
 * const unaligned = new Uint8Array(bytes.length + 1);
 * unaligned.set(bytes, 1);
 * console.log(deltaChecksum(bytes) === deltaChecksum(unaligned.subarray(1))); // true
 * ```
 * @module
 */

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
