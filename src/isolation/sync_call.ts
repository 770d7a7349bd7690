/**
 * A synchronous call from a Worker to the server, for the plug API's getters
 * (`client.isOpen`, `server.connections`, `client.data.x`…) which return
 * values at once in-process and must do the same in a Worker. The Worker
 * posts the request, then blocks in `Atomics.wait` on a shared slot; its host
 * writes the server's reply into the slot and wakes it.
 *
 * @example
 * ```ts ignore
 * const slot = new SyncSlot(new SharedArrayBuffer(SYNC_BUFFER_BYTES));
 * slot.answer(body);      // host thread
 * slot.wait(1000);        // Worker thread, after posting its request
 * ```
 * @module
 */

/** Size of each Worker's reply slot: the largest reply to a synchronous call. */
export const SYNC_BUFFER_BYTES = 1024 * 1024;
const HEADER = 8;
const EMPTY = 0;
const READY = 1;
const TOO_LARGE = -1;

/** One Worker's reply slot, shared between the Worker and its host. */
export class SyncSlot {
  /** The shared memory (posted to the Worker once). */
  readonly buffer: SharedArrayBuffer;
  readonly #control: Int32Array;
  readonly #data: Uint8Array;

  /** @param buffer shared memory of `SYNC_BUFFER_BYTES` */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#control = new Int32Array(buffer, 0, 2);
    this.#data = new Uint8Array(buffer, HEADER);
  }

  /** Host side: stores a reply body and wakes the Worker. */
  answer(body: Uint8Array): void {
    if (body.length > this.#data.length) {
      Atomics.store(this.#control, 1, TOO_LARGE);
    } else {
      this.#data.set(body);
      Atomics.store(this.#control, 1, body.length);
    }
    Atomics.store(this.#control, 0, READY);
    Atomics.notify(this.#control, 0);
  }

  /** Worker side: arms the slot; call before posting the request. */
  arm(): void {
    Atomics.store(this.#control, 0, EMPTY);
  }

  /**
   * Worker side: blocks until the reply arrives.
   *
   * @returns a copy of the reply body
   * @throws {RangeError} when the reply is too large or does not come within `timeoutMs`
   */
  wait(timeoutMs: number): Uint8Array {
    if (Atomics.wait(this.#control, 0, EMPTY, timeoutMs) === "timed-out") {
      throw new RangeError(`The server did not answer within ${timeoutMs} ms`);
    }
    const size = Atomics.load(this.#control, 1);
    if (size === TOO_LARGE) {
      throw new RangeError(`The server's answer exceeds ${SYNC_BUFFER_BYTES - HEADER} bytes`);
    }
    return this.#data.slice(0, size);
  }
}
