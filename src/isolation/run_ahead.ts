/**
 * When a Worker runs a plug's next step, Worker side. Every step used to
 * wait for the server's "next" after the yield before it, so an echo cost
 * two round trips through the plug host; now a call may run one step ahead:
 * after posting a yield the Worker runs the next step at once, and the
 * server's "next" acknowledges the oldest yield it has taken. An echo's
 * yield and end then leave together, one round trip.
 *
 * What keeps the plug API the same as in-process: a call is never more than
 * one yield ahead of the server (backpressure and cancel still stop it at
 * the following yield); a request the plug makes while any call runs ahead
 * is marked, and the server handles marked requests (and everything after
 * them from this Worker) only once the yields it received before them are
 * routed, so what a plug sends after a yield reaches clients after it. A
 * Worker stops running ahead at its plug's first use of the plug API (so an
 * API-heavy plug does not wait a turn per request), and never runs a call
 * ahead whose replies the server validates (that takes a round trip).
 *
 * @example
 * ```ts ignore
 * const steps = new Steps((c, call) => step(c, call.iterator.next()));
 * steps.begin(c, { iterator, id, canAhead: true });
 * ```
 * @module
 */

/** One call running in this Worker. */
export interface RunningCall {
  readonly iterator: AsyncIterator<unknown>;
  /** The caller's connection id. */
  readonly id: string;
  /** False for a call whose replies the server validates before routing. */
  readonly canAhead: boolean;
  /** A step of it is running. */
  running: boolean;
  /** Yields posted that the server has not acknowledged (0 to 2). */
  unacked: number;
  /** The running step started before the yield before it was acknowledged. */
  ahead: boolean;
}

/** The calls of one Worker and when each may take its next step. */
export class Steps {
  readonly #run: (c: number, call: RunningCall) => void;
  readonly #calls = new Map<number, RunningCall>();
  /** Calls running a step ahead of the server. */
  #aheadRunning = 0;
  /** The plug used the plug API: from now on no call runs ahead. */
  #apiUsed = false;

  /** @param run starts the next step of a call (`iterator.next()`), reporting back */
  constructor(run: (c: number, call: RunningCall) => void) {
    this.#run = run;
  }

  /** The running call `c`, if any. */
  get(c: number): RunningCall | undefined {
    return this.#calls.get(c);
  }

  /** Starts call `c` with its first step. */
  begin(c: number, call: Pick<RunningCall, "iterator" | "id" | "canAhead">): void {
    const running: RunningCall = { ...call, running: false, unacked: 0, ahead: false };
    this.#calls.set(c, running);
    this.#advance(c, running);
  }

  /**
   * A step of `c` yielded; call before posting the yield.
   *
   * @returns true when the Worker goes on to the next step at once (the
   * server is told, so it knows the Worker is busy with the call)
   */
  yielded(c: number): boolean {
    const call = this.#calls.get(c);
    if (!call) return false;
    this.#ended(call);
    call.unacked++;
    return this.#mayRun(call);
  }

  /** Runs the step `yielded()` promised, once the yield is posted. */
  continue(c: number): void {
    const call = this.#calls.get(c);
    if (call) this.#advance(c, call);
  }

  /** The server took the oldest unacknowledged yield of `c`. */
  acknowledged(c: number): void {
    const call = this.#calls.get(c);
    if (!call) return;
    call.unacked = Math.max(0, call.unacked - 1);
    if (call.running && call.ahead && call.unacked === 0) this.#caughtUp(call);
    this.#advance(c, call);
  }

  /**
   * Call `c` is over (ended, failed, or returned by the server).
   *
   * @returns the call, if it was running here
   */
  end(c: number): RunningCall | undefined {
    const call = this.#calls.get(c);
    if (!call) return undefined;
    this.#calls.delete(c);
    this.#ended(call);
    return call;
  }

  /**
   * The plug makes a plug-API request. True when it must be marked: some
   * call runs ahead, and the request may come from it.
   */
  request(): boolean {
    this.#apiUsed = true;
    return this.#aheadRunning > 0;
  }

  #mayRun(call: RunningCall): boolean {
    return !call.running &&
      (call.unacked === 0 || (call.unacked === 1 && call.canAhead && !this.#apiUsed));
  }

  #advance(c: number, call: RunningCall): void {
    if (!this.#mayRun(call)) return;
    call.running = true;
    call.ahead = call.unacked > 0;
    if (call.ahead) this.#aheadRunning++;
    this.#run(c, call);
  }

  #ended(call: RunningCall): void {
    call.running = false;
    if (call.ahead) this.#caughtUp(call);
  }

  #caughtUp(call: RunningCall): void {
    call.ahead = false;
    this.#aheadRunning--;
  }
}
