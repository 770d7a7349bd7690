/**
 * Every ssocket option, its type, default and documentation. This file is the
 * one source of truth: `ssocket -h` prints these doc comments, and every field
 * can be set by a CLI flag (`--payloadLimit 10 --INSECURE.port 6969`), an
 * `SSOCKET_*` environment variable or an `ssocket.config.ts` file.
 *
 * Layers, lowest to highest: `defaultConfig` below, then `ssocket.config.ts`
 * (default export) or `ssocket.config.json` in the working folder, then
 * environment variables, then flags. An option's variable is its path in
 * upper snake case: `payloadLimit` → `SSOCKET_PAYLOAD_LIMIT`, `INSECURE.port`
 * → `SSOCKET_INSECURE_PORT`, `memoryMetrics.isOn` → `SSOCKET_MEMORY_METRICS_IS_ON`.
 *
 * After editing a doc comment or adding an option, run `deno task docs:config`
 * to regenerate `src/cli/config_docs.json` (a test fails until you do). Every
 * option needs a doc comment, and its type must be number, boolean, string or
 * a union of string literals; groups are one level deep.
 *
 * @example
 * ```ts
 * import { defaultConfig, type Config } from "./config.ts";
 * const config: Config = { ...defaultConfig, payloadLimit: 1_000_000 };
 * ```
 * @module
 */

/** How much the server logs: each level includes the ones before it. */
export type LogLevel = "error" | "warn" | "info" | "debug";

/** How log lines are written: "text" for people, "json" (one object per line) for log shippers. */
export type LogFormat = "text" | "json";

/** How the several exported generators of one plug file run for a message. */
export type MultiExport = "sequential" | "concurrent";

/** Plain (non-TLS) listener settings, used when `secure` is false. */
export interface InsecureOptions {
  /** TCP port to listen on; 0 picks a free port. */
  port: number;
  /** Interface to bind, e.g. "0.0.0.0" for all or "127.0.0.1" for local only. */
  hostname: string;
}

/** TLS listener settings, used when `secure` is true. */
export interface TlsOptions {
  /** TCP port to listen on for TLS; 0 picks a free port. */
  port: number;
  /** Interface to bind for TLS. */
  hostname: string;
  /** Path to the PEM certificate chain. */
  certFile: string;
  /** Path to the PEM private key. */
  keyFile: string;
}

/** Periodic memory reports. */
export interface MemoryMetricsOptions {
  /** Log heap and RSS every `interval` milliseconds. */
  isOn: boolean;
  /** Milliseconds between memory reports. */
  interval: number;
}

/** Running several ssocket processes as one: BROADCAST, rooms, presence and `sendTo` reach them all. */
export interface ClusterOptions {
  /** Redis URL whose pub/sub joins the processes, e.g. "redis://127.0.0.1:6379"; "" runs alone. */
  redisUrl: string;
  /** Pub/sub channel shared by the processes of one cluster; also the prefix of its Redis keys. */
  channel: string;
  /** Seconds after which the members of a node that died without a goodbye are reported as left by the others. */
  presenceTimeout: number;
  /** Shared secret that signs every cluster message (HMAC-SHA256); messages without a valid signature are dropped. "" sends and accepts unsigned messages. */
  secret: string;
}

/** Who may connect. */
export interface AuthOptions {
  /** Secret that verifies HS256 JWTs sent as the `token` query parameter or in `Sec-WebSocket-Protocol` (checking `exp` and `nbf`); their claims become `client.identity`, and a connection is closed with 4001 when its token expires unless it re-authenticates with a `$auth` frame. "" turns JWT checks off. Prefer the environment variable to a flag, which other users can see. */
  jwtSecret: string;
}

/** What the server tells about itself over HTTP: Prometheus metrics and the status page. */
export interface MetricsOptions {
  /** Count traffic and serve Prometheus metrics at /metrics and the live status page at /status. */
  isOn: boolean;
  /** Token that /metrics and /status require as "Authorization: Bearer TOKEN" (401 otherwise); "" leaves them open. */
  token: string;
}

/** Where plug code runs: "none" in the server's isolate, "worker" in Workers of a child plug-host process. */
export type IsolationMode = "none" | "worker";

/** Running plugs in Workers: hung plugs stopped for real, reloads that return memory, per-plug permissions. */
export interface IsolationOptions {
  /** "none" runs plugs in the server's isolate (fastest); "worker" runs them in Workers inside a child plug-host process that is killed and replaced when a plug hangs or crashes it. */
  mode: IsolationMode;
  /** Milliseconds a replaced plug version's Worker may keep running calls (and connection hooks) after a reload before it is terminated. */
  drainTimeout: number;
  /** Hosts plugs may reach in worker mode, comma-separated (e.g. "api.example.com,127.0.0.1:6379"); "*" for all, "" for none. */
  allowNet: string;
  /** Paths plugs may read in worker mode besides the plugs folder (always readable), comma-separated; "*" for all, "" for none. */
  allowRead: string;
  /** Environment variables plugs may read in worker mode, comma-separated; "*" for all, "" for none. */
  allowEnv: string;
  /** Paths plugs may write in worker mode, comma-separated; "*" for all, "" for none. */
  allowWrite: string;
  /** Programs plugs may run in worker mode, comma-separated; "*" for all, "" for none. */
  allowRun: string;
}

