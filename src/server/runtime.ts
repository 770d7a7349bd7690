/**
 * The running server, independent of the transport: config, log, plugs, the
 * hub, connection hooks and shutdown. The transport (`serve.ts`) hands it
 * sockets with `accept`, messages with `receive` and closes with
 * `disconnect`. Plugs and INIT never see this class: they get `runtime.api`,
 * the {@linkcode Server} of the plug API.
 *
 * @example
 * ```ts ignore
 * const runtime = new Runtime({ config: withDefaults() });
 * const connection = runtime.accept(socket);
 * runtime.receive(connection, bytes);
 * ```
 * @module
 */

import type { Config } from "../../config.ts";
import type { ClusterAdapter } from "../cluster/adapter.ts";
import { CloseCode } from "../protocol/errors.ts";
import { Logger } from "../log.ts";
import { PlugRegistry } from "../plugs/registry.ts";
import type { PlugSource } from "../plugs/loader.ts";
import type { ConnectionHook, Server } from "../plugs/api.ts";
import type { Plug } from "../plugs/types.ts";
import { Connection, type SocketLike } from "./connection.ts";
import { ClientHandle, ServerHandle } from "./handles.ts";
import { Hub } from "./hub.ts";
import { Intake } from "./intake.ts";
import { ConnectionGate, type LimitCounters, newCounters } from "./limits.ts";

/** The parts a runtime is built from; all but `config` have defaults. */
export interface RuntimeOptions {
  /** The full configuration. */
  config: Config;
  /** Where log lines go; built from the config by default. */
  log?: Logger;
  /** The way to other nodes; none by default. */
  adapter?: ClusterAdapter;
  /** The event → plug map. */
  plugs?: PlugRegistry;
  /** Where plugs missing from the registry are looked for (lazy loading). */
  source?: Pick<PlugSource, "resolve">;
  /** Refusal counters, shared with the cluster adapter; fresh by default. */
  counters?: LimitCounters;
}

/** How long `close()` waits for clients to answer the close frame. */
const CLOSE_GRACE_MS = 1000;

const NO_SOURCE: Pick<PlugSource, "resolve"> = {
  resolve: (): Promise<Plug | undefined> => Promise.resolve(undefined),
};

/** The server's internals; see the module doc. */
export class Runtime {
  /** The configuration this server runs with. */
  readonly config: Config;
  /** This server's log. */
  readonly log: Logger;
  /** Connections, rooms, and the one way frames go out. */
  readonly hub: Hub;
  /** The plugs currently served. */
  readonly plugs: PlugRegistry;
  /** Lazy plug lookups. */
  readonly source: Pick<PlugSource, "resolve">;
  /** What INIT, plugs and embedders get. */
  readonly api: Server = new ServerHandle(this);
  /** How often each limit refused something; read by metrics. */
  readonly counters: LimitCounters;
  /** Open connections per address, asked by the transport before each upgrade. */
  readonly gate: ConnectionGate;
  readonly #intakes = new WeakMap<Connection, Intake>();
  readonly #connectHooks = new Set<ConnectionHook>();
  readonly #disconnectHooks = new Set<ConnectionHook>();
  readonly #closers: (() => Promise<void> | void)[] = [];
  #closing?: Promise<void>;
  /** Resolved when the last connection has gone, while closing. */
  #drained?: PromiseWithResolvers<void>;
  /** Where the transport listens, once it does. */
  addr?: { hostname: string; port: number; secure: boolean };

  constructor(options: RuntimeOptions) {
    this.config = options.config;
    this.log = options.log ?? new Logger(options.config);
    this.hub = new Hub({
      excludeSenderOnBroadcast: options.config.excludeSenderOnBroadcast,
      adapter: options.adapter,
      onError: (message, err) => this.log.warn(`${message}:`, err),
    });
    this.plugs = options.plugs ?? new PlugRegistry();
    this.source = options.source ?? NO_SOURCE;
    this.counters = options.counters ?? newCounters();
    this.gate = new ConnectionGate(options.config.limits);
  }

  /** The WebSocket URL clients connect to, once listening. */
  get url(): string | undefined {
    if (!this.addr) return undefined;
    const host = this.addr.hostname === "0.0.0.0" ? "localhost" : this.addr.hostname;
    return `${this.addr.secure ? "wss" : "ws"}://${host}:${this.addr.port}/`;
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

  /** The transport hands over an open socket. */
  accept(socket: SocketLike): Connection {
    const connection = new Connection(socket, this.config.syncStateLimit, {
      maxBufferedBytes: this.config.limits.maxBufferedBytes,
      onShed: () => this.counters.slowReaderCloses++,
    });
    connection.api = new ClientHandle(connection, this);
    this.#intakes.set(connection, new Intake(this, connection));
    this.hub.add(connection);
    if (this.log.enabled("debug")) {
      this.log.debug(`Connection ${connection.id} opened (${this.hub.connections.size} open)`);
    }
    this.#runHooks(this.#connectHooks, connection, "onConnect");
    return connection;
  }

  /** The transport hands over one received message; limits apply before dispatch. */
  receive(connection: Connection, data: ArrayBuffer | Uint8Array | string | Blob): void {
    this.#intakes.get(connection)?.push(data);
  }

  /** The transport reports that a socket closed. */
  disconnect(connection: Connection, code?: number, reason?: string): void {
    if (!this.hub.remove(connection)) return;
    this.#intakes.get(connection)?.dispose();
    connection.dispose();
    if (this.log.enabled("debug")) {
      this.log.debug(`Connection ${connection.id} closed (${code ?? "-"} ${reason ?? ""})`);
    }
    this.#runHooks(this.#disconnectHooks, connection, "onDisconnect");
    if (this.hub.connections.size === 0) this.#drained?.resolve();
  }

  /** Registers cleanup for `close()`, run in reverse order. */
  addCloser(closer: () => Promise<void> | void): void {
    this.#closers.push(closer);
  }

  /**
   * Closes every connection with 1001 (going away), runs the closers (the
   * transport, the plug watcher), then lets the cluster forget this node.
   * Safe to call more than once.
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
      await this.hub.settled();
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
    if (this.hub.connections.size === 0) return;
    this.#drained = Promise.withResolvers<void>();
    for (const connection of [...this.hub.connections.values()]) {
      connection.close(CloseCode.GOING_AWAY, "Server shutting down");
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, CLOSE_GRACE_MS));
    await Promise.race([this.#drained.promise, timeout]);
    clearTimeout(timer);
  }

  #runHooks(hooks: Set<ConnectionHook>, connection: Connection, name: string): void {
    for (const hook of hooks) {
      try {
        const result = hook(connection.api);
        if (result instanceof Promise) {
          result.catch((err) => this.log.error(`${name} hook failed:`, err));
        }
      } catch (err) {
        this.log.error(`${name} hook failed:`, err);
      }
    }
  }
}
