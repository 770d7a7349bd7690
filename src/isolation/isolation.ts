/**
 * Worker isolation: each plug version lives in a Worker of its own, inside
 * one child plug-host process. A new version of an edited plug starts in a
 * new Worker; the old one is terminated once its calls end (or after
 * `isolation.drainTimeout`), which returns its memory. A Worker that
 * stops answering (a busy loop) gets its caller PLUG_TIMEOUT and its host
 * killed; the calls running there end with PLUG_CRASHED, and a fresh host
 * loads the current plugs at once.
 *
 * @example
 * ```ts ignore
 * const isolation = new WorkerIsolation(config, log, registry);
 * const loader = new FilePlugLoader({ ..., registry, importModule: isolation.importModule });
 * isolation.attach(runtime);
 * ```
 * @module
 */

import { deserialize, serialize } from "node:v8";
import type { Config } from "../../config.ts";
import type { Logger } from "../log.ts";
import type { PlugHandler } from "../plugs/types.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { Runtime } from "../server/runtime.ts";
import { type HostListener, PlugHost } from "./host.ts";
import { hostFlags, workerPermissions } from "./permissions.ts";
import { type CallOwner, type CallReply, RemoteCall } from "./remote_call.ts";
import { type ErrorInfo, toError } from "./remote_error.ts";
import { ApiRequests } from "./rpc.ts";
import { encodeMessage, SYNC_REPLY } from "./wire.ts";
import { IsolatedRegistry, type Version, type WorkerRecord } from "./versions.ts";

/** Hang check when `plugTimeout` is 0: worker mode never waits forever on a busy loop. */
export const DEFAULT_HANG_MS = 10_000;
/** How long a suspected Worker has to answer a ping before it counts as hung. */
const PING_MS = 150;
/**
 * Workers terminated in one host before it is replaced by a fresh one: each
 * Worker leaves a few KiB behind in its process, which only a new process
 * returns.
 */
export const RECYCLE_AFTER = 100;
/** How long `close()` lets the host exit on its own before killing it. */
const CLOSE_GRACE_MS = 2_000;

/** Runs plug code in Workers of a plug host; see the module doc. */
export class WorkerIsolation implements CallOwner {
  /** The registry to hand the loader and the runtime: it retires replaced versions. */
  readonly registry: IsolatedRegistry;
  readonly hangMs: number;
  readonly #config: Config;
  readonly #log: Logger;
  readonly #flags: string[];
  readonly #permissions: ReturnType<typeof workerPermissions>;
  readonly #calls = new Map<number, RemoteCall>();
  readonly #workers = new Map<number, WorkerRecord>();
  readonly #loads = new Map<number, PromiseWithResolvers<{ name: string; kind: string }[]>>();
  readonly #pings = new Map<number, () => void>();
  #rpc?: ApiRequests;
  #runtime?: Runtime;
  #host?: PlugHost;
  #nextWorker = 1;
  #nextVersion = 1;
  #nextPing = 1;
  #closed = false;
  /** Workers terminated in the current host. */
  #terminated = 0;
  /** Replaced hosts still finishing their calls. */
  readonly #retiring = new Set<PlugHost>();

