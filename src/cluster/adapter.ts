/**
 * How frames and presence reach other ssocket processes. The hub delivers
 * locally first and hands the rest to an adapter; the default
 * {@linkcode MemoryAdapter} has no peers. The Redis adapter implements the
 * same interface, and it alone imports a Redis client.
 *
 * @example
 * ```ts
 * import { MemoryAdapter } from "./adapter.ts";
 * const adapter = new MemoryAdapter();
 * adapter.publish({ kind: "broadcast", frame: new Uint8Array(6) }); // false: no peers
 * ```
 * @module
 */

import type { SessionMirror } from "../recovery/mirror.ts";

/** A frame travelling between processes. */
export interface ClusterMessage {
  /**
   * `broadcast` goes to every connection, or to the members of `room`;
   * `direct` to connection `to`; `sync` carries a SYNC frame whose payload is
   * a whole state, which the process holding connection `to` sends as a
   * delta against what it holds.
   */
  kind: "broadcast" | "direct" | "sync";
  /** The encoded frame (sent as is, except for `sync`). */
  frame: Uint8Array;
  /** Connection id to leave out of a broadcast. */
  exclude?: string;
  /** Target connection id of a direct or sync message. */
  to?: string;
  /** Room of a broadcast that goes to that room's members only. */
  room?: string;
}

/** A member as the cluster stores it: meta kept as its JSON text. */
export interface StoredMember {
  /** Connection id. */
  id: string;
  /** `JSON.stringify(meta)`. */
  meta: string;
}

/**
 * Membership changes the adapter learned of by itself (a peer died without
 * a goodbye, or this node re-announced itself after an outage); the hub
 * tells the rooms' members through `$presence`.
 */
export type PresenceListener = (room: string, joined: StoredMember[], left: string[]) => void;

/** One room entry this node holds, for re-announcing after an outage. */
export interface LocalEntry {
  room: string;
  id: string;
  meta: string;
}

/** Carries frames to and from peer processes, and keeps presence across them. */
export interface ClusterAdapter {
  /** Hands a frame to the peers; false when there are none or the link is down. */
  publish(message: ClusterMessage): boolean;
  /** Receives frames published by peers. */
  subscribe(handler: (message: ClusterMessage) => void): void;
  /**
   * Records that connection `id`, held here, is in `room`. Resolves once the
   * record is visible to every node, or at once while the link is down (the
   * adapter re-announces local members when it comes back).
   */
  join(room: string, id: string, meta: string): Promise<void>;
  /** Removes the record of `join`; same timing. */
  leave(room: string, id: string): Promise<void>;
  /** Every member of `room` on live nodes, or undefined when only this node's are known. */
  members(room: string): Promise<StoredMember[] | undefined>;
  /**
   * Tells the adapter what this node holds and where to report changes it
   * finds by itself. Called once, before the first `join`.
   */
  watchPresence(local: () => Iterable<LocalEntry>, listener: PresenceListener): void;
  /** True while peers can be reached (always true without peers). */
  readonly healthy: boolean;
  /** This node's id among its peers, for the status page. */
  readonly nodeId?: string;
  /** Frames that could not be handed to the peers (link down, or the broker refused). */
  readonly publishErrors?: number;
  /** The ids of the other live nodes, for the status page. */
  peers?(): Promise<string[]>;
  /**
   * Where recovery sessions are kept so another node can resume them, for a
   * window of `window` seconds; none without peers.
   */
  sessions?(window: number): SessionMirror;
  /** Forgets this node's presence, stops and releases connections. */
  close(): Promise<void>;
}

/** The single-process adapter: there are no peers, so nothing leaves. */
export class MemoryAdapter implements ClusterAdapter {
  readonly healthy = true;
  publish(_message: ClusterMessage): boolean {
    return false;
  }
  subscribe(_handler: (message: ClusterMessage) => void): void {}
  join(_room: string, _id: string, _meta: string): Promise<void> {
    return Promise.resolve();
  }
  leave(_room: string, _id: string): Promise<void> {
    return Promise.resolve();
  }
  members(_room: string): Promise<StoredMember[] | undefined> {
    return Promise.resolve(undefined);
  }
  watchPresence(_local: () => Iterable<LocalEntry>, _listener: PresenceListener): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}
