/**
 * The parts of `limits.*` that are plain bookkeeping, apart from any socket:
 * the counters of every refusal, a per-connection rate limiter and the
 * connection gate both transports ask before an upgrade. Connections and
 * transports apply them; this file only decides.
 *
 * @example
 * ```ts
 * import { ConnectionGate, newCounters, RateLimiter } from "./limits.ts";
 * const counters = newCounters();
 * const gate = new ConnectionGate({ maxConnections: 2, maxConnectionsPerIp: 1 });
 * gate.admit("10.0.0.1"); // "ok"
 * gate.admit("10.0.0.1"); // "ip": answer HTTP 429
 * const rate = new RateLimiter(10, 5, () => 0);
 * rate.take(); // "ok"
 * console.log(counters.rateLimited); // 0
 * ```
 * @module
 */

/**
 * How often each limit refused something since the server started. One
 * plain object of numbers on the runtime (`runtime.counters`), so metrics can
 * read it without knowing where each limit is applied.
 */
export interface LimitCounters {
  /** WebSocket handshakes refused with HTTP 503 (`limits.maxConnections`). */
  refusedTotal: number;
  /** Handshakes refused with HTTP 429 (`limits.maxConnectionsPerIp`). */
  refusedPerIp: number;
  /** HTTP connections dropped for not finishing their headers (`limits.headerTimeout`). */
  headerTimeouts: number;
  /** Connections closed with 1009 for a message over `payloadLimit`. */
  oversized: number;
  /** Times reading a connection was paused because too much was queued for it. */
  readPauses: number;
  /** Connections closed with 1013 because they did not read what was queued for them. */
  slowReaderCloses: number;
  /** Frames answered with ERROR RATE_LIMITED. */
  rateLimited: number;
  /** Connections closed with 1008 for sustained flooding. */
  floodCloses: number;
  /** Frames answered with ERROR TOO_MANY_CALLS. */
  tooManyCalls: number;
  /** Cluster publishes that failed (link down or Redis refused). */
  clusterPublishFailures: number;
  /** Cluster messages dropped as malformed or unauthenticated. */
  clusterDropped: number;
}

/** A fresh set of counters, all zero. */
export function newCounters(): LimitCounters {
  return {
    refusedTotal: 0,
    refusedPerIp: 0,
    headerTimeouts: 0,
    oversized: 0,
    readPauses: 0,
    slowReaderCloses: 0,
    rateLimited: 0,
    floodCloses: 0,
    tooManyCalls: 0,
    clusterPublishFailures: 0,
    clusterDropped: 0,
  };
}

/** The answer of {@linkcode RateLimiter.take}. */
export type RateVerdict = "ok" | "refuse" | "close";

/**
 * A token bucket of `burst` tokens refilled at `perSecond`, plus a second
 * bucket of strikes: each refused frame is a strike, strikes drain at the
 * same rate, and more than `burst` of them means the client keeps sending
 * faster than it is answered — sustained abuse, not a burst.
 */
export class RateLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #strikes = 0;
  #at: number;

  /**
   * @param perSecond average frames per second allowed
   * @param burst frames allowed at once above the average
   * @param now the clock, in milliseconds
   */
  constructor(perSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#perMs = perSecond / 1000;
    this.#burst = Math.max(1, burst);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#at = now();
  }

  /** Takes one token for a received frame. */
  take(): RateVerdict {
    const now = this.#now();
    const refill = (now - this.#at) * this.#perMs;
    this.#at = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + refill);
    this.#strikes = Math.max(0, this.#strikes - refill);
    if (this.#tokens >= 1) {
      this.#tokens--;
      return "ok";
    }
    this.#strikes++;
    return this.#strikes > this.#burst ? "close" : "refuse";
  }
}

/** The answer of {@linkcode ConnectionGate.admit}: "total" means HTTP 503, "ip" HTTP 429. */
export type Admission = "ok" | "total" | "ip";

/** Counts open connections, in total and per address, for the limits checked before an upgrade. */
export class ConnectionGate {
  readonly #max: number;
  readonly #perIp: number;
  readonly #byIp = new Map<string, number>();
  #open = 0;

  /** @param limits 0 turns either limit off */
  constructor(limits: { maxConnections: number; maxConnectionsPerIp: number }) {
    this.#max = limits.maxConnections;
    this.#perIp = limits.maxConnectionsPerIp;
  }

  /** Connections admitted and not yet released. */
  get open(): number {
    return this.#open;
  }

  /** Connections admitted from `ip` and not yet released. */
  openFrom(ip: string): number {
    return this.#byIp.get(ip) ?? 0;
  }

  /** Admits one more connection from `ip`, or says which limit refuses it. */
  admit(ip: string): Admission {
    if (this.#max > 0 && this.#open >= this.#max) return "total";
    const fromIp = this.#byIp.get(ip) ?? 0;
    if (this.#perIp > 0 && fromIp >= this.#perIp) return "ip";
    this.#open++;
    this.#byIp.set(ip, fromIp + 1);
    return "ok";
  }

  /** Releases a connection admitted for `ip`. */
  release(ip: string): void {
    const fromIp = this.#byIp.get(ip);
    if (fromIp === undefined) return;
    this.#open--;
    if (fromIp <= 1) this.#byIp.delete(ip);
    else this.#byIp.set(ip, fromIp - 1);
  }
}
