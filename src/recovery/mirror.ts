/**
 * Where a cluster keeps recovery sessions so that any node can resume
 * them: the secret's hash, identity, rooms, data and the frames not yet
 * acknowledged. The Redis adapter implements it on Redis hashes and a Redis
 * Stream per session (redis_sessions.ts); a single process has none and
 * keeps sessions in memory only.
 *
 * @example
 * ```ts ignore
 * const mirror = adapter.sessions?.({ window: 120 });
 * mirror?.append(id, 1, frame);
 * ```
 * @module
 */

import type { ResetReason } from "../protocol/recovery.ts";
import type { SyncNote } from "./replay_buffer.ts";

/** A numbered frame as the mirror keeps it. */
export interface MirroredFrame {
  seq: number;
  frame: Uint8Array;
  sync?: SyncNote;
}

/** Everything a node needs to take a session over. */
export interface MirroredSession {
  /** Claims and JSON of meta by room. */
  rooms: Record<string, string>;
  /** `JSON.stringify(client.data)` as last written. */
  data: string;
  identity?: string;
  acked: number;
  seq: number;
  frames: MirroredFrame[];
  /** SYNC states as of `acked`, by stream key. */
  bases: Map<string, Uint8Array>;
}

/** What the owner writes as things change; all writes are fire-and-forget, in order. */
export interface SessionMirror {
  /** A session opened (or resumed) here with this secret hash; this node owns it. */
  open(id: string, secretHash: Uint8Array, identityKey: string, identity?: string): void;
  /** Frame `seq` was sent (or kept for the client). */
  append(id: string, frame: MirroredFrame): void;
  /** The client acknowledged up to `seq`; with the SYNC bases that changed and a snapshot. */
  ack(id: string, seq: number, bases: ReadonlyMap<string, Uint8Array>, snapshot: Snapshot): void;
  /** Rooms or data changed. */
  snapshot(id: string, snapshot: Snapshot): void;
  /** The client dropped: the session lives `window` seconds from now, unless resumed. */
  detached(id: string, snapshot: Snapshot): void;
  /** Keeps sessions of connected clients alive (called periodically). */
  refresh(ids: string[]): void;
  /** The session ended: its keys go. */
  forget(id: string): void;
  /**
   * Checks the secret's hash and the identity, and makes this node the owner,
   * atomically; the same secret can never claim twice.
   *
   * @returns the node that owned it, or why it cannot be resumed
   */
  claim(id: string, secretHash: Uint8Array, identityKey: string): Promise<string | ResetReason>;
  /**
   * Asks node `owner` to let go of session `id` and waits until it has (or
   * has proved dead, or a timeout passed), then reads the session.
   */
  takeOver(id: string, owner: string): Promise<MirroredSession | undefined>;
  /** Called when another node takes a session over; resolve once it is let go. */
  onTakeOver(handler: (id: string) => Promise<void>): void;
}

/** A session's rooms (meta JSON by room) and data JSON, as of now. */
export interface Snapshot {
  rooms: Record<string, string>;
  data: string;
}
