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
  /** Milliseconds to wait after a file change before reloading, so a burst of writes loads once. */
  reloadDebounce: number;
  /** Folder of static files served over HTTP (e.g. a web page using the client); "" serves none. */
  staticFolder: string;
  /** File whose exported `INIT(server)` runs once before connections are accepted. */
  initFile: string;
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
  reloadDebounce: 30,
  staticFolder: "",
  initFile: "./INIT.ts",
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