  constructor(config: Config, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.hangMs = config.plugTimeout > 0 ? config.plugTimeout : DEFAULT_HANG_MS;
    this.#permissions = workerPermissions(config.isolation, [config.plugsFolder]);
    this.#flags = hostFlags(this.#permissions);
    this.registry = new IsolatedRegistry((version) => this.#retire(version));
  }

  /** Connects the Workers' plug API to the runtime; call before serving. */
  attach(runtime: Runtime): void {
    this.#runtime = runtime;
    this.#rpc = new ApiRequests(runtime, (w, hook, id, data) => {
      const tail = data === undefined ? undefined : serialize(data);
      this.#send(w, { k: "hook", hook, id, closed: data !== undefined }, tail);
    });
    runtime.addCloser(() => this.close());
  }

  /** The process id of the current host (for tests and RSS figures). */
  get hostPid(): number | undefined {
    return this.#host?.pid;
  }

  /** The loader's `importModule`: loads a plug file in a Worker and returns proxies of its exports. */
  importModule = async (url: string, _file: string, event: string) => {
    // Current from the start: a Worker holding a version still loading is not idle.
    const version: Version = { v: this.#nextVersion++, event, url, current: true };
    // One Worker per plug version: a plug stuck in a loop blocks its own Worker only.
    const worker = this.#spawn();
    let exports;
    try {
      exports = await this.#load(version, worker);
    } catch (err) {
      this.#kill(worker);
      throw err;
    }
    const module: Record<string, unknown> = {};
    for (const { name, kind } of exports) {
      module[name] = kind === "value" ? name : this.#handler(version, name, kind === "generator");
    }
    return module;
  };

  #handler(version: Version, name: string, generator: boolean): PlugHandler {
    const handler =
      ((message: { raw: Uint8Array }, client: { id: string }) =>
        new RemoteCall(this, version.v, name, message.raw, client.id)) as PlugHandler;
    // The loader accepts async generator functions by their tag: this proxy stands for one.
    if (generator) {
      Object.defineProperty(handler, Symbol.toStringTag, { value: "AsyncGeneratorFunction" });
    }
    this.registry.versions.set(handler, version);
    return handler;
  }

  start(call: RemoteCall): void {
    this.#calls.set(call.c, call);
    const version = this.registry.version(call.version);
    const ready = version ? this.#ensureLoaded(version) : undefined;
    const send = () => {
      const worker = version?.worker;
      if (!worker) return call.fail(ErrorCode.PLUG_CRASHED, "The plug's Worker is gone");
      call.worker = worker.w;
      worker.active++;
      let tail = call.raw;
      // The caller's client.data travels with the call (nothing when empty: the common case).
      const data = this.#runtime?.hub.connections.get(call.clientId)?.api.data;
      if (data && Object.keys(data).length > 0) {
        let bytes: Uint8Array;
        try {
          bytes = serialize(data);
        } catch (err) {
          return call.reply({
            k: "err",
            error: { name: "TypeError", message: `client.data cannot reach a Worker: ${err}` },
          });
        }
        tail = new Uint8Array(call.raw.length + bytes.length);
        tail.set(call.raw);
        tail.set(bytes, call.raw.length);
      }
      worker.host.sendRaw(encodeMessage(worker.w, {
        k: "call",
        c: call.c,
        v: call.version,
        name: call.name,
        id: call.clientId,
        rawSize: call.raw.length,
      }, tail));
    };
    if (ready) ready.then(send, (err) => call.fail(ErrorCode.PLUG_CRASHED, String(err)));
    else send();
  }

  step(call: RemoteCall, kind: "next" | "return"): void {
    if (call.worker !== undefined) this.#send(call.worker, { k: kind, c: call.c });
  }

  finished(call: RemoteCall): void {
    this.#calls.delete(call.c);
    const worker = call.worker === undefined ? undefined : this.#workers.get(call.worker);
    if (!worker) return;
    worker.active--;
    this.#maybeStop(worker);
    this.#maybeCloseRetired(worker.host);
  }

  /** A call's Worker may be hung: ping it, and stop its host if it does not answer. */
  suspect(call: RemoteCall): void {
    const worker = call.worker === undefined ? undefined : this.#workers.get(call.worker);
    if (!worker || worker.suspected) return;
    worker.suspected = true;
    const n = this.#nextPing++;
    const timer = setTimeout(() => {
      this.#pings.delete(n);
      if (!this.#workers.has(worker.w)) return;
      const event = this.registry.version(call.version)?.event ?? "?";
      this.#log.error(
        `Plug "${event}" hung (its Worker answered nothing for ${this.hangMs} ms); ` +
          `stopping plug host ${worker.host.pid} and starting a fresh one`,
      );
      call.fail(ErrorCode.PLUG_TIMEOUT, `Plug gave no answer within ${this.hangMs} ms`);
      worker.host.kill();
    }, PING_MS);
    this.#pings.set(n, () => {
      clearTimeout(timer);
      worker.suspected = false;
      // Alive, only waiting: re-check later if the step still has not answered.
      if (call.busy && this.#config.plugTimeout === 0) {
        setTimeout(() => call.busy && this.suspect(call), this.hangMs);
      }
    });
    this.#send(worker.w, { k: "ping", n });
  }

  /** Stops the host and its Workers. */
  async close(): Promise<void> {
    this.#closed = true;
    const hosts = [...this.#retiring, ...(this.#host ? [this.#host] : [])];
    await Promise.all(hosts.map(async (host) => {
      clearTimeout(host.drainTimer);
      const timer = setTimeout(() => host.kill(), CLOSE_GRACE_MS);
      await host.close();
      await host.exited;
      clearTimeout(timer);
    }));
  }

  #currentHost(): PlugHost {
    if (this.#host) return this.#host;
    const host: PlugHost = PlugHost.spawn(
      this.#flags,
      ((w, head, tail) => this.#receive(host, w, head, tail)) as HostListener,
      (line) => this.#log.warn(`Plug host ${host.pid}: ${line}`),
    );
    this.#host = host;
    this.#terminated = 0;
    this.#log.info(`Plug host ${host.pid} started (worker isolation)`);
    host.exited.then((status) => this.#hostExited(host, status));
    return host;
  }

  #spawn(): WorkerRecord {
    const host = this.#currentHost();
    const worker: WorkerRecord = {
      w: this.#nextWorker++,
      host,
      versions: new Set(),
      active: 0,
      suspected: false,
    };
    this.#workers.set(worker.w, worker);
    host.send(0, { k: "spawn", w: worker.w, permissions: this.#permissions, config: this.#config });
    return worker;
  }

  #load(version: Version, worker: WorkerRecord): Promise<{ name: string; kind: string }[]> {
    const loaded = Promise.withResolvers<{ name: string; kind: string }[]>();
    this.#loads.set(version.v, loaded);
    version.worker = worker;
    worker.versions.add(version);
    version.ready = loaded.promise.then(() => undefined);
    version.ready.catch(() => worker.versions.delete(version));
    this.#send(worker.w, { k: "load", v: version.v, url: version.url });
    return loaded.promise;
  }

  /** Undefined when the version is loaded in a live Worker; else a promise that loads it. */
  #ensureLoaded(version: Version): Promise<void> | undefined {
    const worker = version.worker;
    if (worker && this.#workers.has(worker.w)) return version.ready;
    return this.#load(version, this.#spawn()).then(() => undefined);
  }

  // deno-lint-ignore no-explicit-any
  #receive(host: PlugHost, w: number, head: any, tail: Uint8Array): void {
    if (w === 0) {
      if (head.k === "died") this.#workerDied(head.w, head.error);
      return;
    }
    switch (head.k) {
      case "y":
      case "done":
      case "err":
      case "returned": {
        const call = this.#calls.get(head.c);
        if (head.data && call) this.#writeBack(call.clientId, deserialize(tail));
        call?.reply(head as CallReply);
        return;
      }
      case "loaded":
      case "loadFailed": {
        const load = this.#loads.get(head.v);
        this.#loads.delete(head.v);
        if (head.k === "loaded") load?.resolve(head.exports);
        else load?.reject(toError(head.error as ErrorInfo));
        return;
      }
      case "pong":
        this.#pings.get(head.n)?.();
        this.#pings.delete(head.n);
        return;
      case "sync":
        return this.#answerSync(host, w, head.op, tail);
      case "rpc":
        this.#rpc!.call(head.op, deserialize(tail)).then(
          (value) => this.#send(w, { k: "reply", r: head.r }, pack(value)),
          (err) => this.#send(w, { k: "reply", r: head.r, error: describe(err) }),
        );
        return;
      case "notify":
        this.#rpc?.notify(w, head.op, deserialize(tail));
        this.#maybeStop(this.#workers.get(w));
    }
  }

  /** Stores a caller's client.data as its plug left it, keeping the object plugs hold. */
  #writeBack(id: string, value: Record<string, unknown>): void {
    const data = this.#runtime?.hub.connections.get(id)?.api.data;
    if (!data) return;
    for (const key of Object.keys(data)) delete data[key];
    Object.assign(data, value);
  }

  #answerSync(host: PlugHost, w: number, op: string, tail: Uint8Array): void {
    let message: Uint8Array;
    try {
      const value = this.#rpc!.sync(op, deserialize(tail));
      message = encodeMessage(w | SYNC_REPLY, {}, pack(value));
    } catch (err) {
      message = encodeMessage(w | SYNC_REPLY, { error: describe(err) });
    }
    host.sendRaw(message);
  }

  #send(w: number, head: unknown, tail?: Uint8Array): void {
    this.#workers.get(w)?.host.send(w, head, tail);
  }

  #retire(version: Version): void {
    version.current = false;
    const worker = version.worker;
    if (!worker || [...worker.versions].some((v) => v.current)) return;
    worker.retiredAt ??= Date.now();
    worker.drainTimer ??= setTimeout(() => this.#kill(worker), this.#config.isolation.drainTimeout);
    this.#maybeStop(worker);
  }

  #maybeStop(worker: WorkerRecord | undefined): void {
    if (!worker?.retiredAt || worker.active > 0) return;
    if ((this.#rpc?.hookCount(worker.w) ?? 0) > 0) return;
    this.#kill(worker);
  }

  /** Terminates one Worker; calls still running there end with PLUG_CRASHED. */
  #kill(worker: WorkerRecord): void {
    if (!this.#workers.delete(worker.w)) return;
    clearTimeout(worker.drainTimer);
    worker.host.send(0, { k: "kill", w: worker.w });
    this.#rpc?.forget(worker.w);
    this.#failCalls(
      (w) => w === worker.w,
      "The plug's Worker was terminated after its drainTimeout",
    );
    if (worker.host === this.#host && ++this.#terminated >= RECYCLE_AFTER) this.#recycle();
    else this.#maybeCloseRetired(worker.host);
  }

  /**
   * Moves the current plugs to a fresh host; the old one finishes its calls
   * and exits, returning what its terminated Workers left behind.
   */
  #recycle(): void {
    const old = this.#host;
    if (!old || this.#closed) return;
    this.#host = undefined;
    this.#retiring.add(old);
    for (const version of this.registry.currentVersions()) {
      if (version.worker?.host === old) this.#load(version, this.#spawn()).catch(() => {});
    }
    old.drainTimer = setTimeout(() => old.kill(), this.#config.isolation.drainTimeout);
    this.#maybeCloseRetired(old);
  }

  #maybeCloseRetired(host: PlugHost): void {
    if (!this.#retiring.has(host)) return;
    const busy = [...this.#workers.values()].some((w) => w.host === host && w.active > 0);
    if (busy) return;
    this.#retiring.delete(host);
    clearTimeout(host.drainTimer);
    for (const worker of [...this.#workers.values()]) {
      if (worker.host === host) {
        this.#workers.delete(worker.w);
        this.#rpc?.forget(worker.w);
      }
    }
    host.close();
  }

  #workerDied(w: number, error: string): void {
    const worker = this.#workers.get(w);
    if (!worker) return;
    const events = [...worker.versions].map((v) => `"${v.event}"`).join(", ");
    this.#log.error(
      `Plug ${events} crashed its Worker (${error}); a fresh Worker serves new calls`,
    );
    this.#workers.delete(w);
    this.#rpc?.forget(w);
    this.#failCalls((id) => id === w, `The plug's Worker crashed: ${error}`);
  }

  #hostExited(host: PlugHost, status: Deno.CommandStatus): void {
    if (this.#host === host) this.#host = undefined;
    this.#retiring.delete(host);
    clearTimeout(host.drainTimer);
    const gone = [...this.#workers.values()].filter((worker) => worker.host === host);
    for (const worker of gone) {
      this.#workers.delete(worker.w);
      clearTimeout(worker.drainTimer);
      this.#rpc?.forget(worker.w);
    }
    if (this.#closed) return;
    const running = [...this.#calls.values()].filter((call) =>
      gone.some((w) => w.w === call.worker)
    );
    const events = new Set(running.map((call) => this.registry.version(call.version)?.event));
    if (!host.killed) {
      this.#log.error(
        `Plug host ${host.pid} died (${status.signal ?? `exit code ${status.code}`}) ` +
          `running plug(s) ${
            [...events].map((e) => `"${e}"`).join(", ") || "(none)"
          }; starting a fresh one`,
      );
    }
    this.#failCalls(
      (w) => gone.some((worker) => worker.w === w),
      "The plug host running this call was stopped",
    );
    // Warm the fresh host with the current plugs, so it serves within a second.
    for (const version of this.registry.currentVersions()) {
      this.#ensureLoaded(version)?.catch(() => {});
    }
  }

  #failCalls(match: (w: number) => boolean, message: string): void {
    for (const call of [...this.#calls.values()]) {
      if (call.worker !== undefined && match(call.worker)) {
        call.fail(ErrorCode.PLUG_CRASHED, message);
      }
    }
  }
}

function pack(value: unknown): Uint8Array | undefined {
  return value === undefined ? undefined : serialize(value);
}

function describe(err: unknown): ErrorInfo {
  const code = (err as { code?: unknown })?.code;
  return {
    name: (err as Error)?.name ?? "Error",
    message: (err as Error)?.message ?? String(err),
    code: typeof code === "string" ? code : undefined,
  };
}
