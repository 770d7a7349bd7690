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

import type { Member, PresenceChange } from "../protocol/presence.ts";

import type { Config } from "../../config.ts";
import type { EventType } from "../protocol/event_type.ts";
import type { Logger } from "../log.ts";
import type { Call } from "../call/call.ts";

/** The `$presence` payload types, defined once in `protocol/presence.ts`. */
export type { Member, PresenceChange };

/** A message sent outside a plug's yields: `event` is required there. */
export interface OutgoingMessage<P = unknown> {
  /** Event name of the frame. */
  event: string;
  /** Event type; `EventType.MESSAGE` for `send`/`sendTo`, `EventType.BROADCAST` for `broadcast`. */
  type?: EventType;
  /** JSON-serializable payload. */
  payload?: P;
}

/** Where `server.broadcast` sends. */
export interface BroadcastOptions {
  /** Only the members of this room (on every node); everyone when left out. */
  room?: string;
  /** A connection (or its id) to leave out. */
  exclude?: string | Client;
}

/**
 * Who a connection is: what `server.authenticate` returned, or the claims of
 * its verified JWT. Frozen; a client cannot change it.
 */
export type Identity = Readonly<Record<string, unknown>>;

/** What an authenticator learns besides the upgrade request. */
export interface AuthInfo {
  /** The address the upgrade came from. */
  remoteAddr: Deno.NetAddr;
  /** The token from the `token` query parameter or the `ssocket.token.<token>` subprotocol. */
  token?: string;
  /** With `auth.jwtSecret`: the claims of `token`, already verified (signature, `exp`, `nbf`). */
  claims?: Identity;
}

/**
 * Decides whether a WebSocket upgrade may proceed: an identity object
 * accepts it (plugs read it as `client.identity`), `false` or a throw answers
 * 401, and a `Response` is sent as it is. No socket is opened unless it
 * accepts.
 */
export type Authenticator = (
  request: Request,
  info: AuthInfo,
) => Identity | false | Response | Promise<Identity | false | Response>;

/** Options of a call from the server to a client (`client.call`). */
export interface ClientCallOptions {
  /**
   * Milliseconds to wait for each reply (and for the end); the wait restarts
   * at every reply. 0 waits forever. Defaults to `callTimeout` (30 s).
   */
  timeout?: number;
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
  /**
   * Who connected, as the authenticator or the verified JWT said; undefined
   * when the server authenticates no one. Read-only: only the server sets it.
   */
  readonly identity: Identity | undefined;
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
  /**
   * Calls `event` on this client, which answers with the handler it
   * registered with `client.handle(event, fn)`. Iterate the replies with
   * `for await` or take `await call.first()`; many calls may be in flight.
   * A client with no handler rejects the iteration with a `CallError` of
   * code `NOT_FOUND`, a throwing handler with its error's code; a closed
   * connection with `CONNECTION_LOST`, silence with `TIMEOUT`. Leaving the
   * loop (or `first()`) cancels the handler on the client.
   *
   * @param payload JSON, or a `Uint8Array` sent as raw bytes
   * @throws {ProtocolError} `INVALID_YIELD` if the payload cannot be framed
   *
   * @example
   * ```ts ignore
   * const ok = await client.call<boolean>("confirm", { question: "Delete 3 files?" }).first();
   * if (!ok) throw new PlugError("DECLINED", "Not confirmed");
   * ```
   */
  call<R = unknown>(event: string, payload?: unknown, options?: ClientCallOptions): Call<R>;
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
  /**
   * The connection `id` if it is open on this process (to `call` it from
   * INIT or a timer); `undefined` otherwise, including on other nodes.
   */
  client(id: string): Client | undefined;
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
  /**
   * Decides who may connect: `authenticator` runs for every WebSocket upgrade
   * before the socket is accepted (replacing any earlier one). With
   * `auth.jwtSecret` set it runs after the token verified, with its claims in
   * `info.claims`.
   *
   * @example
   * ```ts ignore
   * export function INIT(server: Server) {
   *   server.authenticate(async (request, { token }) => {
   *     const user = token ? await users.byApiKey(token) : undefined;
   *     return user ? { id: user.id, name: user.name } : false; // false: 401, no socket
   *   });
   * }
   * ```
   */
  authenticate(authenticator: Authenticator): void;
  /** Runs `hook` after each connection closes; returns a function that removes it. */
  onDisconnect(hook: ConnectionHook): () => void;
  /** Closes every connection with 1001 and stops the server. Safe to call twice. */
  close(): Promise<void>;
}
