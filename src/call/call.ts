/**
 * One correlated call: the replies to a request id, as an async iterable.
 * The client pushes replies in as frames arrive; the caller pulls them out
 * with `for await`, `first()` or `all()`, and may stream further payloads
 * into the running plug with `write()` and `end()`. The server uses the same
 * class for the calls a plug makes to a client (`client.call` in a plug).
 *
 * `src/call/` holds what both ends share about a call: this class, the
 * errors it fails with and how a reply frame applies to it. It is bundled
 * into `/ssocket.js`, so it uses no Deno APIs, and imports `protocol/` only.
 *
 * @example
 * ```ts ignore
 * for await (const reply of client.call("stream", { count: 3 })) console.log(reply);
 * const echoed = await client.call("echo", { hi: 1 }).first();
 * const all = await client.call("stream", { count: 3 }).all();
 * const typing = client.call("live/typing", { room: "lobby" });
 * typing.write("h");
 * typing.end();
 * ```
 * @module
 */

import { ClientErrorCode, SsocketError, TimeoutError } from "./errors.ts";

/** Per-call options. */
export interface CallOptions {
  /**
   * Milliseconds to wait for each reply (and for the end of the call); the
   * wait restarts at every reply, so a long stream that keeps replying never
   * times out. 0 waits forever. Defaults to the client's `timeout`.
   */
  timeout?: number;
  /** Stops the call (rejects with code `ABORTED`) and cancels it on the server. */
  signal?: AbortSignal;
}

/** What a call needs from its client. */
export interface CallOwner {
  /** Stops routing replies to `call` (it ended, failed or was cancelled). */
  detach(call: Call<unknown>): void;
  /** Sends one input of `call` (INPUT frame); `end` closes its input. Absent: no input. */
  input?(call: Call<unknown>, payload: unknown, end: boolean): void;
}

/**
 * A call in flight: an async iterable of its replies, which can be read once.
 *
 * @typeParam R the replies
 * @typeParam I what `write()` takes
 */
export class Call<R, I = unknown> implements AsyncIterable<R> {
  /** The event called. */
  readonly event: string;
  /** The payload sent; kept so that a resync can send it again. */
  readonly payload: unknown;
  /** The current request id (a resync sends the call again under a new one). */
  requestId: number;
  /** @internal True once the frame went out on the current connection. */
  sent = false;
  /** @internal Resyncs made so far. */
  resyncs = 0;
  /** @internal True once the other side closed the call (a frame flagged END). */
  closedByPeer = false;
  /** @internal INPUT frames written before the call frame went out. */
  pendingInput?: Uint8Array[];
  readonly #owner: CallOwner;
  readonly #timeout: number;
  readonly #signal?: AbortSignal;
  readonly #queue: R[] = [];
  #waiter?: PromiseWithResolvers<IteratorResult<R>>;
  #timer?: ReturnType<typeof setTimeout>;
  #settled = false;
  #failure?: { error: unknown };
  #iterated = false;
  #inputEnded = false;
  readonly #onAbort = () => {
    const reason = this.#signal?.reason;
    this.fail(
      new SsocketError(ClientErrorCode.ABORTED, `Call to "${this.event}" was aborted`, {
        cause: reason,
      }),
    );
  };

  /**
   * @param owner the client routing replies to this call
   * @param event the event called
   * @param payload the payload sent
   * @param requestId the first request id
   * @param timeout milliseconds allowed between replies, 0 for none
   * @param signal aborts the call
   */
  constructor(
    owner: CallOwner,
    event: string,
    payload: unknown,
    requestId: number,
    timeout: number,
    signal?: AbortSignal,
  ) {
    this.#owner = owner;
    this.event = event;
    this.payload = payload;
    this.requestId = requestId;
    this.#timeout = timeout;
    this.#signal = signal;
    if (signal?.aborted) {
      queueMicrotask(this.#onAbort);
    } else {
      signal?.addEventListener("abort", this.#onAbort, { once: true });
      this.#arm();
    }
  }

  /** True once the call ended, failed or was cancelled. */
  get settled(): boolean {
    return this.#settled;
  }

  /** @internal Delivers one reply. */
  push(value: R): void {
    if (this.#settled) return;
    this.#arm();
    if (this.#waiter) {
      this.#waiter.resolve({ value, done: false });
      this.#waiter = undefined;
    } else {
      this.#queue.push(value);
    }
  }

  /** @internal The other side closed the call. */
  finish(): void {
    if (!this.#settle()) return;
    this.#waiter?.resolve({ value: undefined, done: true });
    this.#waiter = undefined;
  }

  /** @internal The call failed; the next read rejects with `error`. */
  fail(error: unknown): void {
    if (!this.#settle()) return;
    if (this.#waiter) {
      this.#waiter.reject(error);
      this.#waiter = undefined;
    } else {
      this.#failure = { error };
    }
  }

  /**
   * Stops listening: later replies are dropped and a pending read ends. The
   * client also sends a cancel frame, so the plug stops at its next yield.
   */
  cancel(): void {
    this.#queue.length = 0;
    this.finish();
  }

  /**
   * Streams one more payload (JSON, or a `Uint8Array` sent as raw bytes) into
   * the running plug, which reads it from `message.input`. Writes made before
   * the connection opens go out right after the call.
   *
   * @throws {TypeError} after `end()`, or for a call that takes no input
   */
  write(payload: I): void {
    this.#input(payload, false);
  }

  /** Ends the input: the plug's `for await (… of message.input)` loop finishes. */
  end(): void {
    this.#input(undefined, true);
  }

  #input(payload: unknown, end: boolean): void {
    if (!this.#owner.input) {
      throw new TypeError(`A call from the server to "${this.event}" takes no input`);
    }
    if (this.#inputEnded) throw new TypeError(`The input of "${this.event}" already ended`);
    if (end) this.#inputEnded = true;
    if (this.#settled) return; // the call is over: nothing reads input any more
    this.#owner.input(this as Call<unknown>, payload, end);
  }

  /** Resolves with the first reply (then stops listening), or `undefined` if there was none. */
  async first(): Promise<R | undefined> {
    for await (const reply of this) return reply;
    return undefined;
  }

  /** Resolves with every reply once the call ends. */
  async all(): Promise<R[]> {
    const replies: R[] = [];
    for await (const reply of this) replies.push(reply);
    return replies;
  }

  /** Iterates the replies; breaking out of the loop cancels the call. */
  [Symbol.asyncIterator](): AsyncIterator<R> {
    if (this.#iterated) throw new TypeError(`Call to "${this.event}" was already read`);
    this.#iterated = true;
    return {
      next: () => {
        if (this.#queue.length > 0) {
          return Promise.resolve({ value: this.#queue.shift()!, done: false });
        }
        if (this.#failure) {
          const { error } = this.#failure;
          this.#failure = undefined;
          return Promise.reject(error);
        }
        if (this.#settled) return Promise.resolve({ value: undefined, done: true });
        this.#waiter = Promise.withResolvers();
        return this.#waiter.promise;
      },
      return: () => {
        this.cancel();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#owner.detach(this as Call<unknown>);
    return true;
  }

  /** (Re)starts the wait for the next reply. */
  #arm(): void {
    if (this.#timeout <= 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => this.fail(new TimeoutError(this.event, this.#timeout)),
      this.#timeout,
    );
  }
}
