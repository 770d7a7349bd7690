/**
 * The original serverless-sockets SYNC payload, for clients that did not
 * negotiate ssocket's own protocol (see `subprotocol.ts`). Its payload is
 * JSON: `[[lengthChange], [start, byte, byte, ...], ...]`. The receiver
 * (`SocketMessage.syncIncoming` of the original bundle) holds the **whole
 * frame** of the previous state (header, event name and JSON payload), makes
 * a copy resized by `lengthChange` (cut at the end, or padded with zeros),
 * and writes each instruction's bytes from its `start` index on. The new
 * state's payload is then the JSON after the event name.
 *
 * The original server dropped every byte equal to 0 from its instructions,
 * which shifted the bytes after it; this encoder writes every changed byte.
 * It is pure and stateless: which base the receiver holds is the caller's
 * business (see the hub).
 *
 * @example
 * ```ts
 * import { legacySyncInstructions } from "./legacy_sync.ts";
 * const base = new Uint8Array([1, 2, 3, 4, 5, 6]);
 * const target = new Uint8Array([1, 9, 3, 4, 5, 6, 0]);
 * console.log(legacySyncInstructions(base, target)); // [[1], [1, 9], [6, 0]]
 * ```
 * @module
 */

import { EventType } from "./event_type.ts";
import { encodeFrame } from "./frame.ts";

/**
 * Unchanged bytes between two changed runs that are written anyway instead
 * of starting a new instruction: a new instruction costs `],[` and a start
 * index (4 to 10 characters), one repeated byte 2 to 4.
 */
export const LEGACY_MERGE_GAP = 2;

/** `[[lengthChange], [start, byte, ...], ...]`: what a legacy SYNC frame carries as JSON. */
export type LegacySyncInstructions = number[][];

/**
 * The instructions that turn `base` into `target` on a receiver that applies
 * them the original way. Every byte that differs is written, zeros included.
 *
 * @param base the bytes the receiver holds, or only their length when their
 * content is unknown (every byte of `target` is then written)
 * @param target the bytes the receiver must end up with
 */
export function legacySyncInstructions(
  base: Uint8Array | number,
  target: Uint8Array,
): LegacySyncInstructions {
  const known = typeof base === "number" ? undefined : base;
  const baseLength = typeof base === "number" ? base : base.length;
  const out: LegacySyncInstructions = [[target.length - baseLength]];
  let run: number[] | undefined;
  let lastChanged = -1;
  for (let i = 0; i < target.length; i++) {
    // Past the base's end the receiver holds zeros, but only after resizing:
    // writing those bytes too keeps the rule simple and costs little.
    if (known !== undefined && i < known.length && known[i] === target[i]) continue;
    if (run !== undefined && i - lastChanged - 1 <= LEGACY_MERGE_GAP) {
      for (let j = lastChanged + 1; j <= i; j++) run.push(target[j]);
    } else {
      run = [i, target[i]];
      out.push(run);
    }
    lastChanged = i;
  }
  return out;
}

const utf8 = new TextEncoder();

/**
 * {@linkcode legacySyncInstructions} as the UTF-8 JSON payload of a SYNC frame.
 *
 * @example
 * ```ts
 * import { encodeLegacySync } from "./legacy_sync.ts";
 * const json = encodeLegacySync(new Uint8Array([7]), new Uint8Array([7, 0]));
 * console.log(new TextDecoder().decode(json)); // "[[1],[1,0]]"
 * ```
 */
export function encodeLegacySync(base: Uint8Array | number, target: Uint8Array): Uint8Array {
  return utf8.encode(JSON.stringify(legacySyncInstructions(base, target)));
}

/**
 * The state a legacy receiver holds after applying a SYNC frame: the whole
 * frame `SocketMessage.encode({ event, type: SYNC, payload })` of the
 * original, i.e. a SYNC frame without flags whose payload is `state` (the
 * UTF-8 JSON of the yielded payload).
 *
 * @example
 * ```ts
 * import { legacyStateFrame } from "./legacy_sync.ts";
 * const frame = legacyStateFrame("doc", new TextEncoder().encode("{}"));
 * console.log(frame.length); // 11: 6 header bytes, "doc", "{}"
 * ```
 */
export function legacyStateFrame(event: string, state: Uint8Array): Uint8Array {
  return encodeFrame({ type: EventType.SYNC, event }, state);
}
