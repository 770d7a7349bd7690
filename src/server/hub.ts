/**
 * The one send path. Every outgoing frame — a plug's yield, `client.send`,
 * `server.sendTo`, `server.broadcast`, `$presence`, ERROR and END frames, and
 * frames arriving from other nodes — is turned into bytes for one
 * connection, a room, or everyone here, and handed to the cluster adapter
 * for the other nodes. MESSAGE, BROADCAST and SYNC and the exclude rule are
 * decided here and nowhere else. The hub also holds this node's connections
 * and rooms (membership changes go through `Presence`).
 *
 * @example
 * ```ts ignore
 * const hub = new Hub({ excludeSenderOnBroadcast: true });
 * hub.broadcast(EventType.BROADCAST, "tick", Date.now(), "clock");
 * ```
 * @module
 */

import { type ClusterAdapter, type ClusterMessage, MemoryAdapter } from "../cluster/adapter.ts";
import type { OutgoingMessage } from "../plugs/api.ts";
import type { Yield } from "../plugs/types.ts";
import { EventType } from "../protocol/event_type.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { decodeFrame, encodeFrame } from "../protocol/frame.ts";
import { FrameEncoder } from "../protocol/frame_encoder.ts";
import type { Connection } from "./connection.ts";
import { Outbox } from "./outbox.ts";
import { type LegacyRun, LegacySyncStreams } from "./legacy_sync_streams.ts";
import { checkRoomName, RoomTable } from "./rooms.ts";
import { eventStream, requestStream } from "./sync_streams.ts";
import type { Metrics } from "./metrics.ts";
import type { SyncNote } from "../recovery/replay_buffer.ts";

/** How many ids of closed connections the hub remembers, so `sendTo` can say they are gone. */
const GONE_IDS = 10_000;

/** The rules the hub applies. */
export interface HubOptions {
  /** Leave the sender out of its own BROADCAST yields. */
  excludeSenderOnBroadcast: boolean;
  /** The way to other nodes; none by default. */
  adapter?: ClusterAdapter;
  /** Counts sent frames and bytes, and SYNC savings; nothing is counted without it. */
  metrics?: Metrics;
}

const utf8 = new TextEncoder();

