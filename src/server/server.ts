/**
 * The server object given to `INIT(server)`, to hooks, and to plugs as
 * `client.server`. It holds the config, the plug registry, the hub of
 * connections and the log; the transport (see `serve.ts`) feeds it sockets.
 *
 * @example
 * ```ts ignore
 * export function INIT(server: Server) {
 *   server.onConnect((client) => server.broadcast({ event: "joined", payload: client.id }));
 * }
 * ```
 * @module
 */

import type { Config } from "../../config.ts";
import { EventType } from "../protocol/event_type.ts";
import { CloseCode } from "../protocol/errors.ts";
import { encodeJsonFrame } from "../protocol/frame.ts";
import { FrameEncoder } from "../protocol/frame_encoder.ts";
import { Logger } from "../log.ts";
import { PlugRegistry } from "../plugs/registry.ts";
import type { PlugSource } from "../plugs/loader.ts";
import type { Plug } from "../plugs/types.ts";
import { Client, encodeSyncState, type OutgoingMessage, type SocketLike } from "./client.ts";
import { Hub } from "./hub.ts";
import { receive } from "./dispatch.ts";

/** A hook run when a connection opens or closes. */
export type ConnectionHook = (client: Client) => void | Promise<void>;

/** The parts a server is built from; all but `config` have defaults. */
export interface ServerOptions {
  /** The full configuration. */
  config: Config;
  /** Where log lines go; built from the config by default. */
  log?: Logger;
  /** Connection registry and cluster adapter; in-memory by default. */
  hub?: Hub<Client>;
  /** The event → plug map. */
  plugs?: PlugRegistry;
  /** Where plugs missing from the registry are looked for (lazy loading). */
  source?: Pick<PlugSource, "resolve">;
}

/** How long `close()` waits for clients to answer the close frame. */
const CLOSE_GRACE_MS = 1000;

const NO_SOURCE: Pick<PlugSource, "resolve"> = {
  resolve: (): Promise<Plug | undefined> => Promise.resolve(undefined),
};

/** The running ssocket server, independent of the transport. */
export class Server {
  /** The configuration this server runs with. */
  readonly config: Config;
  /** This server's log. */
  readonly log: Logger;
  /** Connections here and, through the cluster adapter, elsewhere. */
  readonly hub: Hub<Client>;
  /** The plugs currently served. */
  readonly plugs: PlugRegistry;
  /** @internal Lazy plug lookups. */
  readonly source: Pick<PlugSource, "resolve">;
  readonly #connectHooks = new Set<ConnectionHook>();
  readonly #disconnectHooks = new Set<ConnectionHook>();
  readonly #closers: (() => Promise<void> | void)[] = [];
  #closing?: Promise<void>;
  /** Resolved when the last connection has gone, while closing. */
  #drained?: PromiseWithResolvers<void>;
  /** @internal Encodes frames to one connection without a per-frame allocation. */
  readonly encoder: FrameEncoder = new FrameEncoder();
  /** Where the transport listens, once it does. */
  addr?: { hostname: string; port: number; secure: boolean };

  constructor(options: ServerOptions) {
    this.config = options.config;
    this.log = options.log ?? new Logger(options.config);
    this.hub = options.hub ?? new Hub<Client>();
    this.plugs = options.plugs ?? new PlugRegistry();
    this.source = options.source ?? NO_SOURCE;
  }

  /** The WebSocket URL clients connect to, once listening. */
  get url(): string | undefined {
    if (!this.addr) return undefined;
    const host = this.addr.hostname === "0.0.0.0" ? "localhost" : this.addr.hostname;
    return `${this.addr.secure ? "wss" : "ws"}://${host}:${this.addr.port}/`;
  }

  /** Every open connection on this process. */
  get connections(): Client[] {
    return [...this.hub.registry.values()];
  }

  /** How many connections are open on this process. */
  get connectionCount(): number {
    return this.hub.registry.size;
  }

