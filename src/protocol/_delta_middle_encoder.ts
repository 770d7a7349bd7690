/**
 * The general encoder for the changed middle of a target (what is left once
 * `createDelta` has trimmed the common prefix and suffix). It decides which
 * of the matches `MatchFinder` reports to take and writes them: greedy, with
 * a short look-ahead so a short match does not hide a better one a few bytes
 * on, and with a work budget so no input can make an encode slow.
 *
 * @example
 * ```ts
 * import { MiddleEncoder } from "./_delta_middle_encoder.ts";
 * import { ByteWriter, OpWriter } from "./_delta_writer.ts";
 * const utf8 = new TextEncoder();
 * const base = utf8.encode(JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => i) }));
 * const target = utf8.encode(JSON.stringify({ items: Array.from({ length: 201 }, (_, i) => i) }));
 * const ops = new OpWriter(new ByteWriter(64));
 * new MiddleEncoder(base, target, 0, base.length, 0, target.length, ops).encode();
 * ops.finish();
 * console.log(ops.out.finish().length < 16); // true: the items are copied from the base
 * ```
 * @module
 */

import { encodeFresh } from "./_delta_fresh_encoder.ts";
import { BASE_MATCH, MatchFinder } from "./_delta_match_finder.ts";
import {
  ANCHOR_LENGTH as TUNED_ANCHOR_LENGTH,
  HASH_BYTES as TUNED_HASH_BYTES,
  INDEX_MATCH_LIMIT as TUNED_INDEX_MATCH_LIMIT,
  INDEX_MATCH_TAIL as TUNED_INDEX_MATCH_TAIL,
  LAZY_LIMIT as TUNED_LAZY_LIMIT,
  LAZY_STEPS as TUNED_LAZY_STEPS,
  LOCAL_ACCEPT as TUNED_LOCAL_ACCEPT,
  LOCAL_SPAN as TUNED_LOCAL_SPAN,
  MIN_GAIN as TUNED_MIN_GAIN,
  SKIP_TRIGGER_SHIFT as TUNED_SKIP_TRIGGER_SHIFT,
  WORK_FLOOR as TUNED_WORK_FLOOR,
  WORK_PER_BYTE as TUNED_WORK_PER_BYTE,
} from "./_delta_tuning.ts";

// Module-local copies of the imports above: see delta_format.ts.
const ANCHOR_LENGTH = TUNED_ANCHOR_LENGTH;
const HASH_BYTES = TUNED_HASH_BYTES;
const INDEX_MATCH_LIMIT = TUNED_INDEX_MATCH_LIMIT;
const INDEX_MATCH_TAIL = TUNED_INDEX_MATCH_TAIL;
const LAZY_LIMIT = TUNED_LAZY_LIMIT;
const LAZY_STEPS = TUNED_LAZY_STEPS;
const LOCAL_ACCEPT = TUNED_LOCAL_ACCEPT;
const LOCAL_SPAN = TUNED_LOCAL_SPAN;
const MIN_GAIN = TUNED_MIN_GAIN;
const SKIP_TRIGGER_SHIFT = TUNED_SKIP_TRIGGER_SHIFT;
const WORK_FLOOR = TUNED_WORK_FLOOR;
const WORK_PER_BYTE = TUNED_WORK_PER_BYTE;
const MATCH_BASE = BASE_MATCH;

/**
 * Encodes the changed middle of the target with greedy, one-step-lazy
 * matching. Near the start of each run of new bytes it only probes base
 * positions close to the current and the two last long-copy alignments
 * (cheap, catches edits in place). If that fails it builds the indexes: a
 * chained hash of 12-byte keys at every 8th base position around the middle,
 * and a one-slot hash of 4-byte keys of the output so far (self-copies).
 */
export class MiddleEncoder extends MatchFinder {
  encode(): void {
    let t = this.targetStart;
    let misses = 0;
    while (t <= this.lastHash) {
      if (this.work > WORK_PER_BYTE * (t - this.targetStart) + WORK_FLOOR) {
        // Out of budget (repetitive or unrelated data): finish in one fast pass.
        encodeFresh(this.target, this.literalStart, this.targetEnd, this.ops);
        return;
      }
      if (!this.indexed && this.base.length >= HASH_BYTES) {
        const localEnd = Math.min(this.lastHash, this.literalStart + LOCAL_SPAN);
        let found = false;
        for (; t <= localEnd; t++) {
          this.searchLocal(t);
          if (this.length >= LOCAL_ACCEPT) {
            t = this.emitLazy(t, false);
            found = true;
            break;
          }
          // A short match may be a misalignment: let the global search weigh it.
          if (this.gain > MIN_GAIN) break;
        }
        if (found) continue;
        if (t > this.lastHash) break;
        t = this.literalStart;
      }
      if (!this.indexed) this.buildIndex();
      this.searchGlobal(t);
      if (this.gain <= MIN_GAIN) {
        this.insert(t);
        misses++;
        t += 1 + (misses >> SKIP_TRIGGER_SHIFT);
        continue;
      }
      misses = 0;
      t = this.emitLazy(t, true);
    }
    this.ops.literal(this.target, this.literalStart, this.targetEnd);
  }

  /**
   * Takes the match found at `t`, unless it is short and a match found up to
   * {@linkcode LAZY_STEPS} bytes later saves more even after the literal
   * bytes it leaves behind; returns where scanning resumes.
   */
  private emitLazy(t: number, global: boolean): number {
    let kind = this.kind;
    let position = this.position;
    let length = this.length;
    let gain = this.gain;
    let at = t;
    // Without a base index, self-copies only: one step is enough and keeps a first SYNC fast.
    const steps = this.baseChain.length > 0 || !global ? LAZY_STEPS : 1;
    const last = Math.min(this.lastHash, t + steps);
    for (let u = t + 1; u <= last && length < LAZY_LIMIT; u++) {
      if (global) {
        this.insert(u - 1);
        this.searchGlobal(u);
      } else {
        this.searchLocal(u);
      }
      if (this.gain > gain + (u - at)) {
        kind = this.kind;
        position = this.position;
        length = this.length;
        gain = this.gain;
        at = u;
      }
    }
    this.kind = kind;
    this.position = position;
    this.length = length;
    this.gain = gain;
    return this.emit(at);
  }

  /** Writes the pending literal and the current match at `t`; returns the match end. */
  private emit(t: number): number {
    const target = this.target;
    let length = this.length;
    let p = this.position;
    const source = this.kind === MATCH_BASE ? this.base : target;
    while (t > this.literalStart && p > 0 && source[p - 1] === target[t - 1]) {
      t--;
      p--;
      length++;
    }
    this.ops.literal(target, this.literalStart, t);
    if (this.kind === MATCH_BASE) {
      this.ops.copyBase(p, length);
      if (length >= ANCHOR_LENGTH && p - t !== this.anchor) {
        this.previousAnchor = this.anchor;
        this.anchor = p - t;
      }
    } else {
      this.ops.copyOutput(t - p, length);
    }
    const end = t + length;
    if (this.indexed) {
      const last = Math.min(end, this.lastHash + 1);
      const from = length <= INDEX_MATCH_LIMIT ? t : Math.max(t, last - INDEX_MATCH_TAIL);
      for (let i = from; i < last; i++) this.insert(i);
    }
    this.literalStart = end;
    return end;
  }
}
