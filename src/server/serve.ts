/**
 * The transport: `Deno.serve` plus `Deno.upgradeWebSocket`, wired to a
 * {@linkcode Server}. It also loads the plugs, watches their folder, and runs
 * `INIT(server)` before accepting connections. Kept thin on purpose: all
 * protocol work happens in dispatch.
 *
 * @example
 * ```ts ignore
 * import { serve } from "./serve.ts";
 * import { withDefaults } from "../../config.ts";
 * const server = await serve({ config: withDefaults({ INSECURE: { port: 0, hostname: "127.0.0.1" } }) });
 * console.log(server.url);
 * await server.close();
 * ```
 * @module
 */

import { resolve } from "node:path";
import type { Config } from "../../config.ts";
import { Logger } from "../log.ts";
import { FilePlugLoader } from "../plugs/loader.ts";
import { PlugRegistry } from "../plugs/registry.ts";
import { toFileUrl } from "../plugs/file_url.ts";
import { watchFolder } from "../plugs/watcher.ts";
import type { Client } from "./client.ts";
import { Hub } from "./hub.ts";
import { handleHttp, type HttpRoute } from "./http.ts";
import { Server } from "./server.ts";

/** A function run once with the server before it accepts connections. */
export type InitHook = (server: Server) => unknown;

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /** The full configuration (see `withDefaults`). */
  config: Config;
  /** The log; built from the config by default. */
  log?: Logger;
  /** Connection registry and cluster adapter; in-memory by default. */
  hub?: Hub<Client>;
  /** INIT to run instead of importing `config.initFile`; `false` runs none. */
  init?: InitHook | false;
  /** Watch the plugs folder for changes (default true). */
  watch?: boolean;
  /** Extra HTTP routes by exact path, e.g. the client library. */
  routes?: ReadonlyMap<string, HttpRoute>;
}

const MEGABYTE = 1024 * 1024;

/**
 * Loads plugs, runs INIT, and starts listening. Resolves once the server
 * accepts connections; `server.close()` undoes everything.
 *
 * @throws whatever `INIT` throws, after releasing what was started
 */
export async function serve(options: ServeOptions): Promise<Server> {
  const { config } = options;
  const log = options.log ?? new Logger(config);
  const plugs = new PlugRegistry();
  const loader = new FilePlugLoader({
    folder: config.plugsFolder,
    registry: plugs,
    log,
    preload: config.preloadPlugs,
    validateFunctionShape: config.validateFunctionShape,
  });
  const hub = options.hub ?? await clusterHub(config, log);
  const server = new Server({ config, log, hub, plugs, source: loader });
  try {
    await loader.loadAll();
    if (options.watch ?? true) startWatcher(server, loader);
    await runInit(server, options.init ?? config.initFile);
    listen(server, options.routes ?? new Map());
    if (config.memoryMetrics.isOn) startMemoryMetrics(server);
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}

/**
 * A hub joined to peers through Redis when `cluster.redisUrl` is set. The
 * Redis client is imported only then, so a single process never loads it.
 */
async function clusterHub(config: Config, log: Logger): Promise<Hub<Client> | undefined> {
  if (!config.cluster.redisUrl) return undefined;
  const { RedisAdapter } = await import("../cluster/redis.ts");
  const adapter = await RedisAdapter.connect({
    url: config.cluster.redisUrl,
    channel: config.cluster.channel,
    onError: (err) => log.warn("Cluster message dropped:", err),
  });
  log.info(`Clustered through ${config.cluster.redisUrl} on channel "${config.cluster.channel}"`);
  return new Hub<Client>(undefined, adapter);
}

function startWatcher(server: Server, loader: FilePlugLoader): void {
  try {
    const watcher = watchFolder(
      loader.folder,
      server.config.reloadDebounce,
      (paths) => loader.changed(paths),
    );
    server.addCloser(async () => {
      watcher.close();
      await watcher.done;
    });
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound ? "it does not exist" : String(err);
    server.log.warn(`Not watching ${loader.folder} for changes: ${reason}`);
  }
}

async function runInit(server: Server, init: InitHook | string | false): Promise<void> {
  if (init === false || init === "") return;
  if (typeof init === "function") {
    await init(server);
    return;
  }
  const path = resolve(init);
  try {
    await Deno.stat(path);
  } catch {
    server.log.debug(`No INIT file at ${path}; starting without one`);
    return;
  }
  const module = await import(toFileUrl(path));
  const hook = module.INIT ?? module.default;
  if (typeof hook !== "function") {
    throw new TypeError(`${path} must export a function INIT(server)`);
  }
  await hook(server);
  server.log.info(`Ran INIT from ${path}`);
}

function listen(server: Server, routes: ReadonlyMap<string, HttpRoute>): void {
  const { config } = server;
  const secure = config.secure;
  const where = secure ? config.TLS : config.INSECURE;
  const tls = secure
    ? {
      cert: Deno.readTextFileSync(config.TLS.certFile),
      key: Deno.readTextFileSync(config.TLS.keyFile),
    }
    : {};
  const http = Deno.serve({
    port: where.port,
    hostname: where.hostname,
    ...tls,
    onListen: () => {},
  }, (request) => {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      return upgrade(server, request);
    }
    return handleHttp(server, routes, request);
  });
  const addr = http.addr as Deno.NetAddr;
  server.addr = { hostname: addr.hostname, port: addr.port, secure };
  server.log.info(`Listening on ${server.url}`);
  server.addCloser(() => http.shutdown());
}

function upgrade(server: Server, request: Request): Response {
  const origin = request.headers.get("origin");
  if (!originAllowed(server.config.allowedOrigins, origin)) {
    server.log.warn(`Refused a WebSocket from origin ${origin ?? "(none)"}`);
    return new Response("Origin not allowed", { status: 403 });
  }
  const { socket, response } = Deno.upgradeWebSocket(request, {
    idleTimeout: server.config.idleTimeout,
  });
  socket.binaryType = "arraybuffer";
  let client: Client | undefined;
  socket.onopen = () => {
    client = server.accept(socket);
  };
  socket.onmessage = (event) => {
    if (client) server.receive(client, event.data);
  };
  socket.onclose = (event) => {
    if (client) server.disconnect(client, event.code, event.reason);
  };
  // An error is always followed by close, where cleanup happens.
  socket.onerror = () => {};
  return response;
}

/**
 * True when `origin` may open a WebSocket. Browsers always send Origin, so a
 * list stops other sites' pages from connecting with the user's cookies;
 * non-browser clients send none and are let through.
 */
export function originAllowed(allowed: string, origin: string | null): boolean {
  if (allowed === "" || origin === null) return true;
  return allowed.split(",").some((entry) => entry.trim() === origin);
}

function startMemoryMetrics(server: Server): void {
  const timer = setInterval(() => {
    const { heapUsed, heapTotal, rss } = Deno.memoryUsage();
    const mb = (bytes: number) => `${(bytes / MEGABYTE).toFixed(1)} MiB`;
    server.log.info(`Memory: heap ${mb(heapUsed)} of ${mb(heapTotal)}, RSS ${mb(rss)}`);
  }, server.config.memoryMetrics.interval);
  server.addCloser(() => clearInterval(timer));
}
