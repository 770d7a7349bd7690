/**
 * SYNC state of a legacy connection (one that did not negotiate ssocket's
 * subprotocol): what its original `SocketMessage` holds on each stream, so
 * the next SYNC can be instructions against exactly that. Streams are keyed
 * as in {@linkcode SyncStreams}; what differs is the base:
 *
 * - the first SYNC of a stream in a plug run is against **the request frame**
 *   that started the run, as in serverless-sockets ("the difference between
 *   the last sent or received object"): its client syncs a copy of what it
 *   sent;
 * - each next one is against the previous SYNC's whole frame;
 * - a SYNC sent outside a plug run (`client.send`, `server.sendTo`) is against
 *   the stream's previous frame, or empty bytes if there is none.
 *
 * @example
 * ```ts
 * import { LegacySyncStreams, legacyRun } from "./legacy_sync_streams.ts";
 * const streams = new LegacySyncStreams(1_000_000);
 * const request = new Uint8Array([0, 0, 0, 9, 0, 3, 100, 111, 99]); // "doc", no payload
 * const json = streams.next("e:doc", "doc", new TextEncoder().encode("{}"), legacyRun(request));
 * console.log(new TextDecoder().decode(json)); // "[[2],[3,11,3],[9,123,125]]"
 * ```
 * @module
 */

import { encodeLegacySync, legacyStateFrame } from "../protocol/legacy_sync.ts";

const EMPTY = new Uint8Array(0);

/** One plug run on a legacy connection: its request frame, and the streams it has synced. */
export interface LegacyRun {
  /** The request frame exactly as the client sent it. */
  readonly request: Uint8Array;
  /** Streams this run has already sent a SYNC on. */
  readonly started: Set<string>;
}

/** A new {@linkcode LegacyRun} for the plug run answering `request`. */
export function legacyRun(request: Uint8Array): LegacyRun {
  return { request, started: new Set() };
}

/** The SYNC states one legacy connection holds, bounded in total bytes. */
export class LegacySyncStreams {
  readonly #frames = new Map<string, Uint8Array>();
  /** Lengths of states past the byte limit: enough to rewrite them whole. */
  readonly #lengths = new Map<string, number>();
  readonly #limit: number;
  #bytes = 0;

  /** @param limit most bytes of state kept across all streams */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Returns the JSON instructions taking `stream` from what the client holds
   * to the frame of `state` (SYNC type, `event`), and remembers that frame.
   * Past the byte limit only its length is kept, and the next SYNC rewrites
   * every byte: the original format cannot reset a stream, but a full
   * rewrite needs only the length of what is there.
   *
   * @param run the plug run sending it, if any (its first SYNC on a stream is against its request)
   */
  next(stream: string, event: string, state: Uint8Array, run?: LegacyRun): Uint8Array {
    const target = legacyStateFrame(event, state);
    let base: Uint8Array | number;
    if (run !== undefined && !run.started.has(stream)) {
      run.started.add(stream);
      base = run.request;
    } else {
      base = this.#frames.get(stream) ?? this.#lengths.get(stream) ?? EMPTY;
    }
    this.forget(stream);
    if (this.#bytes + target.length > this.#limit) {
      this.#lengths.set(stream, target.length);
    } else {
      this.#frames.set(stream, target);
      this.#bytes += target.length;
    }
    return encodeLegacySync(base, target);
  }

  /** Drops a stream's state (its call ended). */
  forget(stream: string): void {
    this.#lengths.delete(stream);
    const frame = this.#frames.get(stream);
    if (!frame) return;
    this.#bytes -= frame.length;
    this.#frames.delete(stream);
  }

  /** Drops every stream (the connection closed). */
  clear(): void {
    this.#frames.clear();
    this.#lengths.clear();
    this.#bytes = 0;
  }

  /** Bytes of state held. */
  get bytes(): number {
    return this.#bytes;
  }
}
