/**
 * Worker isolation: each plug version lives in a Worker of its own, inside
 * one child plug-host process. This file loads plug versions into Workers
 * and stands in for their exports (handlers, `schema`), and routes what
 * Workers send back. The rest is one concern per file: host and Worker
 * lifecycle in `workers.ts` ({@linkcode WorkerPool}), calls in `calls.ts`,
 * schema checks in `schema_checks.ts`, the plug API in `rpc.ts`.
 *
 * @example
 * ```ts ignore
 * const isolation = new WorkerIsolation(config, log, registry);
 * const loader = new FilePlugLoader({ ..., registry, importModule: isolation.importModule });
 * isolation.attach(runtime);
 * ```
 * @module
 */

import { setImmediate } from "node:timers";
import { deserialize, serialize } from "node:v8";
import type { Config } from "../../config.ts";
import type { Logger } from "../log.ts";
import type { PlugHandler } from "../plugs/types.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import type { Runtime } from "../server/runtime.ts";
import type { PlugHost } from "./host.ts";
import { type CallMessage, RemoteCall } from "./remote_call.ts";
import { RemoteCalls } from "./calls.ts";
import { describeError, type ErrorInfo, toError } from "./remote_error.ts";
import { ApiRequests } from "./rpc.ts";
import { SchemaChecks } from "./schema_checks.ts";
import { type SchemaShape, schemaStandIn } from "./schema_proxy.ts";
import { encodeMessage, SYNC_REPLY } from "./wire.ts";
import { IsolatedRegistry, type Version, type WorkerRecord } from "./versions.ts";
import { type PoolOwner, WorkerPool } from "./workers.ts";

/** Hang check when `plugTimeout` is 0: worker mode never waits forever on a busy loop. */
export const DEFAULT_HANG_MS = 10_000;

/** One export of a module loaded in a Worker, as the Worker describes it. */
interface ExportInfo {
  name: string;
  kind: "generator" | "function" | "value";
  /** For the `schema` export: what its parts are. */
  schema?: SchemaShape;
}

/** A load of a plug version in a Worker. */
interface Load extends PromiseWithResolvers<ExportInfo[]> {
  w: number;
}

/** Runs plug code in Workers of a plug host; see the module doc. */
export class WorkerIsolation implements PoolOwner {
  /** The registry to hand the loader and the runtime: it retires replaced versions. */
  readonly registry: IsolatedRegistry;
  readonly hangMs: number;
  readonly #pool: WorkerPool;
  readonly #calls: RemoteCalls;
  readonly #loads = new Map<number, Load>();
  /** Plug-API requests held until the end of the turn, by Worker: see `#inOrder`. */
  readonly #held = new Map<number, (() => void)[]>();
  readonly #checks: SchemaChecks;
  #rpc?: ApiRequests;
  #runtime?: Runtime;
  #nextVersion = 1;

