/**
 * Assembling a server: the plug loader and its watcher, the cluster adapter,
 * the runtime, INIT, memory reports, then the transport. `serve()` is the
 * public entry (it returns the plug API's {@linkcode Server}); `start()`
 * returns the runtime itself, for the CLI and the tests.
 *
 * @example
 * ```ts ignore
 * import { serve } from "./start.ts";
 * import { withDefaults } from "../../config.ts";
 * const server = await serve({ config: withDefaults({ INSECURE: { port: 0, hostname: "127.0.0.1" } }) });
 * console.log(server.url);
 * await server.close();
 * ```
 * @module
 */

import { resolve } from "node:path";
import type { Config } from "../../config.ts";
import type { ClusterAdapter } from "../cluster/adapter.ts";
import { Logger } from "../log.ts";
import type { Server } from "../plugs/api.ts";
import { FilePlugLoader } from "../plugs/loader.ts";
import { PlugRegistry } from "../plugs/registry.ts";
import { toFileUrl } from "../plugs/file_url.ts";
import { withSocketHooks } from "../compat/socket.ts";
import { watchFolder } from "../plugs/watcher.ts";
import type { HttpRoute } from "./http.ts";
import { type LimitCounters, newCounters } from "./limits.ts";
import { Runtime } from "./runtime.ts";
import { listen } from "./transport.ts";

/** A function run once with the server before it accepts connections. */
export type InitHook = (server: Server) => unknown;

/** Options of {@linkcode serve}. */
export interface ServeOptions {
  /** The full configuration (see `withDefaults`). */
  config: Config;
  /** The log; built from the config by default. */
  log?: Logger;
  /** The way to other nodes; from `config.cluster` by default (none when its `redisUrl` is ""). */
  adapter?: ClusterAdapter;
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
 * @example
 * ```ts ignore
 * const server = await serve({ config: withDefaults() });
 * ```
 * @throws whatever `INIT` throws, after releasing what was started
 */
export async function serve(options: ServeOptions): Promise<Server> {
  return (await start(options)).api;
}

/** {@linkcode serve}, returning the runtime behind the plug API. */
export async function start(options: ServeOptions): Promise<Runtime> {
  const { config } = options;
  const log = options.log ?? new Logger(config);
  // Worker isolation is imported only when used: in-process mode loads none of it.
  const isolation = config.isolation.mode === "worker"
    ? new (await import("../isolation/isolation.ts")).WorkerIsolation(config, log)
    : undefined;
  const plugs = isolation?.registry ?? new PlugRegistry();
  const loader = new FilePlugLoader({
    folder: config.plugsFolder,
    registry: plugs,
    log,
    preload: config.preloadPlugs,
    validateFunctionShape: config.validateFunctionShape,
    // The runtime is built next; loads only happen once it exists.
    onLoad: (report) => runtime.metrics?.loaded(report),
    importModule: isolation?.importModule,
  });
  const counters = newCounters();
  const adapter = options.adapter ?? await clusterAdapter(config, log, counters);
  const runtime = new Runtime({ config, log, adapter, plugs, source: loader, counters });
  isolation?.attach(runtime);
  try {
    await loader.loadAll();
    if (options.watch ?? true) startWatcher(runtime, loader);
    await runInit(runtime, options.init ?? config.initFile);
    await listen(runtime, options.routes ?? new Map());
    if (config.memoryMetrics.isOn) startMemoryMetrics(runtime);
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return runtime;
}

/**
 * The Redis adapter when `cluster.redisUrl` is set. The Redis client is
 * imported only then, so a single process never loads it.
 */
async function clusterAdapter(
  config: Config,
  log: Logger,
  counters: LimitCounters,
): Promise<ClusterAdapter | undefined> {
  if (!config.cluster.redisUrl) return undefined;
  const { RedisAdapter } = await import("../cluster/redis.ts");
  const adapter = await RedisAdapter.connect({
    url: config.cluster.redisUrl,
    channel: config.cluster.channel,
    presenceTimeout: config.cluster.presenceTimeout,
    secret: config.cluster.secret,
    log,
    counters,
  });
  log.info(`Clustered through ${config.cluster.redisUrl} on channel "${config.cluster.channel}"`);
  return adapter;
}

function startWatcher(runtime: Runtime, loader: FilePlugLoader): void {
  try {
    const watcher = watchFolder(
      loader.folder,
      runtime.config.reloadDebounce,
      (paths) => loader.changed(paths),
    );
    runtime.addCloser(async () => {
      watcher.close();
      await watcher.done;
    });
  } catch (err) {
    const reason = err instanceof Deno.errors.NotFound ? "it does not exist" : String(err);
    runtime.log.warn(`Not watching ${loader.folder} for changes: ${reason}`);
  }
}

async function runInit(runtime: Runtime, init: InitHook | string | false): Promise<void> {
  if (init === false || init === "") return;
  // INIT files written for serverless-sockets call the old Socket hooks.
  const server = withSocketHooks(runtime.api);
  if (typeof init === "function") {
    await init(server);
    return;
  }
  const path = resolve(init);
  try {
    await Deno.stat(path);
  } catch {
    runtime.log.debug(`No INIT file at ${path}; starting without one`);
    return;
  }
  const module = await import(toFileUrl(path));
  const hook = module.INIT ?? module.default;
  if (typeof hook !== "function") {
    throw new TypeError(`${path} must export a function INIT(server)`);
  }
  await hook(server);
  runtime.log.info(`Ran INIT from ${path}`);
}

function startMemoryMetrics(runtime: Runtime): void {
  const timer = setInterval(() => {
    const { heapUsed, heapTotal, rss } = Deno.memoryUsage();
    const mb = (bytes: number) => `${(bytes / MEGABYTE).toFixed(1)} MiB`;
    runtime.log.info(`Memory: heap ${mb(heapUsed)} of ${mb(heapTotal)}, RSS ${mb(rss)}`);
  }, runtime.config.memoryMetrics.interval);
  runtime.addCloser(() => clearInterval(timer));
}
