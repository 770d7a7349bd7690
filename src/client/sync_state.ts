/**
 * The client side of SYNC: the last state of every stream, rebuilt from
 * each delta with `applyDelta`. A stream is the event name for plain frames
 * and the request id for calls, the same keys the server uses.
 *
 * @example
 * ```ts
 * import { SyncState } from "./sync_state.ts";
 * import { createDelta } from "../protocol/delta.ts";
 * const state = new SyncState();
 * const full = createDelta(new Uint8Array(0), new TextEncoder().encode('{"n":1}'));
 * console.log(state.apply("e:counter", full)); // { n: 1 }
 * ```
 * @module
 */

import { applyDelta, readDeltaHeader } from "../protocol/delta.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The stream key of plain SYNC frames for `event` (as on the server). */
export function eventStreamKey(event: string): string {
  return `e:${event}`;
}

/** The stream key of SYNC frames answering request `requestId` (as on the server). */
export function requestStreamKey(requestId: number): string {
  return `r:${requestId}`;
}

/** The SYNC states one connection holds. */
export class SyncState {
  readonly #states = new Map<string, Uint8Array>();

  /**
   * Applies `delta` to the stream's state and returns the new state parsed
   * from UTF-8 JSON: a fresh object each time, so callers may keep or change
   * it without touching the bytes later deltas apply to.
   *
   * A delta with base length 0 replaces the state (the server sends one when
   * it starts a stream or has dropped its copy). On a failed check the
   * stream is forgotten, so nothing is ever built on a corrupt base.
   *
   * @throws {ProtocolError} a `DELTA_*` code if the delta does not fit the
   *   state held, `INVALID_JSON` if the rebuilt state is not JSON
   */
  apply(key: string, delta: Uint8Array): unknown {
    let next: Uint8Array;
    try {
      const fresh = readDeltaHeader(delta).baseLength === 0;
      next = applyDelta(fresh ? EMPTY : this.#states.get(key) ?? EMPTY, delta);
    } catch (err) {
      this.#states.delete(key);
      throw err;
    }
    // The bytes match the server's copy (the checksum passed), so they are
    // kept even if they fail to parse: later deltas still apply to them.
    this.#states.set(key, next);
    try {
      return JSON.parse(utf8.decode(next));
    } catch (err) {
      throw new ProtocolError(
        ErrorCode.INVALID_JSON,
        `SYNC state is not UTF-8 JSON: ${(err as Error).message}`,
      );
    }
  }

  /** Drops one stream's state (its call ended or is being re-sent). */
  forget(key: string): void {
    this.#states.delete(key);
  }

  /** Drops every state: the server forgets them all when the connection closes. */
  clear(): void {
    this.#states.clear();
  }

  /** How many streams hold a state. */
  get size(): number {
    return this.#states.size;
  }
}
