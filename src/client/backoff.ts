/**
 * Reconnect delays: exponential backoff with jitter, as a pure function so
 * it can be tested without timers.
 *
 * @example
 * ```ts
 * import { backoffDelay, DEFAULT_RECONNECT } from "./backoff.ts";
 * const delay = backoffDelay(3, DEFAULT_RECONNECT, () => 0); // 500 * 2 ** 3 = 4000
 * console.log(delay); // 4000
 * ```
 * @module
 */

/** How the client reconnects after the connection drops. */
export interface ReconnectOptions {
  /** Milliseconds before the first retry (before jitter). Default 500. */
  initialDelay?: number;
  /** Cap on the delay in milliseconds. Default 10 000. */
  maxDelay?: number;
  /** Each retry waits this many times longer than the one before. Default 2. */
  factor?: number;
  /**
   * Fraction of the delay that is random, 0..1 (default 0.5): a delay of
   * 1000 ms with jitter 0.5 becomes 500..1000 ms. Jitter spreads the retries
   * of many clients so a restarted server is not hit by all of them at once.
   */
  jitter?: number;
  /** Retries in a row before giving up (the state becomes "closed"). Default unlimited. */
  maxAttempts?: number;
}

/** The defaults of {@linkcode ReconnectOptions}. */
export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  initialDelay: 500,
  maxDelay: 10_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
};

/**
 * Returns the delay before retry number `attempt` (0 for the first).
 *
 * @param attempt retries already made since the connection was last open
 * @param options the reconnect settings, defaults filled in
 * @param random a source of numbers in [0, 1), `Math.random` by default
 * @returns milliseconds to wait, between `(1 - jitter)` and 1 times the capped delay
 */
export function backoffDelay(
  attempt: number,
  options: Required<ReconnectOptions>,
  random: () => number = Math.random,
): number {
  const capped = Math.min(options.maxDelay, options.initialDelay * options.factor ** attempt);
  const jitter = Math.min(Math.max(options.jitter, 0), 1);
  return Math.round(capped * (1 - jitter * random()));
}