/** Missed-message recovery for clients that negotiate `ssocket.recovery.v1` (the client library does). */
export interface RecoveryOptions {
  /** Offer recovery: sessions, numbered frames and resume after a drop. Off, such clients get plain `ssocket.v1`. */
  isOn: boolean;
  /** Seconds a dropped client's session (id, rooms, data, missed frames) is kept for it to resume; then it ends and its rooms hear it left. */
  window: number;
  /** Most bytes of frames kept per session that its client has not acknowledged; past it the session can no longer be resumed (the client gets "reset"). */
  maxBytes: number;
}

/** What one client may cost the server. Every refusal is an ERROR frame or close code listed in docs/PROTOCOL.md, and is counted. 0 turns a limit off. */
export interface LimitsOptions {
  /** Most bytes queued for one connection (replies, broadcasts and `client.send` together). Above half of it the server stops reading the connection; a frame that would go past it closes the connection with 1013. */
  maxBufferedBytes: number;
  /** Frames per second one connection may send, on average; frames over it get ERROR RATE_LIMITED. */
  messagesPerSecond: number;
  /** Frames one connection may send at once above the average; a connection with more than this many refused frames (draining at `messagesPerSecond`) is closed with 1008. */
  burst: number;
  /** Calls (plug runs) one connection may have running at once; more get ERROR TOO_MANY_CALLS. */
  maxCallsPerConnection: number;
  /** Most open connections; further WebSocket handshakes get HTTP 503. */
  maxConnections: number;
  /** Most open connections from one IP address; further handshakes from it get HTTP 429. Behind a proxy every client shares its address: raise it or set 0. */
  maxConnectionsPerIp: number;
  /** Milliseconds an HTTP connection may take to send its request headers before it is dropped (transport "ws" only). */
  headerTimeout: number;
}

/** The WebSocket implementation: "ws" (npm ws over node:http; enforces limits while receiving) or "deno" (Deno.upgradeWebSocket; see the README for the limits it cannot enforce). */
export type TransportName = "ws" | "deno";

/** The whole ssocket configuration. Pass it to the server; never read it from a global. */
export interface Config {
  /** Largest accepted WebSocket message in bytes, however it is fragmented. Transport "ws" closes the connection with 1009 as soon as a message is known to be larger; transport "deno" sees only whole messages, and answers ERROR PAYLOAD_TOO_LARGE and closes with 1009. */
  payloadLimit: number;
  /** Load every plug at start (true) or on the first message for its event (false). */
  preloadPlugs: boolean;
  /** Leave the sender out when a plug yields a BROADCAST. */
  excludeSenderOnBroadcast: boolean;
  /** Serve over TLS using the `TLS` options instead of `INSECURE`. */
  secure: boolean;
  /** Folder whose .ts/.js files are the plugs; the event name is the path inside it without extension. */
  plugsFolder: string;
  /** Write log lines to the console. */
  printLogToConsole: boolean;
  /** Least severe level logged: "error", "warn", "info" or "debug". */
  logLevel: LogLevel;
  /** Longest log line in characters; longer lines are cut and marked with "…". */
  logSizeLimit: number;
  /** Plain listener: port and hostname. */
  INSECURE: InsecureOptions;
  /** TLS listener: port, hostname, certificate and key files. */
  TLS: TlsOptions;
  /** Accept only async generator functions as plug handlers (other exports are skipped with a warning). When false, any exported function returning an async iterable is accepted. */
  validateFunctionShape: boolean;
  /** How a plug file's exported generators run for each message: "sequential" (one after another, in alphabetical order of their export names: the order of a module namespace) or "concurrent" (all started in that order and run side by side, their yields interleaved, as serverless-sockets did). A call ends after the last one either way. */
  multiExport: MultiExport;
  /** Periodic heap and RSS reports in the log. */
  memoryMetrics: MemoryMetricsOptions;
  /** Clustering over Redis pub/sub. */
  cluster: ClusterOptions;
  /** Comma-separated origins whose pages may connect, e.g. "https://app.example.com,http://localhost:8080"; "" allows every origin. Other origins get HTTP 403. */
  allowedOrigins: string;
  /** WebSocket implementation serving connections: "ws" or "deno". */
  transport: TransportName;
  /** Per-connection and per-server limits against clients that flood, do not read or hold connections. */
  limits: LimitsOptions;
  /** Heartbeat: seconds of silence after which a client is pinged and, if no pong comes back in time, disconnected (a vanished client is noticed). 0 turns heartbeats off. */
  idleTimeout: number;
  /** Milliseconds a plug may take to yield (or finish) before its caller gets ERROR PLUG_TIMEOUT and the call is abandoned; 0 waits forever (plugs that wait for events between yields need that). */
  plugTimeout: number;
  /** Bytes queued for a slow client above which the plug answering it waits at its next yield until the client catches up; 0 never waits. */
  backpressureLimit: number;
  /** Most bytes of SYNC state kept per connection; past it the next SYNC is sent as full state. */
  syncStateLimit: number;
  /** Bytes of streamed input (`call.write`) a call may hold that its plug has not read yet; more ends the call with ERROR INPUT_OVERFLOW. */
  inputBufferLimit: number;
  /** Check each reply of a plug against its `schema.reply` too; a failing reply ends the call with ERROR INVALID_REPLY. */
  validateReplies: boolean;
  /** Milliseconds a call from the server to a client (`client.call`) waits for each reply before failing with TIMEOUT; 0 waits forever. */
  callTimeout: number;
  /** Milliseconds to wait after a file change before reloading, so a burst of writes loads once. */
  reloadDebounce: number;
  /** Folder of static files served over HTTP (e.g. a web page using the client); "" serves none. */
  staticFolder: string;
  /** File whose exported `INIT(server)` runs once before connections are accepted. */
  initFile: string;
  /** Authentication of WebSocket upgrades (see also `server.authenticate` in INIT). */
  auth: AuthOptions;
  /** Prometheus metrics and the status page. */
  metrics: MetricsOptions;
  /** List the served event names in the JSON that plain HTTP requests get; off keeps them private. */
  statusShowsEvents: boolean;
  /** Log line format: "text" for people or "json" for log shippers (one object per line with time, level, msg and fields). */
  logFormat: LogFormat;
  /** Missed-message recovery: on or off, window and bytes per session. */
  recovery: RecoveryOptions;
  /** Milliseconds that running plugs may take to finish after SIGTERM (new messages answer ERROR SHUTTING_DOWN) before connections are closed with 1001. */
  shutdownGrace: number;
  /** Plug isolation: where plug code runs and what it may do. */
  isolation: IsolationOptions;
}

