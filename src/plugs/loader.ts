/**
 * Loads plug files from a folder into a {@linkcode PlugRegistry}. A file
 * whose bytes did not change is never imported again (V8 never frees a
 * module), and a file that fails to import leaves the last good version
 * serving.
 *
 * @example
 * ```ts ignore
 * import { FilePlugLoader } from "./loader.ts";
 * import { PlugRegistry } from "./registry.ts";
 * const registry = new PlugRegistry();
 * const loader = new FilePlugLoader({ folder: "./plugs", registry, log: console });
 * await loader.loadAll();
 * ```
 * @module
 */

import { isAbsolute, join, relative, resolve as resolvePath, sep } from "node:path";
import { toFileUrl } from "./file_url.ts";
import { eventNameOf, isSafeEventName, PLUG_EXTENSIONS } from "./event_name.ts";
import type { PlugRegistry } from "./registry.ts";
import type { Plug, PlugHandler } from "./types.ts";
import { plugSchemaOf } from "./schema.ts";

/** The logging the loader needs. */
export interface LoaderLog {
  error(...parts: unknown[]): void;
  warn(...parts: unknown[]): void;
  info(...parts: unknown[]): void;
  debug(...parts: unknown[]): void;
}

/** What happened when one file was (re)loaded. */
export type LoadOutcome = "loaded" | "unchanged" | "failed" | "removed" | "ignored";

/** One load (or removal) of a plug file, for metrics and the status page. */
export interface LoadReport {
  /** The event the file serves. */
  event: string;
  /** What happened. */
  outcome: LoadOutcome;
  /** Why a `failed` load failed, in one line. */
  error?: string;
}

/**
 * Where plugs come from. The server only asks for an event's plug; a later
 * Worker-isolated source can implement the same three methods.
 */
export interface PlugSource {
  /** Loads every plug (when preloading) before the server accepts connections. */
  loadAll(): Promise<void>;
  /** Finds the plug for an event the registry does not hold (lazy loading). */
  resolve(event: string): Promise<Plug | undefined>;
  /** Applies file-system changes reported by a watcher. */
  changed(paths: Iterable<string>): Promise<void>;
}

/** Options of {@linkcode FilePlugLoader}. */
export interface FilePlugLoaderOptions {
  /** The plugs folder. */
  folder: string;
  /** Where loaded plugs are installed. */
  registry: PlugRegistry;
  /** Where load errors and warnings go. */
  log: LoaderLog;
  /** Load every file at start and on every change (true), or on first use (false). */
  preload?: boolean;
  /** Accept only async generator functions (true) or any function (false). */
  validateFunctionShape?: boolean;
  /** Told of every load, reload, failure and removal. */
  onLoad?: (report: LoadReport) => void;
  /**
   * Imports one plug module (default: `import(url)` in this isolate). Worker
   * isolation loads it in a Worker and returns proxies of its exports.
   */
  importModule?: (url: string, file: string, event: string) => Promise<Record<string, unknown>>;
}

const ASYNC_GENERATOR_TAG = "[object AsyncGeneratorFunction]";

/** Loads `.ts`/`.js` files under a folder as plugs, by content hash. */
export class FilePlugLoader implements PlugSource {
  /** Absolute path of the plugs folder. */
  readonly folder: string;
  readonly #registry: PlugRegistry;
  readonly #log: LoaderLog;
  readonly #preload: boolean;
  readonly #validateShape: boolean;
  readonly #onLoad: (report: LoadReport) => void;
  readonly #import: (url: string, file: string, event: string) => Promise<Record<string, unknown>>;
  /** Events known to have no file, so lazy misses do not hit the disk each time. */
  readonly #missing = new Set<string>();

  constructor(options: FilePlugLoaderOptions) {
    this.folder = resolvePath(options.folder);
    this.#registry = options.registry;
    this.#log = options.log;
    this.#preload = options.preload ?? true;
    this.#validateShape = options.validateFunctionShape ?? true;
    this.#onLoad = options.onLoad ?? (() => {});
    this.#import = options.importModule ?? ((url) => import(url));
  }

  async loadAll(): Promise<void> {
    if (!this.#preload) return;
    await this.#loadTree(this.folder);
    this.#log.info(
      `Serving ${this.#registry.size} plug(s) from ${this.folder}: ${
        this.#registry.events().join(", ")
      }`,
    );
  }

