/**
 * The input a caller streams into a running call (`call.write(payload)` in
 * the client, `message.input` in the plug): a bounded queue read with
 * `for await`. Payloads the plug has not read yet count against a byte
 * limit, so a plug that never reads cannot make the server buffer without
 * bound: a push over the limit is refused and the call fails with
 * `INPUT_OVERFLOW`.
 *
 * @example
 * ```ts
 * import { InputStream } from "./input.ts";
 * const input = new InputStream(1024);
 * input.push("a", 3);
 * input.end();
 * for await (const draft of input) console.log(draft); // "a"
 * ```
 * @module
 */

/** Checks (and may transform) one input before the plug sees it; may throw. */
export type InputCheck = (value: unknown) => unknown;

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/** The payloads written into one call, in order. */
export class InputStream<T = unknown> implements AsyncIterable<T> {
  /** Runs on each input as the plug takes it (the plug's `schema.input`). */
  check?: InputCheck;
  readonly #limit: number;
  readonly #values: unknown[] = [];
  readonly #sizes: number[] = [];
  #buffered = 0;
  #ended = false;
  #waiter?: PromiseWithResolvers<IteratorResult<unknown>>;

  /** @param limit most bytes of unread input held before a push is refused */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /** True once the caller ended the input (or the call ended). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Adds one input of `bytes` bytes (its size on the wire).
   *
   * @returns false, keeping nothing, if unread input would exceed the limit
   */
  push(value: unknown, bytes: number): boolean {
    if (this.#ended) return true; // the call is over; late input is dropped
    if (this.#waiter) {
      // The plug is waiting: hand it over, nothing is buffered.
      this.#waiter.resolve({ value, done: false });
      this.#waiter = undefined;
      return true;
    }
    if (this.#buffered + bytes > this.#limit) return false;
    this.#values.push(value);
    this.#sizes.push(bytes);
    this.#buffered += bytes;
    return true;
  }

  /** No more input: a waiting read ends; what is buffered can still be read. */
  end(): void {
    this.#ended = true;
    this.#waiter?.resolve(DONE);
    this.#waiter = undefined;
  }

  /** Ends the input and drops what is buffered (the call was cancelled or closed). */
  close(): void {
    this.#values.length = 0;
    this.#sizes.length = 0;
    this.#buffered = 0;
    this.end();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.#next() as Promise<IteratorResult<T>>,
      return: () => {
        this.close();
        return Promise.resolve(DONE);
      },
    };
  }

  async #next(): Promise<IteratorResult<unknown>> {
    let step: IteratorResult<unknown>;
    if (this.#values.length > 0) {
      this.#buffered -= this.#sizes.shift()!;
      step = { value: this.#values.shift(), done: false };
    } else if (this.#ended) {
      return DONE;
    } else {
      this.#waiter = Promise.withResolvers();
      step = await this.#waiter.promise;
    }
    if (step.done || !this.check) return step;
    return { value: await this.check(step.value), done: false };
  }
}
