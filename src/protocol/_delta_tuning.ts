/**
 * The codec's speed/size trade-offs, kept together so the encoder can be
 * tuned in one place against `bench/delta_bench.ts`. None of these numbers is
 * part of the format (that is `delta_format.ts`): any of them can change and
 * old deltas still apply. The figures in docs/DELTA.md ("Algorithm") are
 * these values in words; keep the two in step. The files that use them copy
 * them into module-local constants, for speed: see delta_format.ts.
 *
 * @example
 * ```ts
 * import { BASE_KEY_BYTES, BASE_STRIDE } from "./_delta_tuning.ts";
 * // A base match this long always covers one whole indexed key, so it is always found.
 * console.log(BASE_KEY_BYTES + BASE_STRIDE - 1); // 19
 * ```
 * @module
 */

/** Below this length the decoder and `ByteWriter` copy byte by byte instead of calling `set`. */
export const SMALL_COPY = 32;

// Encoder tuning.
/** Bytes compared to find a local or self-copy match; the shortest match. */
export const HASH_BYTES = 4;
/** Bytes hashed per base index entry; base matches shorter than this are found only locally. */
export const BASE_KEY_BYTES = 12;
/** The base is indexed at every this-many positions: matches of 19+ bytes are always found. */
export const BASE_STRIDE = 8;
/** Fewest / most hash-table bits. */
export const MIN_HASH_BITS = 8;
export const MAX_HASH_BITS = 20;
/** Base candidates examined per lookup: bounds the work on repetitive data. */
export const MAX_CHAIN = 32;
/** A match this long ends the search early. */
export const GOOD_MATCH = 256;
/** Matches at most this long have every position indexed for later self-copies. */
export const INDEX_MATCH_LIMIT = 32;
/** Of longer matches, only the last this-many positions are indexed. */
export const INDEX_MATCH_TAIL = 8;
/** After this many positions without a match, the scan starts skipping. */
export const SKIP_TRIGGER_SHIFT = 5;
/** New bytes scanned with local probes only before the indexes are built. */
export const LOCAL_SPAN = 16;
/** Local probes try base positions this far either side of the alignment. */
export const PROBE_RADIUS = 16;
/** A match must save more than this many bytes over a literal. */
export const MIN_GAIN = 1;
/** Matches shorter than this are compared with matches up to LAZY_STEPS bytes later. */
export const LAZY_LIMIT = 32;
/** How far ahead a short match looks for a better one (the base index stride). */
export const LAZY_STEPS = 8;
/** Before the indexes exist, a local match must be this long to be taken without a global search. */
export const LOCAL_ACCEPT = 32;
/** Base copies this long become the anchor alignment that later probes return to. */
export const ANCHOR_LENGTH = 32;
/** Bytes of base either side of the changed middle that the index covers. */
export const INDEX_MARGIN = 64 * 1024;
/**
 * Search work (base and self-copy candidates tried, plus compared bytes / 2^WORK_BYTE_SHIFT)
 * allowed per byte of the middle scanned so far, plus WORK_FLOOR. Past it the rest of the middle
 * is encoded in one fast pass (self-copies only), so no input can make an encode slow.
 */
export const WORK_PER_BYTE = 2;
export const WORK_FLOOR = 1 << 16;
/** A compared byte costs 2^-this work units. */
export const WORK_BYTE_SHIFT = 3;
/** Bases shorter than this are not searched: the middle is compressed against itself only. */
export const FRESH_BASE_LIMIT = 1024;
/** Bytes hashed per key of a fresh encode (4 of them are compared before a match is extended). */
export const FRESH_KEY_BYTES = 6;
/** Fewest / most bits of the self-copy hash table of a fresh (empty-base) encode. */
export const FRESH_MIN_BITS = 10;
export const FRESH_MAX_BITS = 14;
/** A fresh encode skips ahead faster than the general one: every 2^this misses add a byte of step. */
export const FRESH_SKIP_SHIFT = 4;
export const HASH_MULTIPLIER = 0x9e3779b1;
export const HASH_MULTIPLIER_2 = 0x85ebca77;
export const HASH_MULTIPLIER_3 = 0xc2b2ae3d;
