/**
 * One plug call running in a Worker, as dispatch sees it: an async iterator
 * of the plug's yields. The Worker may run one step ahead (run_ahead.ts):
 * what it sends before dispatch asks waits in a queue, and each `next()`
 * after the first acknowledges the yield dispatch took before, which lets
 * the Worker go on; so dispatch's cancel, backpressure and step timeout
 * work unchanged. A step that takes too long (or a `return()` while the
 * plug is busy) makes the isolation check whether the Worker is hung.
 *
 * @example
 * ```ts ignore
 * for await (const out of new RemoteCall(owner, version, "echo", message, client.id)) route(out);
 * ```
 * @module
 */

import type { Yield } from "../plugs/types.ts";
import { type ErrorCode, ProtocolError } from "../protocol/errors.ts";
import type { Deadline, Deadlines } from "../server/deadlines.ts";
import { type ErrorInfo, toError } from "./remote_error.ts";

/** What a remote call needs from the isolation that runs it. */
export interface CallOwner {
  /** Starts the call in a Worker (loading its plug version there first if needed). */
  start(call: RemoteCall): void;
  /** Sends a step request (`next` or `return`) for the call to its Worker. */
  step(call: RemoteCall, kind: "next" | "return"): void;
  /** The call has not heard from its Worker for a while: check whether it hung. */
  suspect(call: RemoteCall): void;
  /** The call is over (for draining a retired Worker). */
  finished(call: RemoteCall): void;
  /** Milliseconds a step may take before the Worker is suspected. */
  readonly hangMs: number;
  /** Where steps arm their `hangMs` deadline. */
  readonly deadlines: Deadlines;
}

/** What a call takes from the message dispatch built: the frame, and the (validated) payload. */
export interface CallMessage {
  readonly raw: Uint8Array;
  readonly payload: unknown;
}

/** A reply from the Worker about this call. */
export interface CallReply {
  k: "y" | "done" | "err" | "returned";
  /** On a yield: the Worker went on to the next step without waiting. */
  a?: 1;
  value?: Yield;
  error?: ErrorInfo;
}

const DONE: IteratorResult<Yield> = { done: true, value: undefined };

let nextCall = 1;

/** A plug call in a Worker; see the module doc. */
export class RemoteCall implements AsyncIterableIterator<Yield> {
  /** Unique id of this call (across hosts). */
  readonly c: number = nextCall++;
  /** Which Worker runs it, once started. */
  worker?: number;
  #step?: PromiseWithResolvers<IteratorResult<Yield>>;
  #returned?: PromiseWithResolvers<IteratorResult<Yield>>;
  #started = false;
  #over = false;
  /** Why the call was failed while no step was waiting: the next step gets it. */
  #failure?: ProtocolError;
  #deadline?: Deadline;
  /** Replies the Worker sent before dispatch asked for them. */
  readonly #queue: CallReply[] = [];
  /** The Worker is running a step of this call (asked to, or gone on ahead). */
  #working = false;

  /**
   * @param owner the isolation that runs it
   * @param version the plug version's id
   * @param name the handler's export name
   * @param message the request (the Worker decodes its frame itself)
   * @param clientId the caller's connection id
   */
  constructor(
    readonly owner: CallOwner,
    readonly version: number,
    readonly name: string,
    readonly message: CallMessage,
    readonly clientId: string,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** True while plug code of this call is running or awaiting in its Worker. */
  get busy(): boolean {
    return this.#step !== undefined || this.#working;
  }

  next(): Promise<IteratorResult<Yield>> {
    const queued = this.#queue.shift();
    if (queued !== undefined) {
      // Taking a yield lets the Worker go on; after the end nothing is left to run.
      if (queued.k === "y") this.#acknowledge();
      this.#step = Promise.withResolvers();
      const promise = this.#step.promise;
      this.#settle(queued);
      return promise;
    }
    if (this.#failure) {
      const failure = this.#failure;
      this.#failure = undefined;
      return Promise.reject(failure);
    }
    if (this.#over) return Promise.resolve(DONE);
    this.#step = Promise.withResolvers();
    const promise = this.#step.promise;
    if (this.#started) this.#acknowledge();
    else {
      this.#started = true;
      this.#working = true;
      this.owner.start(this);
    }
    this.#arm();
    return promise;
  }

  return(): Promise<IteratorResult<Yield>> {
    if (this.#over || !this.#started) {
      this.#finish();
      return Promise.resolve(DONE);
    }
    this.#returned ??= Promise.withResolvers();
    // What the Worker sent ahead is not delivered after a return, as a stopped generator yields no more.
    this.#queue.length = 0;
    this.owner.step(this, "return");
    // A plug that is still running when asked to stop may be stuck in a loop.
    if (this.busy) this.owner.suspect(this);
    return this.#returned.promise;
  }

  /** Handles the Worker's reply about this call. */
  reply(reply: CallReply): void {
    this.#working = reply.k === "y" && reply.a === 1;
    if (this.#step === undefined && this.#returned === undefined && reply.k !== "returned") {
      if (!this.#over) this.#queue.push(reply);
      return;
    }
    this.#settle(reply);
  }

  #acknowledge(): void {
    this.#working = true;
    this.owner.step(this, "next");
  }

  #settle(reply: CallReply): void {
    const step = this.#step;
    this.#step = undefined;
    this.#disarm();
    if (reply.k === "y") {
      step?.resolve({ done: false, value: reply.value! });
      return;
    }
    if (reply.k === "err") step?.reject(toError(reply.error!));
    else step?.resolve(DONE);
    if (reply.k === "returned" || !this.#returned) this.#finish();
  }

  /** Ends the call from this side: its Worker was stopped or hung. */
  fail(code: typeof ErrorCode.PLUG_CRASHED | typeof ErrorCode.PLUG_TIMEOUT, message: string): void {
    this.#disarm();
    const failure = new ProtocolError(code, message);
    // Between two steps (the server is handling a yield) nobody waits yet:
    // the next step must fail, not find the call quietly done.
    if (this.#step) this.#step.reject(failure);
    else if (!this.#over) this.#failure = failure;
    this.#step = undefined;
    this.#finish();
  }

  #arm(): void {
    this.#disarm();
    this.#deadline = this.owner.deadlines.arm(this.owner.hangMs, this.#late);
  }

  readonly #late = (): void => {
    this.#deadline = undefined;
    if (this.busy) this.owner.suspect(this);
  };

  #disarm(): void {
    if (this.#deadline === undefined) return;
    this.owner.deadlines.cancel(this.#deadline);
    this.#deadline = undefined;
  }

  #finish(): void {
    this.#disarm();
    this.#returned?.resolve(DONE);
    if (this.#over) return;
    this.#over = true;
    if (this.#started) this.owner.finished(this);
  }
}
