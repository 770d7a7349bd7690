/**
 * The plug API inside a Worker: a {@linkcode Client} and {@linkcode Server}
 * whose members are calls to the server process, so a plug file works
 * unchanged in both isolation modes. Getters and `send`-like methods are
 * synchronous calls (the Worker blocks until the server answers, as the
 * in-process getters return at once); `join`, `leave`, `members` and `close`
 * stay promises.
 *
 * `client.identity` is read from the server (a frozen copy); `client.call()`
 * is relayed by the server ({@linkcode WorkerCalls}). `server.authenticate()`
 * throws: an authenticator is a function, which cannot cross, and it would
 * run in the server; INIT sets it.
 *
 * `client.data` lives in the server. The caller's `client.data` arrives with
 * each call as a structured clone the plug may change freely; the Worker
 * writes it back at every yield and at the end (a value that cannot be
 * cloned, like a function, fails the call). Any other connection's `data`
 * (from `server.connections`, or a hook) is a deep-frozen snapshot, so
 * writing to it throws a TypeError instead of being silently lost.
 *
 * @example
 * ```ts ignore
 * const api = new ApiProxy(link, config);
 * handler(message, api.client(id));
 * ```
 * @module
 */

import { serialize } from "node:v8";
import type { Config } from "../../config.ts";
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
import type { Logger } from "../log.ts";
import { WorkerCalls } from "./worker_calls.ts";

/** How a Worker reaches the server. */
export interface Link {
  /** A call the Worker blocks on until the answer arrives. */
  sync(op: string, ...args: unknown[]): unknown;
  /** A call answered later. */
  call(op: string, ...args: unknown[]): Promise<unknown>;
  /** A one-way notice (logging); ordered with everything else the Worker sends. */
  notify(op: string, ...args: unknown[]): void;
}

/** What a Worker knows of a connection that has closed: the server no longer holds it. */
interface Closed {
  data: Record<string, unknown>;
}

/** The caller's data during its calls in this Worker, written back at each step. */
export interface LiveData {
  data: Record<string, unknown>;
  /** What the server holds, as serialized bytes: unchanged data is not sent back. */
  base: Uint8Array;
  /** Calls of this connection running in this Worker. */
  calls: number;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      deepFreeze((value as Record<PropertyKey, unknown>)[key]);
    }
  }
  return value;
}

class ClientProxy implements Client {
  readonly id: string;
  readonly #link: Link;
  readonly #api: ApiProxy;

