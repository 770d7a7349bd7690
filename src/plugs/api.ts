/**
 * The plug API: everything a plug, `INIT(server)` or an embedder may use, and
 * nothing else. A plug gets a {@linkcode Client} for the connection that sent
 * the message; `client.server` (and INIT's argument) is a {@linkcode Server}.
 * The runtime's connections, dispatcher, hub and cluster sit behind these two
 * interfaces and are not exported, so they can change (or move into a Worker)
 * without breaking a plug.
 *
 * @example
 * ```ts ignore
 * // plugs/room/join.ts — event "room/join"
 * import type { Client, SocketMessage } from "ssocket";
 * export async function* join(message: SocketMessage<{ room: string }>, client: Client) {
 *   await client.join(message.payload.room, { name: client.data.name });
 *   yield { payload: await client.server.members(message.payload.room) };
 * }
 * ```
 * @module
 */

import type { Config } from "../../config.ts";
import type { EventType } from "../protocol/event_type.ts";
import type { Logger } from "../log.ts";

/** A message sent outside a plug's yields: `event` is required there. */
export interface OutgoingMessage<P = unknown> {
  /** Event name of the frame. */
  event: string;
  /** Event type; `EventType.MESSAGE` for `send`/`sendTo`, `EventType.BROADCAST` for `broadcast`. */
  type?: EventType;
  /** JSON-serializable payload. */
  payload?: P;
}

/** One member of a room, as `members()` and `$presence` report it. */
export interface Member<M = unknown> {
  /** The member's connection id (unique across every node). */
  id: string;
  /** What it passed to `client.join(room, meta)`; `null` when nothing. */
  meta: M | null;
}

/**
 * The payload of a `"$presence"` frame, sent to the members of `room`
 * whenever someone joins or leaves it (on any node).
 */
export interface PresenceChange<M = unknown> {
  /** The room that changed. */
  room: string;
  /** Who joined, with their meta. */
  joined: Member<M>[];
  /** Who left (closed, called `leave`, or their node died). */
  left: { id: string }[];
}

/** Where `server.broadcast` sends. */
export interface BroadcastOptions {
  /** Only the members of this room (on every node); everyone when left out. */
  room?: string;
  /** A connection (or its id) to leave out. */
  exclude?: string | Client;
}

/** A hook run when a connection opens or closes. */
export type ConnectionHook = (client: Client) => void | Promise<void>;

/**
 * The connection that sent a message, as a plug sees it.
 *
 * @example
 * ```ts ignore
 * export async function* hello(_message: unknown, client: Client) {
 *   client.data.greeted = true;
 *   client.send({ event: "note", payload: { id: client.id } });
 *   yield { payload: "hi" };
 * }
 * ```
 */
export interface Client {
  /** Stable connection id, unique across every node of a cluster. */
  readonly id: string;
  /** Free per-connection storage for plugs (e.g. a user name after auth). */
  data: Record<string, unknown>;
  /** True until the connection closes; nothing is sent after that. */
  readonly isOpen: boolean;
  /**
   * Bytes queued for this connection and not yet sent. A plug's yields
   * already wait while it is over `backpressureLimit`; a plug that sends
   * frequent updates can also skip some while a client is behind.
   */
  readonly bufferedAmount: number;
  /** The rooms this connection is in. */
  readonly rooms: ReadonlySet<string>;
  /** The server this connection belongs to. */
  readonly server: Server;
  /**
   * Sends a message to this connection. A SYNC message is sent as a delta
   * against the state this connection holds for its event.
   *
   * @returns false if the connection is closed
   */
  send(message: OutgoingMessage): boolean;
  /**
   * Joins `room` (a string of 1 to 256 UTF-8 bytes) with optional JSON `meta`
   * that `members()` and `$presence` report. Joining again updates the meta.
   * Resolves once every node can see the membership.
   *
   * @throws {PlugError} `INVALID_ROOM` for a name that is not a room name
   */
  join(room: string, meta?: unknown): Promise<void>;
  /** Leaves `room`; resolves at once if this connection is not in it. */
  leave(room: string): Promise<void>;
  /** Closes the connection with a WebSocket close code and reason. */
  close(code?: number, reason?: string): void;
}

/**
 * The server, as `INIT(server)`, plugs (`client.server`) and embedders see it.
 *
 * @example
 * ```ts ignore
 * export function INIT(server: Server) {
 *   setInterval(() => server.broadcast({ event: "tick", payload: Date.now() }, { room: "clock" }), 1000);
 * }
 * ```
 */
export interface Server {
  /** The configuration this server runs with. */
  readonly config: Readonly<Config>;
  /** This server's log. */
  readonly log: Logger;
  /** The WebSocket URL clients connect to, once listening. */
  readonly url: string | undefined;
  /** Every open connection on this process (other nodes' are reached by id). */
  readonly connections: Client[];
  /** How many connections are open on this process. */
  readonly connectionCount: number;
  /** The event names with a loaded plug, sorted. */
  events(): string[];
  /**
   * Sends a message to everyone, or to the members of `options.room`, on every
   * node, except `options.exclude`. Encoded once per node. Its type is
   * `EventType.BROADCAST` unless given; SYNC goes to one connection only
   * (use `sendTo`).
   *
   * @returns how many connections on this process it was written to
   */
  broadcast(message: OutgoingMessage, options?: BroadcastOptions): number;
  /**
   * Sends a message to one connection by id, on any node. A SYNC message is a
   * delta against the state that connection holds, computed where it is held.
   *
   * @returns true if written here or handed to the other nodes; false for a
   * connection known to be gone (it closed on this node, or never existed
   * and there are no other nodes), or if no node can be reached for it. A
   * true for a connection on another node means Redis took the message; it
   * is delivered at most once, if that connection is still open.
   */
  sendTo(connectionId: string, message: OutgoingMessage): boolean;
  /** The members of `room` on every node (this node's alone while the cluster link is down). */
  members(room: string): Promise<Member[]>;
  /** The rooms with members on this process. */
  rooms(): string[];
  /** Runs `hook` for each new connection; returns a function that removes it. */
  onConnect(hook: ConnectionHook): () => void;
  /** Runs `hook` after each connection closes; returns a function that removes it. */
  onDisconnect(hook: ConnectionHook): () => void;
  /** Closes every connection with 1001 and stops the server. Safe to call twice. */
  close(): Promise<void>;
}
