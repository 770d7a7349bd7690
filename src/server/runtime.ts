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
import { fields, Logger } from "../log.ts";
import { PlugRegistry } from "../plugs/registry.ts";
import type { PlugSource } from "../plugs/loader.ts";
import type { Authenticator, ConnectionHook, Identity, Server } from "../plugs/api.ts";
import type { Plug } from "../plugs/types.ts";
import { Connection, type SocketLike } from "./connection.ts";
import { ClientHandle, ServerHandle } from "./handles.ts";
import { Hub } from "./hub.ts";
import { Presence } from "./presence.ts";
import { type Accepted, armExpiry } from "./auth.ts";
import { Deadlines } from "./deadlines.ts";
import { Metrics } from "./metrics.ts";
import type { ResetReason } from "../protocol/recovery.ts";
import { type Claimed, Sessions } from "../recovery/sessions.ts";

/**
 * How a connection that negotiated recovery starts: resuming a claimed
 * session, or fresh (with why a resume it asked for was refused).
 */
export type RecoveryStart = Claimed | { reason?: ResetReason };
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

/**
 * How long `close()` waits for clients to answer the close frame. Close
 * frames queue behind what is already buffered for a busy client; with 1 s,
 * a loaded machine exited before some were flushed (clients saw code 0).
 */