/** The state a SYNC frame updates: the UTF-8 JSON of the payload. */
export function encodeSyncState(payload: unknown): Uint8Array {
  if (payload instanceof Uint8Array) {
    throw new ProtocolError(ErrorCode.INVALID_YIELD, "A SYNC payload is JSON, not bytes");
  }
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
  /** Flushes packing connections' batches at the end of each event-loop turn. */
  readonly outbox: Outbox = new Outbox();
  readonly #encoder = new FrameEncoder();
  readonly #excludeSender: boolean;
  readonly #metrics: Metrics | undefined;
  /** Ids of connections that closed here, oldest first (a bounded memory). */
  readonly #gone = new Set<string>();

  constructor(options: HubOptions) {
    this.#excludeSender = options.excludeSenderOnBroadcast;
    this.adapter = options.adapter ?? new MemoryAdapter();
    this.#metrics = options.metrics;
    this.adapter.subscribe((message) => this.#deliver(message));
  }

  /** Adds an open connection. */
  add(connection: Connection): void {
    this.connections.set(connection.id, connection);
  }

  /** Removes a closed connection; false if it was not here. Its rooms are `Presence`'s to leave. */
  remove(connection: Connection): boolean {
    if (!this.connections.delete(connection.id)) return false;
    this.#gone.add(connection.id);
    if (this.#gone.size > GONE_IDS) this.#gone.delete(this.#gone.values().next().value!);
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
    return this.#write(connection, this.#encode(type, event, payload, requestId, end));
  }

  /**
   * Routes one plug yield: BROADCAST to everyone or to `out.room` (the sender
   * left out under `excludeSenderOnBroadcast`), everything else to the
   * caller, SYNC as a delta.
   *
   * @param run on a legacy connection, the plug run (its first SYNC is against the request)
   * @throws {ProtocolError} `INVALID_YIELD` for a yield that is not `{ payload }`-shaped
   */
  routeYield(
    caller: Connection,
    requestEvent: string,
    requestId: number | undefined,
    out: Yield,
    run?: LegacyRun,
  ) {
    if (out === null || typeof out !== "object") {
      throw new ProtocolError(
        ErrorCode.INVALID_YIELD,
        `Plug yielded ${out === null ? "null" : typeof out}; yield { payload } objects`,
      );
    }
    const type = out.type ?? EventType.MESSAGE;
    // "" means "the request's event", as in serverless-sockets (its README yields `event: ''`).
    const event = out.event || requestEvent;
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
    } else if (type === EventType.SYNC) {
      if (caller.isOpen) this.#sync(caller, event, encodeSyncState(out.payload), requestId, run);
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
    const frame = this.#encode(type, message.event, message.payload);
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
    const frame = this.#encode(type, event, payload);
    // Published first: the adapter copies the frame before local sends could reuse the buffer.
    this.adapter.publish({ kind: "broadcast", frame, exclude, room });
    return this.#deliverLocal(frame, room, exclude);
  }

  /**
   * SYNC for one connection, decided by what it speaks: a binary delta, or
   * for a legacy connection the original JSON instructions against the frame
   * its `SocketMessage` holds.
   */
  /**
   * A frame for a payload: a `Uint8Array` as raw bytes (flagged binary, one
   * copy into the frame), anything else as JSON.
   */
  #encode(type: number, event: string, payload: unknown, requestId?: number, end?: boolean) {
    if (type === EventType.INPUT) {
      throw new ProtocolError(ErrorCode.INVALID_YIELD, "INPUT frames are sent by callers only");
    }
    if (payload instanceof Uint8Array) {
      return this.#encoder.frame({ type, event, requestId, end, binary: true }, payload);
    }
    return this.#encoder.json(type, event, payload, requestId, end);
  }

  #sync(
    connection: Connection,
    event: string,
    state: Uint8Array,
    requestId?: number,
    run?: LegacyRun,
  ): boolean {
    const stream = requestId === undefined ? eventStream(event) : requestStream(requestId);
    const sync = connection.sync;
    const payload = sync instanceof LegacySyncStreams
      ? sync.next(stream, event, state, run)
      : sync.next(stream, state);
    const sent = this.#write(
      connection,
      this.#encoder.frame({ type: EventType.SYNC, event, requestId }, payload),
      // A resume squeezes a stream's missed SYNCs into one delta; only a session needs the note.
      connection.session && { stream, event, requestId, state },
    );
    if (sent && this.#metrics) {
      this.#metrics.syncBytesSaved += Math.max(0, state.length - payload.length);
    }
    return sent;
  }

  /**
   * Writes a frame outside the numbering of recovery sessions (`$session`,
   * which the client does not count).
   */
  control(connection: Connection, event: string, payload: unknown): boolean {
    const frame = this.#encoder.json(EventType.MESSAGE, event, payload);
    if (!connection.write(frame)) return false;
    this.#metrics?.frameSent(frame);
    return true;
  }

  /**
   * Every frame to one connection is written here, so it is counted once. A
   * recovery session numbers and keeps it (and writes it when its client is
   * connected); other connections pay one property check.
   */
  #write(connection: Connection, frame: Uint8Array, sync?: SyncNote): boolean {
    const session = connection.session;
    if (session === undefined ? !connection.write(frame) : !session.send(frame, sync)) return false;
    this.#metrics?.frameSent(frame);
    return true;
  }

  #deliverLocal(frame: Uint8Array, room?: string, exclude?: string): number {
    let sent = 0;
    if (room === undefined) {
      for (const connection of this.connections.values()) {
        if (connection.id !== exclude && writeTo(connection, frame)) sent++;
      }
    } else {
      for (const { connection } of this.rooms.members(room)) {
        if (connection.id !== exclude && writeTo(connection, frame)) sent++;
      }
    }
    this.#metrics?.framesSent(frame, sent);
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
      this.#write(connection, message.frame);
    } else {
      const { event, payload } = decodeFrame(message.frame);
      this.#sync(connection, event, payload);
    }
  }
}

/** A broadcast's write: through the session of a recovery connection, else straight out. */
function writeTo(connection: Connection, frame: Uint8Array): boolean {
  const session = connection.session;
  return session === undefined ? connection.write(frame) : session.send(frame);
}

function checkYieldRoom(room: unknown): void {
  try {
    checkRoomName(room);
  } catch (err) {
    throw new ProtocolError(ErrorCode.INVALID_YIELD, (err as Error).message);
  }
}
