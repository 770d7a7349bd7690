/**
 * How frames reach connections held by other ssocket processes. The hub
 * delivers locally first and hands the rest to an adapter; the default
 * {@linkcode MemoryAdapter} has no peers. A Redis pub/sub adapter implements
 * the same interface, and it alone imports a Redis client.
 *
 * @example
 * ```ts
 * import { MemoryAdapter } from "./adapter.ts";
 * const adapter = new MemoryAdapter();
 * adapter.publish({ kind: "broadcast", frame: new Uint8Array(6) }); // false: no peers
 * ```
 * @module
 */

/** A frame travelling between processes. */
export interface ClusterMessage {
  /**
   * `broadcast` goes to every connection; `direct` to connection `to`;
   * `sync` carries a SYNC frame whose payload is a whole state, which the
   * process holding connection `to` sends as a delta against what it holds.
   */
  kind: "broadcast" | "direct" | "sync";
  /** The encoded frame (sent as is, except for `sync`). */
  frame: Uint8Array;
  /** Connection id to leave out of a broadcast. */
  exclude?: string;
  /** Target connection id of a direct or sync message. */
  to?: string;
}

/** Carries frames to and from peer processes. */
export interface ClusterAdapter {
  /** Hands a frame to the peers; false when there are none. */
  publish(message: ClusterMessage): boolean;
  /** Receives frames published by peers. */
  subscribe(handler: (message: ClusterMessage) => void): void;
  /** Stops and releases connections. */
  close(): Promise<void>;
}

/** The single-process adapter: there are no peers, so nothing leaves. */
export class MemoryAdapter implements ClusterAdapter {
  publish(_message: ClusterMessage): boolean {
    return false;
  }
  subscribe(_handler: (message: ClusterMessage) => void): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}