const CLOSE_GRACE_MS = 3000;

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
  /** Joins, leaves and member lists, told to rooms as `$presence`. */
  readonly presence: Presence;
  /** The plugs currently served. */
  readonly plugs: PlugRegistry;
  /** Lazy plug lookups. */
  readonly source: Pick<PlugSource, "resolve">;
  /** What INIT, plugs and embedders get. */
  readonly api: Server = new ServerHandle(this);
  /** The counters behind /metrics and /status; undefined with `metrics.isOn` false. */
  readonly metrics?: Metrics;
  /** Recovery sessions; undefined with `recovery.isOn` false. */
  readonly sessions?: Sessions;
  /** Set by `server.authenticate`; runs before each WebSocket is accepted. */
  authenticator?: Authenticator;
  /** True once a drain began: upgrades get 503, new messages SHUTTING_DOWN. */
  draining = false;
  /** Plug runs in progress, on every connection. */
  callsRunning = 0;
  /** Resolved when the last running plug finishes, while draining. */
  #idle?: PromiseWithResolvers<void>;
  /** How often each limit refused something; read by metrics. */
  readonly counters: LimitCounters;
  /** Open connections per address, asked by the transport before each upgrade. */
  readonly gate: ConnectionGate;
  readonly #intakes = new WeakMap<Connection, Intake>();
  /** The cap on every connection's outgoing queue, and what to count when it sheds one. */
  readonly #outgoingLimit = {
    maxBufferedBytes: 0,
    onShed: () => this.counters.slowReaderCloses++,
  };
  readonly #connectHooks = new Set<ConnectionHook>();
  readonly #disconnectHooks = new Set<ConnectionHook>();
  readonly #closers: (() => Promise<void> | void)[] = [];
  #closing?: Promise<void>;
  /** Resolved when the last connection has gone, while closing. */
  #drained?: PromiseWithResolvers<void>;
  /** Where the transport listens, once it does. */
  addr?: { hostname: string; port: number; secure: boolean };
  /** Where plug steps arm their `plugTimeout` (with `plugTimeout` > 0). */
  readonly stepDeadlines?: Deadlines;

  constructor(options: RuntimeOptions) {
    this.config = options.config;
    this.log = options.log ?? new Logger(options.config);
    if (options.config.metrics.isOn) this.metrics = new Metrics();
    this.hub = new Hub({
      metrics: this.metrics,
      excludeSenderOnBroadcast: options.config.excludeSenderOnBroadcast,
      adapter: options.adapter,
    });
    this.presence = new Presence(this.hub, (message, err) => this.log.warn(`${message}:`, err));
    this.plugs = options.plugs ?? new PlugRegistry();
    this.source = options.source ?? NO_SOURCE;
    if (options.config.recovery.isOn) {
      const { recovery } = options.config;
      this.sessions = new Sessions(this, recovery, this.hub.adapter.sessions?.(recovery.window));
    }
    this.counters = options.counters ?? newCounters();
    this.gate = new ConnectionGate(options.config.limits);
    this.#outgoingLimit.maxBufferedBytes = options.config.limits.maxBufferedBytes;
    if (options.config.plugTimeout > 0) {
      const deadlines = Deadlines.for(options.config.plugTimeout);
      this.stepDeadlines = deadlines;
      this.addCloser(() => deadlines.clear());
    }
  }

  /** The WebSocket URL clients connect to, once listening. */
  get url(): string | undefined {
    if (!this.addr) return undefined;
    const host = this.addr.hostname === "0.0.0.0" ? "localhost" : this.addr.hostname;
    return `${this.addr.secure ? "wss" : "ws"}://${host}:${this.addr.port}/`;
  }

  /** A connection for a session taken over from another node; its resume attaches a socket. */
  adopt(id: string, identity: Identity | undefined): Connection {
    const connection = new Connection(
      undefined,
      this.config.syncStateLimit,
      false,
      undefined,
      this.config.inputBufferLimit,
      id,
      this.#outgoingLimit,
    );
    connection.api = new ClientHandle(connection, this);
    connection.identity = identity;
    this.#intakes.set(connection, new Intake(this, connection));
    this.hub.add(connection);
    return connection;
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

  /**
   * The transport hands over an open socket, with who it is when
   * authentication said.
   *
   * @param legacy the client negotiated no ssocket subprotocol (see `protocol/subprotocol.ts`)
   * @param pack the client negotiated packing: frames to it are packed per turn
   * @param recovery set when the client negotiated recovery: the session it resumes, if any
   */
  accept(
    socket: SocketLike,
    accepted: Accepted = {},
    legacy = false,
    pack = false,
    recovery?: RecoveryStart,
  ): Connection {
    const outbox = pack ? this.hub.outbox : undefined;
    let reason: ResetReason | undefined;
    if (recovery && "session" in recovery) {
      const connection = recovery.session.connection;
      if (this.sessions?.resume(socket, recovery, outbox)) {
        // The same connection on a new socket: no onConnect hook, it never ended.
        if (accepted.identity) connection.identity = accepted.identity;
        armExpiry(connection, accepted.expiresAt);
        this.log.debug(
          `Connection ${connection.id} resumed`,
          fields({ connection: connection.id }),
        );
        return connection;
      }
      reason = recovery.session.lost ?? "unknown";
    } else {
      reason = recovery?.reason;
    }
    const connection = new Connection(
      socket,
      this.config.syncStateLimit,
      legacy,
      outbox,
      this.config.inputBufferLimit,
      undefined,
      this.#outgoingLimit,
    );
    connection.api = new ClientHandle(connection, this);
    connection.identity = accepted.identity;
    // Before anything else is sent: the $session frame comes first.
    if (recovery && this.sessions) this.sessions.open(connection, accepted.identity, reason);
    this.#intakes.set(connection, new Intake(this, connection));
    this.hub.add(connection);
    if (this.metrics) this.metrics.connectionsOpened++;
    armExpiry(connection, accepted.expiresAt);
    if (this.log.enabled("debug")) {
      this.log.debug(
        `Connection ${connection.id} opened (${this.hub.connections.size} open)`,
        fields({ connection: connection.id }),
      );
    }
    this.#runHooks(this.#connectHooks, connection, "onConnect");
    return connection;
  }

  /** The transport hands over one received message; limits apply before dispatch. */
  receive(connection: Connection, data: ArrayBuffer | Uint8Array | string | Blob): Promise<void> {
    return this.#intakes.get(connection)?.push(data) ?? Promise.resolve();
  }

  /**
   * The transport reports that a socket closed. A recovery session whose
   * client dropped keeps the connection (rooms, data, running plugs) for
   * `recovery.window` seconds instead.
   *
   * @param socket the socket that closed; ignored if a resume replaced it
   */
  disconnect(connection: Connection, code?: number, reason?: string, socket?: SocketLike): void {
    if (socket !== undefined && !connection.holds(socket)) return;
    if (connection.session && this.sessions?.keep(connection, code)) {
      this.log.debug(
        `Connection ${connection.id} dropped (${code ?? "-"}); its session waits`,
        fields({ connection: connection.id, code }),
      );
      return;
    }
    this.end(connection, code, reason);
  }

  /** Ends a connection for good: it leaves its rooms, its plugs stop, disconnect hooks run. */
  end(connection: Connection, code?: number, reason?: string): void {
    if (!this.hub.remove(connection)) return;
    this.sessions?.forget(connection);
    this.presence.leaveAll(connection);
    this.#intakes.get(connection)?.dispose();
    connection.dispose();
    if (this.log.enabled("debug")) {
      this.log.debug(
        `Connection ${connection.id} closed (${code ?? "-"} ${reason ?? ""})`,
        fields({ connection: connection.id, code }),
      );
    }
    this.#runHooks(this.#disconnectHooks, connection, "onDisconnect");
    if (this.hub.connections.size === 0) this.#drained?.resolve();
  }

  /** Dispatch reports that a plug run started. */
  runStarted(): void {
    this.callsRunning++;
  }

  /** Dispatch reports that a plug run ended (finished, failed or cancelled). */
  runEnded(): void {
    if (--this.callsRunning === 0) this.#idle?.resolve();
  }

  /**
   * Graceful shutdown: refuses new connections and messages, waits up to
   * `graceMs` for the running plugs to finish, then `close()`s (1001).
   *
   * @returns how many plug runs were still going when the grace ran out
   */
  async drain(graceMs: number): Promise<number> {
    this.draining = true;
    if (this.callsRunning > 0) {
      this.#idle = Promise.withResolvers<void>();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
      await Promise.race([this.#idle.promise, grace]);
      clearTimeout(timer);
    }
    const unfinished = this.callsRunning;
    await this.close();
    return unfinished;
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
      await this.presence.settled();
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
    this.sessions?.close();
    // Sessions waiting for their client have no socket to close: they end now.
    for (const connection of [...this.hub.connections.values()]) {
      if (connection.detached) this.end(connection, CloseCode.GOING_AWAY, "Server shutting down");
    }
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