  async resolve(event: string): Promise<Plug | undefined> {
    if (this.#preload || !isSafeEventName(event) || this.#missing.has(event)) return undefined;
    for (const ext of PLUG_EXTENSIONS) {
      const file = join(this.folder, event + ext);
      if (eventNameOf(event + ext) !== event) continue; // a private helper, not a plug
      if (!this.#inside(file) || !(await isFile(file))) continue;
      // A symlink may point outside the plugs folder; its real path must not.
      if (!this.#inside(await Deno.realPath(file), await Deno.realPath(this.folder))) continue;
      await this.loadFile(file);
      return this.#registry.get(event);
    }
    this.#missing.add(event);
    return undefined;
  }

  async changed(paths: Iterable<string>): Promise<void> {
    this.#missing.clear();
    for (const path of paths) {
      const info = await Deno.stat(path).catch(() => undefined);
      if (info?.isDirectory) {
        if (this.#preload) await this.#loadTree(path);
      } else if (info?.isFile) {
        if (this.#preload || this.#isLoaded(path)) await this.loadFile(path);
      } else {
        this.#forget(path);
      }
    }
  }

  /**
   * Loads one file and installs its plug. Identical bytes reuse the module
   * already loaded; a failing import keeps the previous version.
   */
  async loadFile(file: string): Promise<LoadOutcome> {
    const rel = relative(this.folder, file);
    const event = eventNameOf(rel);
    if (!event || !this.#inside(file)) return "ignored";
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch {
      this.#forget(file);
      return "removed";
    }
    const hash = await contentHash(bytes);
    const current = this.#registry.get(event);
    if (current?.hash === hash) {
      this.#onLoad({ event, outcome: "unchanged" });
      return "unchanged";
    }
    try {
      // The hash in the URL makes each distinct content a distinct module; the
      // same content maps to the same URL, which V8 answers from its cache.
      const module = await this.#import(`${toFileUrl(file)}?v=${hash}`, file, event);
      const handlers = this.#handlersOf(module, rel);
      if (handlers.length === 0) {
        throw new TypeError(`"${rel}" exports no async generator function`);
      }
      // A malformed schema fails the load: serving without the checks it asks for would be worse.
      const schema = "schema" in module ? plugSchemaOf(module.schema, rel) : undefined;
      this.#registry.set({ event, file, hash, handlers, schema });
      this.#log.info(`${current ? "Reloaded" : "Loaded"} plug "${event}" (${rel})`);
      this.#onLoad({ event, outcome: "loaded" });
      return "loaded";
    } catch (err) {
      this.#log.error(
        `Plug "${event}" (${file}) failed to load; ${
          current ? "the last good version keeps serving" : "it answers NOT_FOUND"
        }:`,
        err,
      );
      this.#onLoad({ event, outcome: "failed", error: oneLine(err) });
      return "failed";
    }
  }

  #handlersOf(module: Record<string, unknown>, rel: string): PlugHandler[] {
    const handlers: PlugHandler[] = [];
    for (const [name, value] of Object.entries(module)) {
      if (name === "schema") continue; // the payload schema, not a handler
      const isGenerator = Object.prototype.toString.call(value) === ASYNC_GENERATOR_TAG;
      if (isGenerator || (!this.#validateShape && typeof value === "function")) {
        handlers.push(value as PlugHandler);
      } else {
        this.#log.warn(
          `Plug "${rel}": export "${name}" is not an async generator function; ignored`,
        );
      }
    }
    return handlers;
  }

  async #loadTree(dir: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (err) {
      const reason = err instanceof Deno.errors.NotFound ? "it does not exist" : String(err);
      this.#log.warn(`Cannot read plugs folder ${dir}: ${reason}`);
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await this.#loadTree(path);
      else if (entry.isFile || entry.isSymlink) await this.loadFile(path);
    }
  }

  /** Drops the plug of a deleted file, or of every file under a deleted folder. */
  #forget(path: string): void {
    for (const plug of [...this.#registry.values()]) {
      if (plug.file === path || plug.file.startsWith(path + sep)) {
        this.#registry.delete(plug.event);
        this.#log.info(`Removed plug "${plug.event}" (file deleted)`);
        this.#onLoad({ event: plug.event, outcome: "removed" });
      }
    }
  }

  #isLoaded(file: string): boolean {
    const event = eventNameOf(relative(this.folder, file));
    return event !== undefined && this.#registry.get(event)?.file === file;
  }

  #inside(path: string, root = this.folder): boolean {
    const rel = relative(root, path);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  }
}

/** The first line of an error's message: enough for a status page. */
function oneLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.split("\n", 1)[0];
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** A short hex SHA-256 of the bytes: enough to tell contents apart. */
async function contentHash(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  let hex = "";
  for (let i = 0; i < 12; i++) hex += digest[i].toString(16).padStart(2, "0");
  return hex;
}
