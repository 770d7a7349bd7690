/**
 * Per-connection SYNC state: the last state sent on each stream, so the next
 * SYNC can be a delta against what the client holds. A stream is
 * (connection, event) for plain frames and (connection, request id) for
 * correlated calls; see docs/PROTOCOL.md.
 *
 * @example
 * ```ts
 * import { SyncStreams } from "./sync_streams.ts";
 * const streams = new SyncStreams(1_000_000);
 * const first = streams.next("e:doc", new TextEncoder().encode('{"a":1}'));
 * console.log(streams.bytes); // 7
 * ```
 * @module
 */

import { createDelta } from "../protocol/delta.ts";

const EMPTY = new Uint8Array(0);

/** The stream key of plain SYNC frames for `event`. */
export function eventStream(event: string): string {
  return `e:${event}`;
}

/** The stream key of SYNC frames answering request `requestId`. */
export function requestStream(requestId: number): string {
  return `r:${requestId}`;
}

/** The SYNC states one connection holds, bounded in total bytes. */
export class SyncStreams {
  readonly #states = new Map<string, Uint8Array>();
  readonly #limit: number;
  #bytes = 0;

  /** @param limit most bytes of state kept across all streams */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Returns the delta taking `stream` from its last state to `target`, and
   * remembers `target`. Past the byte limit the stream is forgotten and the
   * delta is against empty bytes: a full state, which the client applies to
   * an empty base because the delta's base length is 0.
   */
  next(stream: string, target: Uint8Array): Uint8Array {
    const base = this.#states.get(stream) ?? EMPTY;
    const total = this.#bytes - base.length + target.length;
    if (total > this.#limit) {
      this.forget(stream);
      return createDelta(EMPTY, target);
    }
    this.#states.set(stream, target);
    this.#bytes = total;
    return createDelta(base, target);
  }

  /** Sets a stream's state: a session resumed from another node continues from it. */
  restore(stream: string, state: Uint8Array): void {
    this.forget(stream);
    if (this.#bytes + state.length > this.#limit) return;
    this.#states.set(stream, state);
    this.#bytes += state.length;
  }

  /** Drops a stream's state (its call ended). */
  forget(stream: string): void {
    const state = this.#states.get(stream);
    if (!state) return;
    this.#bytes -= state.length;
    this.#states.delete(stream);
  }

  /** Drops every stream (the connection closed). */
  clear(): void {
    this.#states.clear();
    this.#bytes = 0;
  }

  /** Bytes of state held. */
  get bytes(): number {
    return this.#bytes;
  }
}
