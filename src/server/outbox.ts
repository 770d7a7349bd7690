/**
 * The end of an event-loop turn, for frame packing: connections that
 * batched frames in this turn are flushed together, once, after everything
 * the turn could still add to their batches.
 *
 * Which "end" that is was measured on Deno 2.9 (20 connections each sending
 * 10 frames in one TCP write): every message event of the burst, and every
 * promise chain they start, runs before one `setImmediate` callback fires,
 * while a microtask queued by the first message ran after each connection's
 * first message (10 flushes for 10 messages of one connection, and a
 * streaming plug's yields, each a few promise hops apart, would go out one
 * by one). `setTimeout(fn, 0)` also waits for the whole burst but fired
 * ~2 ms later (a timer phase); `setImmediate` fired ~1.2 µs after an idle
 * turn, so it adds no latency worth measuring, and one per turn for the
 * whole server costs about as much as one `Uint8Array`.
 *
 * @example
 * ```ts ignore
 * const outbox = new Outbox();
 * outbox.add(queue); // queue.flushTurn() runs at the end of this turn (a connection's SendQueue)
 * ```
 * @module
 */

import { setImmediate } from "node:timers";

/** Something with frames waiting to go out as one message. */
export interface Flushable {
  /** Sends what waits; called once per turn the connection was added in. */
  flushTurn(): void;
}

/** Connections with frames batched in this turn, flushed by one `setImmediate`. */
export class Outbox {
  #waiting: Flushable[] = [];
  #scheduled = false;
  readonly #flush = (): void => {
    this.#scheduled = false;
    const waiting = this.#waiting;
    // A connection flushed here may be added again by a later turn only.
    this.#waiting = [];
    for (let i = 0; i < waiting.length; i++) waiting[i].flushTurn();
  };

  /** Flushes `connection` at the end of this turn; add it once per turn. */
  add(connection: Flushable): void {
    this.#waiting.push(connection);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }
}