  constructor(id: string, link: Link, api: ApiProxy) {
    this.id = id;
    this.#link = link;
    this.#api = api;
  }
  get data(): Record<string, unknown> {
    const live = this.#api.live.get(this.id);
    if (live) return live.data;
    const closed = this.#api.closed(this);
    if (closed) return closed.data;
    return deepFreeze(this.#link.sync("data.snapshot", this.id) as Record<string, unknown>);
  }
  set data(value: Record<string, unknown>) {
    const live = this.#api.live.get(this.id);
    if (!live) {
      throw new TypeError(
        "In worker isolation only the caller's client.data can be changed, during its call",
      );
    }
    for (const key of Object.keys(live.data)) delete live.data[key];
    Object.assign(live.data, value);
  }
  get identity(): Identity | undefined {
    const identity = this.#link.sync("client.identity", this.id) as Identity | undefined;
    return identity === undefined ? undefined : deepFreeze(identity);
  }
  get isOpen(): boolean {
    return !this.#api.closed(this) && this.#link.sync("client.isOpen", this.id) as boolean;
  }
  get bufferedAmount(): number {
    return this.#api.closed(this) ? 0 : this.#link.sync("client.bufferedAmount", this.id) as number;
  }
  get rooms(): ReadonlySet<string> {
    if (this.#api.closed(this)) return new Set();
    return new Set(this.#link.sync("client.rooms", this.id) as string[]);
  }
  get server(): Server {
    return this.#api.server;
  }
  send(message: OutgoingMessage): boolean {
    return this.#link.sync("client.send", this.id, message) as boolean;
  }
  async join(room: string, meta?: unknown): Promise<void> {
    await this.#link.call("client.join", this.id, room, meta);
  }
  async leave(room: string): Promise<void> {
    await this.#link.call("client.leave", this.id, room);
  }
  close(code?: number, reason?: string): void {
    this.#link.sync("client.close", this.id, code, reason);
  }
  call<R = unknown>(event: string, payload?: unknown, options: ClientCallOptions = {}): Call<R> {
    return this.#api.calls.start<R>(this.id, event, payload, options);
  }
}

/** The Worker's plug API: one Server, and one Client per connection id. */
export class ApiProxy {
  readonly server: Server;
  readonly #link: Link;
  readonly #clients = new Map<string, WeakRef<ClientProxy>>();
  readonly #forget = new FinalizationRegistry<string>((id) => {
    if (!this.#clients.get(id)?.deref()) this.#clients.delete(id);
  });
  readonly #hooks = new Map<number, ConnectionHook>();
  readonly #closed = new WeakMap<ClientProxy, Closed>();
  /** The data of connections with calls running here, by connection id. */
  readonly live: Map<string, LiveData> = new Map();
  /** Calls from plugs to their clients. */
  readonly calls: WorkerCalls;
  #nextHook = 1;

  /**
   * @param link the way to the server
   * @param config the server's configuration, as it was when the Worker started
   * @param log where `server.log` writes (through the server)
   */
  constructor(link: Link, config: Config, log: Logger) {
    this.#link = link;
    this.calls = new WorkerCalls(link);
    this.server = new ServerProxy(link, config, log, this);
  }

  /** The one Client for connection `id` (so `a === b` holds as in-process). */
  client(id: string): ClientProxy {
    const known = this.#clients.get(id)?.deref();
    if (known) return known;
    const client = new ClientProxy(id, this.#link, this);
    this.#clients.set(id, new WeakRef(client));
    this.#forget.register(client, id);
    return client;
  }

  /** Registers a connection hook in the server; returns its remover. */
  addHook(kind: "connect" | "disconnect", hook: ConnectionHook): () => void {
    const id = this.#nextHook++;
    this.#hooks.set(id, hook);
    this.#link.notify("hook.add", kind, id);
    return () => {
      if (this.#hooks.delete(id)) this.#link.notify("hook.remove", id);
    };
  }

  /** Runs hook `hook` for connection `id`; `closed` carries what a closed connection left. */
  runHook(hook: number, id: string, closed?: Closed): unknown {
    const client = this.client(id);
    if (closed) this.#closed.set(client, { data: deepFreeze(closed.data) });
    return this.#hooks.get(hook)?.(client);
  }

  /**
   * The caller's data, serialized, when it differs from what the server
   * holds (to write back at a yield, or with `ending`, at the call's end).
   *
   * @throws {TypeError} when it holds a value that cannot be cloned
   */
  changedData(id: string, ending: boolean): Uint8Array | undefined {
    const live = this.live.get(id);
    if (!live) return undefined;
    if (ending && --live.calls === 0) this.live.delete(id);
    if (live.base.length === 0 && Object.keys(live.data).length === 0) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = serialize(live.data);
    } catch (err) {
      throw new TypeError(
        `client.data must hold structured-cloneable values in worker isolation: ${
          (err as Error).message
        }`,
      );
    }
    if (bytes.length === live.base.length && bytes.every((byte, i) => byte === live.base[i])) {
      return undefined;
    }
    live.base = bytes;
    return bytes;
  }

  /** What a closed connection left, once a disconnect hook reported it. */
  closed(client: ClientProxy): Closed | undefined {
    return this.#closed.get(client);
  }
}

class ServerProxy implements Server {
  readonly config: Readonly<Config>;
  readonly log: Logger;
  readonly #link: Link;
  readonly #api: ApiProxy;

  constructor(link: Link, config: Config, log: Logger, api: ApiProxy) {
    this.#link = link;
    this.config = deepFreeze(config);
    this.log = log;
    this.#api = api;
  }
  get url(): string | undefined {
    return this.#link.sync("server.url") as string | undefined;
  }
  get connections(): Client[] {
    return (this.#link.sync("server.connections") as string[]).map((id) => this.#api.client(id));
  }
  get connectionCount(): number {
    return this.#link.sync("server.connectionCount") as number;
  }
  client(id: string): Client | undefined {
    return this.#link.sync("server.client", id) ? this.#api.client(id) : undefined;
  }
  events(): string[] {
    return this.#link.sync("server.events") as string[];
  }
  broadcast(message: OutgoingMessage, options: BroadcastOptions = {}): number {
    const exclude = typeof options.exclude === "object" ? options.exclude.id : options.exclude;
    return this.#link.sync("server.broadcast", message, { room: options.room, exclude }) as number;
  }
  sendTo(connectionId: string, message: OutgoingMessage): boolean {
    return this.#link.sync("server.sendTo", connectionId, message) as boolean;
  }
  members(room: string): Promise<Member[]> {
    return this.#link.call("server.members", room) as Promise<Member[]>;
  }
  rooms(): string[] {
    return this.#link.sync("server.rooms") as string[];
  }
  onConnect(hook: ConnectionHook): () => void {
    return this.#api.addHook("connect", hook);
  }
  onDisconnect(hook: ConnectionHook): () => void {
    return this.#api.addHook("disconnect", hook);
  }
  authenticate(_authenticator: Authenticator): void {
    throw new TypeError(
      "server.authenticate() cannot be called from a plug in worker isolation: the " +
        "authenticator runs in the server; set it in INIT",
    );
  }
  async close(): Promise<void> {
    await this.#link.call("server.close");
  }
}
