/**
 * The one send path. Every outgoing frame — a plug's yield, `client.send`,
 * `server.sendTo`, `server.broadcast`, `$presence`, ERROR and END frames, and
 * frames arriving from other nodes — is turned into bytes for one
 * connection, a room, or everyone here, and handed to the cluster adapter
 * for the other nodes. MESSAGE, BROADCAST and SYNC and the exclude rule are
 * decided here and nowhere else. The hub also keeps this node's rooms and
 * speaks presence to the adapter.
 *
 * @example
 * ```ts ignore
 * const hub = new Hub({ excludeSenderOnBroadcast: true });
 * hub.broadcast(EventType.BROADCAST, "tick", Date.now(), "clock");
 * ```
 * @module
 */

import { type ClusterAdapter, type ClusterMessage, MemoryAdapter } from "../cluster/adapter.ts";
import type { Member, OutgoingMessage, PresenceChange } from "../plugs/api.ts";
import type { Yield } from "../plugs/types.ts";
import { EventType } from "../protocol/event_type.ts";
import { ErrorCode, PlugError, ProtocolError } from "../protocol/errors.ts";
import { decodeFrame, encodeFrame } from "../protocol/frame.ts";
import { FrameEncoder } from "../protocol/frame_encoder.ts";
import type { Connection } from "./connection.ts";
import { checkRoomName, RoomTable } from "./rooms.ts";
import { eventStream, requestStream } from "./sync_streams.ts";

/** The event of presence frames; `$` names are the runtime's and never map to plugs. */
export const PRESENCE_EVENT = "$presence";
/** Largest presence meta, as JSON bytes: it is sent to every member on each join. */
export const MAX_META_BYTES = 4096;
/** The code of the `PlugError` thrown for meta that cannot be presence meta. */
export const INVALID_META = "INVALID_META";

/** How many ids of closed connections the hub remembers, so `sendTo` can say they are gone. */
const GONE_IDS = 10_000;

/** The rules the hub applies. */
export interface HubOptions {
  /** Leave the sender out of its own BROADCAST yields. */
  excludeSenderOnBroadcast: boolean;
  /** The way to other nodes; none by default. */
  adapter?: ClusterAdapter;
  /** Where failures of fire-and-forget presence work are reported. */
  onError?: (message: string, err: unknown) => void;
}

const utf8 = new TextEncoder();

/** The state a SYNC frame updates: the UTF-8 JSON of the payload. */
export function encodeSyncState(payload: unknown): Uint8Array {
  return utf8.encode(JSON.stringify(payload) ?? "null");
}

/** Connections, rooms and the way out to them. */
export class Hub {
  /** This node's open connections by id. */
  readonly connections: Map<string, Connection> = new Map();
  /** This node's rooms. */
  readonly rooms: RoomTable<Connection> = new RoomTable();
  /** The way to other nodes. */
  readonly adapter: ClusterAdapter;
  readonly #encoder = new FrameEncoder();
  readonly #excludeSender: boolean;
  readonly #onError: (message: string, err: unknown) => void;
  /** Presence work still under way, so close() can wait for it. */
  readonly #pending = new Set<Promise<void>>();
  /** Ids of connections that closed here, oldest first (a bounded memory). */
  readonly #gone = new Set<string>();

