/**
 * The calls of one connection: the plug generators running for it, which
 * request ids are open (so INPUT and cancel frames find them), which were
 * cancelled, and the input streamed into each. `Connection` owns one and
 * ends everything in it when the socket closes.
 *
 * @example
 * ```ts ignore
 * const calls = new CallTable(1_048_576);
 * calls.begin(7);
 * calls.track(generator, 7);
 * calls.cancel(7); // the plug ends at its next yield
 * ```
 * @module
 */

import { InputStream } from "./input.ts";

/** Running plugs, open calls, cancels and input streams of one connection. */
export class CallTable {
  readonly #running = new Set<AsyncIterator<unknown>>();
  /**
   * Open calls by request id: their generator while a handler runs, null
   * between handlers (or before the first), absent once finished.
   */
  readonly #calls = new Map<number, AsyncIterator<unknown> | null>();
  readonly #inputs = new Map<number, InputStream>();
  readonly #cancelled = new WeakSet<AsyncIterator<unknown>>();
  readonly #cancelledIds = new Set<number>();
  readonly #inputLimit: number;
  /** Calls ever cancelled here: while 0, `cancelled()` skips the WeakSet lookup. */
  #cancels = 0;
  #closed = false;

  /** @param inputLimit most bytes of unread input held per call */
  constructor(inputLimit: number) {
    this.#inputLimit = inputLimit;
  }

  /**
   * Registers a running plug generator so disconnect (or, for a correlated
   * call, a cancel frame) can end it.
   */
  track(generator: AsyncIterator<unknown>, requestId?: number): void {
    this.#running.add(generator);
    if (requestId !== undefined) this.#calls.set(requestId, generator);
  }

  /** Forgets a finished generator (its call stays open until {@linkcode finish}). */
  untrack(generator: AsyncIterator<unknown>, requestId?: number): void {
    this.#running.delete(generator);
    if (requestId !== undefined && this.#calls.get(requestId) === generator) {
      this.#calls.set(requestId, null);
    }
  }

  /** Call `requestId` has arrived: from now on its INPUT and cancel frames find it. */
  begin(requestId: number): void {
    if (!this.#calls.has(requestId)) this.#calls.set(requestId, null);
  }

  /** Call `requestId` is over: its input ends and later frames for it are dropped. */
  finish(requestId: number): void {
    this.#calls.delete(requestId);
    // Size checks first: nearly every call has neither, and this runs once per call.
    if (this.#cancelledIds.size > 0) this.#cancelledIds.delete(requestId);
    if (this.#inputs.size > 0) {
      this.#inputs.get(requestId)?.close();
      this.#inputs.delete(requestId);
    }
  }

  /** True if call `requestId` was cancelled before or while it ran. */
  cancelledId(requestId: number): boolean {
    return this.#cancelledIds.has(requestId);
  }

  /**
   * The input stream of call `requestId` (`message.input`), created on first
   * use; an ended, empty one once the call is over.
   */
  inputOf(requestId: number): InputStream {
    let input = this.#inputs.get(requestId);
    if (input) return input;
    input = new InputStream(this.#inputLimit);
    if (this.#calls.has(requestId) && !this.#closed) this.#inputs.set(requestId, input);
    else input.end();
    return input;
  }

  /**
   * Adds input to call `requestId` (an INPUT frame); `end` closes it.
   *
   * @returns false if it would exceed `inputBufferLimit` (nothing kept);
   *   true otherwise, also when the call is over and the input is dropped
   */
  input(
    requestId: number,
    value: unknown,
    bytes: number,
    hasValue: boolean,
    end: boolean,
  ): boolean {
    if (!this.#calls.has(requestId)) return true;
    const input = this.inputOf(requestId);
    if (hasValue && !input.push(value, bytes)) return false;
    if (end) input.end();
    return true;
  }

  /**
   * Ends call `requestId` at its plug's next yield, running its finally
   * blocks; nothing more is sent for it.
   *
   * @returns false if no such call is running
   */
  cancel(requestId: number): boolean {
    if (!this.#calls.has(requestId)) return false;
    const generator = this.#calls.get(requestId);
    this.#cancelledIds.add(requestId);
    // A plug waiting for input would never reach a yield where return() applies.
    this.#inputs.get(requestId)?.close();
    if (generator) {
      this.#cancelled.add(generator);
      this.#cancels++;
      generator.return?.(undefined)?.catch?.(() => {});
    }
    return true;
  }

  /** True if the call run by `generator` was cancelled. */
  cancelled(generator: AsyncIterator<unknown>): boolean {
    return this.#cancels > 0 && this.#cancelled.has(generator);
  }

  /** The connection closed: ends every running plug (their finally blocks run) and input. */
  dispose(): void {
    this.#closed = true;
    for (const generator of this.#running) {
      // return() runs the plug's finally blocks; errors there are the plug's.
      generator.return?.(undefined)?.catch?.(() => {});
    }
    this.#running.clear();
    this.#calls.clear();
    for (const input of this.#inputs.values()) input.close();
    this.#inputs.clear();
  }
}
