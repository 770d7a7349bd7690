/**
 * The hub knows every connection of this process (through a
 * {@linkcode ConnectionRegistry}) and reaches the others through a
 * {@linkcode ClusterAdapter}. Dispatch only calls `broadcast` and `sendTo`,
 * so rooms and clustering slot in here without touching it.
 *
 * @example
 * ```ts
 * import { Hub } from "./hub.ts";
 * const hub = new Hub();
 * console.log(hub.registry.size); // 0
 * ```
 * @module
 */

import { type ClusterAdapter, type ClusterMessage, MemoryAdapter } from "../cluster/adapter.ts";
import { EventType } from "../protocol/event_type.ts";
import { decodeFrame, encodeFrame } from "../protocol/frame.ts";

/** What the hub needs from a connection. */
export interface HubMember {
  /** Stable connection id. */
  readonly id: string;
  /** Sends an encoded frame; false if the socket is not open. */
  sendFrame(frame: Uint8Array): boolean;
  /** Sends a SYNC state as a delta against what this connection holds for `event`. */
  sendSync(event: string, state: Uint8Array): boolean;
}

/** Where the connections of this process are kept. */
export interface ConnectionRegistry<C extends HubMember = HubMember> {
  /** Adds a connection. */
  add(connection: C): void;
  /** Removes a connection by id; returns whether it was there. */
  delete(id: string): boolean;
  /** The connection with this id, if it is on this process. */
  get(id: string): C | undefined;
  /** How many connections there are. */
  readonly size: number;
  /** Every connection. */
  values(): IterableIterator<C>;
}

/** The default registry: a Map in this process. */
export class MemoryRegistry<C extends HubMember = HubMember> implements ConnectionRegistry<C> {
  readonly #connections = new Map<string, C>();
  add(connection: C): void {
    this.#connections.set(connection.id, connection);
  }
  delete(id: string): boolean {
    return this.#connections.delete(id);
  }
  get(id: string): C | undefined {
    return this.#connections.get(id);
  }
  get size(): number {
    return this.#connections.size;
  }
  values(): IterableIterator<C> {
    return this.#connections.values();
  }
}

/** Routes frames to local connections and, through the adapter, to peers. */
export class Hub<C extends HubMember = HubMember> {
  /**
   * @param registry this process's connections
   * @param adapter the way to peer processes (none by default)
   */
  constructor(
    readonly registry: ConnectionRegistry<C> = new MemoryRegistry<C>(),
    readonly adapter: ClusterAdapter = new MemoryAdapter(),
  ) {
    adapter.subscribe((message) => this.#deliver(message));
  }

  /**
   * Sends one encoded frame to every connection except `excludeId`, here and
   * on peers. The frame is encoded once by the caller and shared.
   *
   * @returns how many local connections it was written to
   */
  broadcast(frame: Uint8Array, excludeId?: string): number {
    this.adapter.publish({ kind: "broadcast", frame, exclude: excludeId });
    return this.#broadcastLocal(frame, excludeId);
  }

  /**
   * Sends a frame to one connection, wherever it is.
   *
   * @returns true if written locally or handed to peers
   */
  sendTo(id: string, frame: Uint8Array): boolean {
    const local = this.registry.get(id);
    if (local) return local.sendFrame(frame);
    return this.adapter.publish({ kind: "direct", frame, to: id });
  }

  /**
   * Sends a SYNC state to one connection, wherever it is. Only the process
   * holding the connection knows the state it has, so it computes the delta;
   * peers receive the whole state.
   *
   * @returns true if sent locally or handed to peers
   */
  sendSyncTo(id: string, event: string, state: Uint8Array): boolean {
    const local = this.registry.get(id);
    if (local) return local.sendSync(event, state);
    const frame = encodeFrame({ type: EventType.SYNC, event }, state);
    return this.adapter.publish({ kind: "sync", frame, to: id });
  }

  #broadcastLocal(frame: Uint8Array, excludeId?: string): number {
    let sent = 0;
    for (const connection of this.registry.values()) {
      if (connection.id !== excludeId && connection.sendFrame(frame)) sent++;
    }
    return sent;
  }

  #deliver(message: ClusterMessage): void {
    if (message.kind === "broadcast") {
      this.#broadcastLocal(message.frame, message.exclude);
      return;
    }
    const member = message.to ? this.registry.get(message.to) : undefined;
    if (!member) return;
    if (message.kind === "direct") {
      member.sendFrame(message.frame);
    } else {
      const { event, payload } = decodeFrame(message.frame);
      member.sendSync(event, payload);
    }
  }
}