  constructor(config: Config, log: Logger) {
    this.hangMs = config.plugTimeout > 0 ? config.plugTimeout : DEFAULT_HANG_MS;
    this.#pool = new WorkerPool(config, log, this);
    this.registry = new IsolatedRegistry((version) => this.#retire(version));
    const loaded = (version: Version) => this.#ensureLoaded(version);
    this.#checks = new SchemaChecks(this.#pool, this.hangMs, loaded);
    this.#calls = new RemoteCalls(this.#pool, this.registry, {
      hangMs: this.hangMs,
      plugTimeout: config.plugTimeout,
      loaded,
      dataOf: (id) => this.#runtime?.hub.connections.get(id)?.api.data,
    });
  }

  /** Connects the Workers' plug API to the runtime; call before serving. */
  attach(runtime: Runtime): void {
    this.#runtime = runtime;
    this.#rpc = new ApiRequests(runtime, (w, head, tail) => this.#pool.send(w, head, tail));
    runtime.addCloser(() => this.close());
  }

  /** The process id of the current host (for tests and RSS figures). */
  get hostPid(): number | undefined {
    return this.#pool.hostPid;
  }

  /** The loader's `importModule`: loads a plug file in a Worker and returns stand-ins of its exports. */
  importModule = async (url: string, _file: string, event: string) => {
    // Current from the start: a Worker holding a version still loading is not idle.
    const version: Version = { v: this.#nextVersion++, event, url, current: true };
    // One Worker per plug version: a plug stuck in a loop blocks its own Worker only.
    const worker = this.#pool.spawn();
    let exports;
    try {
      exports = await this.#load(version, worker);
    } catch (err) {
      this.#pool.kill(worker);
      throw err;
    }
    const module: Record<string, unknown> = {};
    const handlers = exports.filter((e) => e.kind !== "value" && e.name !== "schema");
    // In-process, every handler of one message gets the same message object.
    version.shared = handlers.length > 1;
    for (const { name, kind, schema } of exports) {
      if (name === "schema") {
        module.schema = schemaStandIn(
          schema ?? null,
          (part, value) => this.#checks.check(version, part, value),
        );
        version.payloadSchema = schema?.payload === "standard";
      } else {
        module[name] = kind === "value" ? name : this.#handler(version, name, kind === "generator");
      }
    }
    return module;
  };

  #handler(version: Version, name: string, generator: boolean): PlugHandler {
    const handler =
      ((message: CallMessage, client: { id: string }) =>
        new RemoteCall(this.#calls, version.v, name, message, client.id)) as PlugHandler;
    // The loader accepts async generator functions by their tag: this stand-in is one.
    if (generator) {
      Object.defineProperty(handler, Symbol.toStringTag, { value: "AsyncGeneratorFunction" });
    }
    this.registry.versions.set(handler, version);
    return handler;
  }

  /** Stops the hosts and their Workers. */
  async close(): Promise<void> {
    await this.#pool.close();
    this.#calls.deadlines.clear();
  }

  // deno-lint-ignore no-explicit-any
  receive(host: PlugHost, w: number, head: any, tail: Uint8Array): void {
    switch (head.k) {
      case "y":
      case "done":
      case "err":
      case "returned":
        return this.#calls.reply(head, tail);
      case "validated":
        return this.#checks.answered(head.q, head.error, tail);
      case "loaded":
      case "loadFailed": {
        const load = this.#loads.get(head.v);
        this.#loads.delete(head.v);
        if (head.k === "loaded") load?.resolve(head.exports);
        else load?.reject(toError(head.error as ErrorInfo));
        return;
      }
      case "pong":
        return this.#pool.pong(head.n);
      case "sync":
        return this.#inOrder(w, head.m, () => this.#answerSync(host, w, head.op, tail));
      case "rpc":
        return this.#inOrder(w, head.m, () => {
          this.#rpc!.call(head.op, deserialize(tail)).then(
            (value) => this.#pool.send(w, { k: "reply", r: head.r }, pack(value)),
            (err) => this.#pool.send(w, { k: "reply", r: head.r, error: describeError(err) }),
          );
        });
      case "notify":
        return this.#inOrder(w, head.m, () => {
          this.#rpc?.notify(w, head.op, deserialize(tail));
          this.#pool.idle(this.#pool.workers.get(w));
        });
    }
  }

  /**
   * Handles a plug-API request of Worker `w` after the yields received
   * before it are routed. A request is `marked` when a call ran ahead while
   * making it (run_ahead.ts): dispatch routes a yield in the promise jobs
   * that follow its arrival, so the end of this turn comes after it. Later
   * requests of the same Worker wait behind a held one, keeping its order.
   */
  #inOrder(w: number, marked: unknown, handle: () => void): void {
    const held = this.#held.get(w);
    if (held) held.push(handle);
    else if (marked) {
      this.#held.set(w, [handle]);
      setImmediate(() => {
        const waiting = this.#held.get(w) ?? [];
        this.#held.delete(w);
        for (const next of waiting) next();
      });
    } else handle();
  }

  lost(gone: ReadonlySet<number>, message: string): string[] {
    const events = this.#calls.lost(gone, message);
    this.#checks.lost(gone, message);
    for (const [v, load] of this.#loads) {
      if (!gone.has(load.w)) continue;
      this.#loads.delete(v);
      load.reject(new ProtocolError(ErrorCode.PLUG_CRASHED, message));
    }
    for (const w of gone) this.#rpc?.forget(w);
    return events;
  }

  holds(w: number): boolean {
    return this.#rpc?.holds(w) ?? false;
  }

  reload(old?: PlugHost): void {
    for (const version of this.registry.currentVersions()) {
      if (!old) this.#ensureLoaded(version)?.catch(() => {});
      else if (version.worker?.host === old) {
        this.#load(version, this.#pool.spawn()).catch(() => {});
      }
    }
  }

  #load(version: Version, worker: WorkerRecord): Promise<ExportInfo[]> {
    const load = { ...Promise.withResolvers<ExportInfo[]>(), w: worker.w };
    this.#loads.set(version.v, load);
    version.worker = worker;
    worker.versions.add(version);
    version.ready = load.promise.then(() => undefined);
    version.ready.catch(() => worker.versions.delete(version));
    // A load is work: a replaced host must not be closed under it.
    worker.active++;
    const settled = () => {
      worker.active--;
      if (this.#pool.workers.has(worker.w)) this.#pool.idle(worker);
    };
    load.promise.then(settled, settled);
    this.#pool.send(worker.w, { k: "load", v: version.v, url: version.url });
    return load.promise;
  }

  /** Undefined when the version is loaded in a live Worker; else a promise that loads it. */
  #ensureLoaded(version: Version): Promise<void> | undefined {
    const worker = version.worker;
    if (worker && this.#pool.workers.has(worker.w)) return version.ready;
    return this.#load(version, this.#pool.spawn()).then(() => undefined);
  }

  #answerSync(host: PlugHost, w: number, op: string, tail: Uint8Array): void {
    let message: Uint8Array;
    try {
      const value = this.#rpc!.sync(w, op, deserialize(tail));
      message = encodeMessage(w | SYNC_REPLY, {}, pack(value));
    } catch (err) {
      message = encodeMessage(w | SYNC_REPLY, { error: describeError(err) });
    }
    host.sendRaw(message);
  }

  #retire(version: Version): void {
    version.current = false;
    const worker = version.worker;
    if (!worker || [...worker.versions].some((v) => v.current)) return;
    this.#pool.retire(worker);
  }
}

function pack(value: unknown): Uint8Array | undefined {
  return value === undefined ? undefined : serialize(value);
}