  constructor(options: HubOptions) {
    this.#excludeSender = options.excludeSenderOnBroadcast;
    this.adapter = options.adapter ?? new MemoryAdapter();
    this.#onError = options.onError ?? (() => {});
    this.adapter.subscribe((message) => this.#deliver(message));
    this.adapter.watchPresence(
      () => this.#localEntries(),
      (room, joined, left) => this.#presence(room, joined.map(parseMember), left),
    );
  }

  /** Adds an open connection. */
  add(connection: Connection): void {
    this.connections.set(connection.id, connection);
  }

  /** Removes a closed connection and takes it out of every room; false if it was not here. */
  remove(connection: Connection): boolean {
    if (!this.connections.delete(connection.id)) return false;
    this.#gone.add(connection.id);
    if (this.#gone.size > GONE_IDS) this.#gone.delete(this.#gone.values().next().value!);
    for (const room of [...connection.rooms]) this.#track(this.leave(connection, room));
    return true;
  }

  /**
   * Sends one frame to a local connection. SYNC becomes a delta against the
   * state this connection holds on the stream: per request id for a call,
   * per event otherwise.
   *
   * @returns false if the connection is closed
   * @throws {ProtocolError} when the payload cannot be encoded
   */
  toConnection(
    connection: Connection,
    type: number,
    event: string,
    payload: unknown,
    requestId?: number,
    end?: boolean,
  ): boolean {
    if (!connection.isOpen) return false;
    if (type === EventType.SYNC) {
      return this.#sync(connection, event, encodeSyncState(payload), requestId);
    }
    return connection.write(this.#encoder.json(type, event, payload, requestId, end));
  }

  /**
   * Routes one plug yield: BROADCAST to everyone or to `out.room` (the sender
   * left out under `excludeSenderOnBroadcast`), everything else to the
   * caller, SYNC as a delta.
   *
   * @throws {ProtocolError} `INVALID_YIELD` for a yield that is not `{ payload }`-shaped
   */
  routeYield(caller: Connection, requestEvent: string, requestId: number | undefined, out: Yield) {
    if (out === null || typeof out !== "object") {
      throw new ProtocolError(
        ErrorCode.INVALID_YIELD,
        `Plug yielded ${out === null ? "null" : typeof out}; yield { payload } objects`,
      );
    }
    const type = out.type ?? EventType.MESSAGE;
    const event = out.event ?? requestEvent;
    if (type === EventType.BROADCAST) {
      if (out.room !== undefined) checkYieldRoom(out.room);
      this.broadcast(
        type,
        event,
        out.payload,
        out.room,
        this.#excludeSender ? caller.id : undefined,
      );
    } else if (out.room !== undefined) {
      throw new ProtocolError(
        ErrorCode.INVALID_YIELD,
        `A yield with a room must be a BROADCAST; this one has type ${type}`,
      );
    } else {
      this.toConnection(caller, type, event, out.payload, requestId);
    }
  }

  /**
   * Sends a message to one connection by id, here or on another node. A SYNC
   * to another node carries the whole state; the node holding the connection
   * computes the delta.
   *
   * @returns true if written here or handed to other nodes; false for a
   * connection known to be gone (it closed here), or when no other node can
   * be reached. A true for another node's connection means Redis took the
   * message, not that the connection still exists.
   */
  sendTo(id: string, message: OutgoingMessage): boolean {
    const type = message.type ?? EventType.MESSAGE;
    const local = this.connections.get(id);
    if (local) return this.toConnection(local, type, message.event, message.payload);
    if (this.#gone.has(id)) return false;
    if (type === EventType.SYNC) {
      const frame = encodeFrame({ type, event: message.event }, encodeSyncState(message.payload));
      return this.adapter.publish({ kind: "sync", frame, to: id });
    }
    const frame = this.#encoder.json(type, message.event, message.payload);
    return this.adapter.publish({ kind: "direct", frame, to: id });
  }

  /**
   * Sends a frame to everyone (or the members of `room`) on every node except
   * `exclude`, encoded once here.
   *
   * @returns how many local connections it was written to
   */
  broadcast(type: number, event: string, payload: unknown, room?: string, exclude?: string) {
    if (type === EventType.SYNC) {
      throw new TypeError("A SYNC message goes to one connection at a time; use sendTo");
    }
    const frame = this.#encoder.json(type, event, payload);
    // Published first: the adapter copies the frame before local sends could reuse the buffer.
    this.adapter.publish({ kind: "broadcast", frame, exclude, room });
    return this.#deliverLocal(frame, room, exclude);
  }

  /**
   * Puts `connection` in `room` and tells the room's members. Resolves once
   * every node can see the membership.
   *
   * @throws {PlugError} `INVALID_ROOM` or `INVALID_META`
   */
  async join(connection: Connection, room: string, meta: unknown): Promise<void> {
    checkRoomName(room);
    const metaJson = encodeMeta(meta);
    if (!connection.isOpen) return;
    const stored = JSON.parse(metaJson);
    this.rooms.add(room, connection, stored);
    connection.rooms.add(room);
    await this.#cluster("join", this.adapter.join(room, connection.id, metaJson));
    // It may have left (or closed) while the cluster was told.
    if (!connection.rooms.has(room)) return;
    this.#presence(room, [{ id: connection.id, meta: stored }], []);
  }

  /** Takes `connection` out of `room` and tells the remaining members. */
  async leave(connection: Connection, room: string): Promise<void> {
    checkRoomName(room);
    if (!this.rooms.delete(room, connection.id)) return;
    connection.rooms.delete(room);
    await this.#cluster("leave", this.adapter.leave(room, connection.id));
    this.#presence(room, [], [connection.id]);
  }

  /** Every member of `room` on every reachable node. */
  async members(room: string): Promise<Member[]> {
    checkRoomName(room);
    const stored = await this.adapter.members(room).catch((err) => {
      this.#onError(`Cluster members("${room}") failed; answering with this node's`, err);
      return undefined;
    });
    if (stored) return stored.map(parseMember);
    return [...this.rooms.members(room)].map(({ connection, meta }) => ({
      id: connection.id,
      meta: meta as Member["meta"],
    }));
  }

  /** Waits for presence work still under way (leaves of closed connections). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #presence(room: string, joined: Member[], left: string[]): void {
    const change: PresenceChange = { room, joined, left: left.map((id) => ({ id })) };
    this.broadcast(EventType.BROADCAST, PRESENCE_EVENT, change, room);
  }

  #sync(connection: Connection, event: string, state: Uint8Array, requestId?: number): boolean {
    const stream = requestId === undefined ? eventStream(event) : requestStream(requestId);
    const delta = connection.sync.next(stream, state);
    return connection.write(this.#encoder.frame({ type: EventType.SYNC, event, requestId }, delta));
  }

  #deliverLocal(frame: Uint8Array, room?: string, exclude?: string): number {
    let sent = 0;
    if (room === undefined) {
      for (const connection of this.connections.values()) {
        if (connection.id !== exclude && connection.write(frame)) sent++;
      }
    } else {
      for (const { connection } of this.rooms.members(room)) {
        if (connection.id !== exclude && connection.write(frame)) sent++;
      }
    }
    return sent;
  }

  #deliver(message: ClusterMessage): void {
    if (message.kind === "broadcast") {
      this.#deliverLocal(message.frame, message.room, message.exclude);
      return;
    }
    const connection = message.to ? this.connections.get(message.to) : undefined;
    if (!connection) return;
    if (message.kind === "direct") {
      connection.write(message.frame);
    } else {
      const { event, payload } = decodeFrame(message.frame);
      this.#sync(connection, event, payload);
    }
  }

  *#localEntries() {
    for (const { room, id, meta } of this.rooms.entries()) {
      yield { room, id, meta: JSON.stringify(meta) };
    }
  }

  /** Cluster trouble never fails a join or leave: this node keeps serving its own. */
  async #cluster(what: string, work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (err) {
      this.#onError(`Cluster ${what} failed; it is re-announced when the link is back`, err);
    }
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((err) => this.#onError("Leaving a room failed", err))
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}

function checkYieldRoom(room: unknown): void {
  try {
    checkRoomName(room);
  } catch (err) {
    throw new ProtocolError(ErrorCode.INVALID_YIELD, (err as Error).message);
  }
}

function encodeMeta(meta: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(meta ?? null);
  } catch (err) {
    throw new PlugError(INVALID_META, `Room meta must be JSON: ${(err as Error).message}`);
  }
  if (json === undefined) throw new PlugError(INVALID_META, `Room meta must be JSON`);
  if (utf8.encode(json).length > MAX_META_BYTES) {
    throw new PlugError(INVALID_META, `Room meta is limited to ${MAX_META_BYTES} bytes of JSON`);
  }
  return json;
}

function parseMember(stored: { id: string; meta: string }): Member {
  return { id: stored.id, meta: JSON.parse(stored.meta) };
}
