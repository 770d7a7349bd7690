/**
 * The objects plugs hold: a {@linkcode Client} per connection and one
 * {@linkcode Server} per runtime. Each wraps the runtime's internal object
 * in a private field, so a plug reaches the plug API and nothing else (and a
 * Worker can later proxy exactly these members).
 *
 * @example
 * ```ts ignore
 * const connection = runtime.accept(socket);
 * connection.api.id === connection.id; // true
 * ```
 * @module
 */

import type { Config } from "../../config.ts";
import type { Logger } from "../log.ts";
import type {
  Authenticator,
  BroadcastOptions,
  Client,
  ClientCallOptions,
  ConnectionHook,
  Identity,
  Member,
  OutgoingMessage,
  Server,
} from "../plugs/api.ts";
import type { Call } from "../call/call.ts";
import { callClient } from "./outgoing.ts";
import { EventType } from "../protocol/event_type.ts";
import type { Connection } from "./connection.ts";
import { checkRoomName } from "./rooms.ts";
import type { Runtime } from "./runtime.ts";

/** The plug API of one connection. */
export class ClientHandle implements Client {
  data: Record<string, unknown> = {};
  readonly #connection: Connection;
  readonly #runtime: Runtime;

  constructor(connection: Connection, runtime: Runtime) {
    this.#connection = connection;
    this.#runtime = runtime;
  }

  get id(): string {
    return this.#connection.id;
  }
  get isOpen(): boolean {
    return this.#connection.isOpen;
  }
  get bufferedAmount(): number {
    return this.#connection.bufferedAmount;
  }
  get rooms(): ReadonlySet<string> {
    return this.#connection.rooms;
  }
  get identity(): Identity | undefined {
    return this.#connection.identity;
  }
  get server(): Server {
    return this.#runtime.api;
  }
  send(message: OutgoingMessage): boolean {
    return this.#runtime.hub.toConnection(
      this.#connection,
      message.type ?? EventType.MESSAGE,
      message.event,
      message.payload,
    );
  }
  join(room: string, meta?: unknown): Promise<void> {
    return this.#runtime.presence.join(this.#connection, room, meta);
  }
  leave(room: string): Promise<void> {
    return this.#runtime.presence.leave(this.#connection, room);
  }
  close(code?: number, reason?: string): void {
    this.#connection.close(code, reason);
  }
  call<R = unknown>(event: string, payload?: unknown, options: ClientCallOptions = {}): Call<R> {
    const timeout = options.timeout ?? this.#runtime.config.callTimeout;
    return callClient<R>(this.#runtime.hub, this.#connection, event, payload, timeout);
  }
}

/** The plug API of the server. */
export class ServerHandle implements Server {
  readonly #runtime: Runtime;

  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  get config(): Readonly<Config> {
    return this.#runtime.config;
  }
  get log(): Logger {
    return this.#runtime.log;
  }
  get url(): string | undefined {
    return this.#runtime.url;
  }
  get connections(): Client[] {
    return [...this.#runtime.hub.connections.values()].map((connection) => connection.api);
  }
  get connectionCount(): number {
    return this.#runtime.hub.connections.size;
  }
  client(id: string): Client | undefined {
    return this.#runtime.hub.connections.get(id)?.api;
  }
  events(): string[] {
    return this.#runtime.plugs.events();
  }
  broadcast(message: OutgoingMessage, options: BroadcastOptions = {}): number {
    const exclude = typeof options.exclude === "string" ? options.exclude : options.exclude?.id;
    if (options.room !== undefined) checkRoomName(options.room);
    return this.#runtime.hub.broadcast(
      message.type ?? EventType.BROADCAST,
      message.event,
      message.payload,
      options.room,
      exclude,
    );
  }
  sendTo(connectionId: string, message: OutgoingMessage): boolean {
    return this.#runtime.hub.sendTo(connectionId, message);
  }
  members(room: string): Promise<Member[]> {
    return this.#runtime.presence.members(room);
  }
  rooms(): string[] {
    return this.#runtime.hub.rooms.names();
  }
  onConnect(hook: ConnectionHook): () => void {
    return this.#runtime.onConnect(hook);
  }
  onDisconnect(hook: ConnectionHook): () => void {
    return this.#runtime.onDisconnect(hook);
  }
  authenticate(authenticator: Authenticator): void {
    if (typeof authenticator !== "function") {
      throw new TypeError(
        "server.authenticate() takes a function (request, info) => identity | false",
      );
    }
    this.#runtime.authenticator = authenticator;
  }
  close(): Promise<void> {
    return this.#runtime.close();
  }
}
