/**
 * The runtime's counters. The hot path only adds to plain numbers and typed
 * arrays (sent frames are counted by type number, received messages and plug
 * durations on a per-event object the dispatcher reaches through the plug it
 * already looked up); nothing is formatted or hashed per message. `/metrics`
 * and `/status` read these values when they are asked.
 *
 * @example
 * ```ts
 * import { Metrics } from "./metrics.ts";
 * const metrics = new Metrics();
 * metrics.unmatched.received++;
 * metrics.error("NOT_FOUND");
 * console.log(metrics.errors()); // [["NOT_FOUND", 1]]
 * ```
 * @module
 */

import type { LoadReport } from "../plugs/loader.ts";
import type { Plug } from "../plugs/types.ts";

/** Upper bounds, in seconds, of the `ssocket_plug_duration_seconds` buckets. */
export const DURATION_BUCKETS: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];
/** The event label of messages that ran no plug (unknown event, bad frame, refused). */
export const UNMATCHED_EVENT = "$unmatched";
/** Error codes past this many distinct ones are counted under {@linkcode OTHER_CODE}. */
export const MAX_ERROR_CODES = 100;
/** The code label of errors past {@linkcode MAX_ERROR_CODES} distinct codes. */
export const OTHER_CODE = "$other";
/** How many frame types exist (6 bits of the type byte). */
const TYPE_COUNT = 64;
const TYPE_MASK = 0x3f;
/** Offset of the type byte in a frame. */
const TYPE_OFFSET = 4;

/** Messages and plug run times of one event label. */
export class EventStats {
  /** Messages received for this event. */
  received = 0;
  /** Plug runs observed. */
  count = 0;
  /** Seconds spent in plug runs, summed. */
  sum = 0;
  /** Runs per bucket of {@linkcode DURATION_BUCKETS}, not cumulative; the last slot is +Inf. */
  readonly buckets: Float64Array = new Float64Array(DURATION_BUCKETS.length + 1);

  /** Records one plug run that took `seconds`. */
  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.buckets[i]++;
  }
}

/** What the status page shows of one plug file. */
export interface PlugState {
  /** Its event name. */
  event: string;
  /** "loaded" (serving), "failed" (the last load failed) or "removed". */
  state: "loaded" | "failed" | "removed";
  /** When it last changed, in ms since the epoch. */
  at: number;
  /** The message of the last failed load, while it still fails or until it loads again. */
  lastError?: string;
  /** True when an older version keeps serving after a failed load. */
  serving: boolean;
}

/** Every counter the runtime keeps; see the module doc. */
export class Metrics {
  /** When the runtime started, in ms since the epoch. */
  readonly startedAt: number = Date.now();
  /** Connections accepted since start. */
  connectionsOpened = 0;
  /** Upgrades refused by authentication. */
  authRefused = 0;
  /** Bytes of WebSocket messages received. */
  bytesReceived = 0;
  /** Bytes of frames written to sockets. */
  bytesSent = 0;
  /** Frames written to sockets, by frame type number. */
  readonly sent: Float64Array = new Float64Array(TYPE_COUNT);
  /** Bytes a SYNC frame saved against sending its whole state. */
  syncBytesSaved = 0;
  /** Messages that ran no plug. */
  readonly unmatched: EventStats = new EventStats();
  /** Plug file loads by outcome. */
  readonly reloads: Record<"loaded" | "unchanged" | "failed" | "removed", number> = {
    loaded: 0,
    unchanged: 0,
    failed: 0,
    removed: 0,
  };
  readonly #events = new Map<string, EventStats>();
  /** Stats of the plug object a message ran, so a message needs no lookup by name. */
  readonly #byPlug = new WeakMap<Plug, EventStats>();
  readonly #errors = new Map<string, number>();
  readonly #plugs = new Map<string, PlugState>();

  /**
   * The stats of `plug`'s event. Keyed by the plug object, which the
   * dispatcher already holds; a reloaded plug is a new object that finds the
   * same event's stats once, then keeps them.
   */
  of(plug: Plug): EventStats {
    let stats = this.#byPlug.get(plug);
    if (stats === undefined) {
      stats = this.event(plug.event);
      this.#byPlug.set(plug, stats);
    }
    return stats;
  }

  /** The stats of an event label, created on first use. */
  event(name: string): EventStats {
    let stats = this.#events.get(name);
    if (stats === undefined) {
      stats = new EventStats();
      this.#events.set(name, stats);
    }
    return stats;
  }

  /** Counts one frame written to one socket. */
  frameSent(frame: Uint8Array): void {
    this.sent[frame[TYPE_OFFSET] & TYPE_MASK]++;
    this.bytesSent += frame.length;
  }

  /** Counts the same frame written to `sockets` sockets. */
  framesSent(frame: Uint8Array, sockets: number): void {
    this.sent[frame[TYPE_OFFSET] & TYPE_MASK] += sockets;
    this.bytesSent += frame.length * sockets;
  }

  /** Counts an ERROR or NOT_FOUND frame's code; plug-chosen codes are capped. */
  error(code: string): void {
    const seen = this.#errors.get(code);
    if (seen !== undefined) this.#errors.set(code, seen + 1);
    else if (this.#errors.size < MAX_ERROR_CODES) this.#errors.set(code, 1);
    else this.#errors.set(OTHER_CODE, (this.#errors.get(OTHER_CODE) ?? 0) + 1);
  }

  /** Records a plug file load (or removal) reported by the loader. */
  loaded(report: LoadReport): void {
    if (report.outcome === "ignored") return;
    this.reloads[report.outcome]++;
    if (report.outcome === "unchanged") return;
    const previous = this.#plugs.get(report.event);
    const at = Date.now();
    if (report.outcome === "failed") {
      this.#plugs.set(report.event, {
        event: report.event,
        state: "failed",
        at,
        lastError: report.error,
        serving: previous?.state === "loaded" || previous?.serving === true,
      });
    } else {
      this.#plugs.set(report.event, {
        event: report.event,
        state: report.outcome,
        at,
        serving: report.outcome === "loaded",
      });
    }
  }

  /** Every event label with stats, the unmatched one included, sorted. */
  events(): [string, EventStats][] {
    const all: [string, EventStats][] = [...this.#events.entries()];
    all.push([UNMATCHED_EVENT, this.unmatched]);
    return all.sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  }

  /** Error counts by code, sorted by code. */
  errors(): [string, number][] {
    return [...this.#errors.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
  }

  /** The load state of every plug file seen, sorted by event. */
  plugs(): PlugState[] {
    return [...this.#plugs.values()].sort((a, b) => a.event < b.event ? -1 : 1);
  }
}