  /**
   * Sends a message to every connection, except `exclude` if given. The frame
   * is encoded once for all receivers.
   *
   * @returns how many local connections it was written to
   */
  broadcast(message: OutgoingMessage | Uint8Array, exclude?: string | Client): number {
    const frame = message instanceof Uint8Array
      ? message
      : encodeJsonFrame(message.type ?? EventType.BROADCAST, message.event, message.payload);
    return this.hub.broadcast(frame, typeof exclude === "string" ? exclude : exclude?.id);
  }

  /**
   * Sends a message to one connection by id (here or, clustered, anywhere).
   * A SYNC message is sent as a delta against the state the connection holds,
   * computed by the process that holds it.
   *
   * @returns false if no such connection could be reached
   */
  sendTo(connectionId: string, message: OutgoingMessage | Uint8Array): boolean {
    if (message instanceof Uint8Array) return this.hub.sendTo(connectionId, message);
    const type = message.type ?? EventType.MESSAGE;
    if (type === EventType.SYNC) {
      return this.hub.sendSyncTo(connectionId, message.event, encodeSyncState(message.payload));
    }
    const local = this.hub.registry.get(connectionId);
    if (local) return local.send(message);
    return this.hub.sendTo(connectionId, encodeJsonFrame(type, message.event, message.payload));
  }

  /** Runs `hook` for each new connection; returns a function that removes it. */
  onConnect(hook: ConnectionHook): () => void {
    this.#connectHooks.add(hook);
    return () => this.#connectHooks.delete(hook);
  }

  /** Runs `hook` after each connection closes; returns a function that removes it. */
  onDisconnect(hook: ConnectionHook): () => void {
    this.#disconnectHooks.add(hook);
    return () => this.#disconnectHooks.delete(hook);
  }

  /** @internal The transport hands over an open socket. */
  accept(socket: SocketLike): Client {
    const client = new Client(socket, this);
    this.hub.registry.add(client);
    if (this.log.enabled("debug")) {
      this.log.debug(`Connection ${client.id} opened (${this.connectionCount} open)`);
    }
    this.#runHooks(this.#connectHooks, client, "onConnect");
    return client;
  }

  /** @internal The transport hands over one received message. */
  receive(client: Client, data: ArrayBuffer | Uint8Array | string | Blob): Promise<void> {
    return receive(this, client, data);
  }

  /** @internal The transport reports that a socket closed. */
  disconnect(client: Client, code?: number, reason?: string): void {
    if (!this.hub.registry.delete(client.id)) return;
    client.dispose();
    if (this.log.enabled("debug")) {
      this.log.debug(`Connection ${client.id} closed (${code ?? "-"} ${reason ?? ""})`);
    }
    this.#runHooks(this.#disconnectHooks, client, "onDisconnect");
    if (this.connectionCount === 0) this.#drained?.resolve();
  }

  /** @internal Registers cleanup for `close()`, run in reverse order. */
  addCloser(closer: () => Promise<void> | void): void {
    this.#closers.push(closer);
  }

  /**
   * Closes every connection with 1001 (going away), stops the transport and
   * the plug watcher. Safe to call more than once.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#closeConnections();
      for (const closer of this.#closers.reverse()) {
        try {
          await closer();
        } catch (err) {
          this.log.warn("Error while closing:", err);
        }
      }
      await this.hub.adapter.close();
    })();
    return this.#closing;
  }

  /**
   * Sends 1001 to every connection and waits (briefly) for the closing
   * handshakes: shutting the listener down at once could drop the close
   * frames, and clients would see 1006 instead of "going away".
   */
  async #closeConnections(): Promise<void> {
    if (this.connectionCount === 0) return;
    this.#drained = Promise.withResolvers<void>();
    for (const client of this.connections) {
      client.close(CloseCode.GOING_AWAY, "Server shutting down");
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, CLOSE_GRACE_MS));
    await Promise.race([this.#drained.promise, timeout]);
    clearTimeout(timer);
  }

  #runHooks(hooks: Set<ConnectionHook>, client: Client, name: string): void {
    for (const hook of hooks) {
      try {
        const result = hook(client);
        if (result instanceof Promise) {
          result.catch((err) => this.log.error(`${name} hook failed:`, err));
        }
      } catch (err) {
        this.log.error(`${name} hook failed:`, err);
      }
    }
  }
}
