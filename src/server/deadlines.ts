/**
 * Deadlines for many short waits (a plug's steps), checked by one interval
 * timer instead of a timer each. Steps usually end within microseconds, and
 * a `setTimeout` plus `clearTimeout` per step was a measurable share of a
 * worker-mode round trip; here arming a deadline is a clock read and a
 * `Set` insert, cancelling it a delete. A deadline fires between `ms` and
 * `ms + resolution` after it was armed (later only if the event loop is
 * busy), never early: each check reads the clock, so an interval delayed by
 * a busy loop does not make later deadlines drift. The interval runs only
 * while a deadline is armed.
 *
 * @example
 * ```ts
 * import { Deadlines } from "./deadlines.ts";
 * const deadlines = new Deadlines(10);
 * const late = deadlines.arm(50, () => console.log("too late"));
 * deadlines.cancel(late); // nothing is logged
 * ```
 * @module
 */

/** One armed deadline; pass it to {@linkcode Deadlines.cancel}. */
export interface Deadline {
  /** Called once the deadline has passed. */
  readonly fire: () => void;
  /** The tick it is due at. */
  readonly due: number;
}

/** Deadlines sharing one interval; see the module doc. */
export class Deadlines {
  /** Milliseconds between checks: how late a deadline may fire. */
  readonly resolution: number;
  readonly #origin = performance.now();
  /** The last tick checked: every deadline due at or before it has fired. */
  #checked = 0;
  #armed = 0;
  readonly #due = new Map<number, Set<Deadline>>();
  #timer?: ReturnType<typeof setInterval>;

  /** @param resolution milliseconds between checks (at least 1) */
  constructor(resolution: number) {
    this.resolution = Math.max(1, Math.round(resolution));
  }

  /** A resolution that keeps a deadline of `ms` within about 5% (at most 25 ms) of it. */
  static for(ms: number): Deadlines {
    return new Deadlines(Math.min(25, ms / 20));
  }

  /** Calls `fire` in `ms` to `ms + resolution` milliseconds, unless cancelled first. */
  arm(ms: number, fire: () => void): Deadline {
    const elapsed = performance.now() - this.#origin;
    // Nothing was armed since the last check: no tick in between needs a look.
    if (this.#armed === 0) {
      this.#checked = Math.max(this.#checked, Math.floor(elapsed / this.resolution));
    }
    const tick = Math.ceil((elapsed + ms) / this.resolution);
    // Due after the last check at the earliest, so the next check finds it.
    const deadline: Deadline = { fire, due: Math.max(tick, this.#checked + 1) };
    let due = this.#due.get(deadline.due);
    if (due === undefined) {
      due = new Set();
      this.#due.set(deadline.due, due);
    }
    due.add(deadline);
    if (this.#armed++ === 0) this.#timer = setInterval(this.#check, this.resolution);
    return deadline;
  }

  /** Disarms `deadline`; nothing if it has fired or was cancelled already. */
  cancel(deadline: Deadline): void {
    const due = this.#due.get(deadline.due);
    if (due === undefined || !due.delete(deadline)) return;
    if (due.size === 0) this.#due.delete(deadline.due);
    if (--this.#armed === 0) this.#stop();
  }

  /**
   * Resolves or rejects as `promise` does, or rejects with `timeout()` once
   * `ms` have passed first.
   */
  race<T>(promise: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = this.arm(ms, () => reject(timeout()));
      promise.then((value) => {
        this.cancel(deadline);
        resolve(value);
      }, (err) => {
        this.cancel(deadline);
        reject(err);
      });
    });
  }

  /** Disarms everything (the server is closing). */
  clear(): void {
    this.#due.clear();
    this.#armed = 0;
    this.#stop();
  }

  readonly #check = (): void => {
    const now = Math.floor((performance.now() - this.#origin) / this.resolution);
    while (this.#checked < now && this.#armed > 0) {
      const due = this.#due.get(++this.#checked);
      if (due === undefined) continue;
      this.#due.delete(this.#checked);
      this.#armed -= due.size;
      for (const deadline of due) deadline.fire();
    }
    this.#checked = Math.max(this.#checked, now);
    if (this.#armed === 0) this.#stop();
  };

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