/** The defaults every other layer (config file, environment, flags) overrides. */
export const defaultConfig: Config = {
  payloadLimit: 250_000,
  preloadPlugs: true,
  excludeSenderOnBroadcast: true,
  secure: false,
  plugsFolder: "./plugs",
  printLogToConsole: true,
  logLevel: "info",
  logSizeLimit: 10_000,
  INSECURE: { port: 8080, hostname: "0.0.0.0" },
  TLS: { port: 443, hostname: "0.0.0.0", certFile: "./cert.pem", keyFile: "./key.pem" },
  validateFunctionShape: true,
  // Sequential keeps one fixed frame order per message, and files with one
  // export (most) behave the same either way; see docs/MIGRATING.md.
  multiExport: "sequential",
  memoryMetrics: { isOn: false, interval: 10_000 },
  cluster: { redisUrl: "", channel: "ssocket", presenceTimeout: 15, secret: "" },
  allowedOrigins: "",
  transport: "ws",
  limits: {
    maxBufferedBytes: 8_388_608,
    messagesPerSecond: 1000,
    burst: 2000,
    maxCallsPerConnection: 256,
    maxConnections: 20_000,
    maxConnectionsPerIp: 1000,
    headerTimeout: 10_000,
  },
  idleTimeout: 30,
  plugTimeout: 0,
  backpressureLimit: 1_048_576,
  syncStateLimit: 16_000_000,
  inputBufferLimit: 1_048_576,
  validateReplies: false,
  callTimeout: 30_000,
  reloadDebounce: 30,
  staticFolder: "",
  initFile: "./INIT.ts",
  auth: { jwtSecret: "" },
  metrics: { isOn: true, token: "" },
  statusShowsEvents: false,
  logFormat: "text",
  shutdownGrace: 10_000,
  isolation: {
    mode: "none",
    drainTimeout: 30_000,
    allowNet: "*",
    allowRead: "",
    allowEnv: "",
    allowWrite: "",
    allowRun: "",
  },
  recovery: { isOn: true, window: 120, maxBytes: 1_048_576 },
};

/** A partial configuration: any field, nested fields included, may be left out. */
export type PartialConfig = {
  [K in keyof Config]?: Config[K] extends object ? Partial<Config[K]> : Config[K];
};

/**
 * Returns the defaults overridden by `overrides`, merging nested groups.
 *
 * @example
 * ```ts
 * import { withDefaults } from "./config.ts";
 * const config = withDefaults({ INSECURE: { port: 0 } });
 * console.log(config.INSECURE.hostname); // "0.0.0.0"
 * ```
 */
export function withDefaults(overrides: PartialConfig = {}): Config {
  const config: Record<string, unknown> = { ...defaultConfig, ...overrides };
  // Every group (INSECURE, TLS, memoryMetrics, any added later) merges key by key.
  for (const [key, value] of Object.entries(defaultConfig)) {
    if (typeof value === "object" && value !== null) {
      config[key] = { ...value, ...(overrides as Record<string, object | undefined>)[key] };
    }
  }
  return config as unknown as Config;
}
