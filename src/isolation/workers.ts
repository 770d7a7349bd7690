/**
 * The plug hosts and their Workers over time: starting a host, spawning and
 * terminating Workers in it, draining retired ones, replacing a host after
 * {@linkcode RECYCLE_AFTER} terminated Workers, killing one whose Worker
 * hung, and replacing one that died. Knows nothing of calls; it tells its
 * {@linkcode PoolOwner} which Workers are gone so their work can end.
 *
 * @example
 * ```ts ignore
 * const pool = new WorkerPool(config, log, owner);
 * const worker = pool.spawn();
 * pool.send(worker.w, { k: "load", v: 1, url });
 * ```
 * @module
 */

import type { Config } from "../../config.ts";
import type { Logger } from "../log.ts";
import { type HostListener, PlugHost } from "./host.ts";
import { hostFlags, workerPermissions } from "./permissions.ts";
import type { WorkerRecord } from "./versions.ts";

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

/** What the pool needs from the isolation that uses it. */
export interface PoolOwner {
  /** A message from Worker `w` of `host` (host control messages are handled here). */
  // deno-lint-ignore no-explicit-any
  receive(host: PlugHost, w: number, head: any, tail: Uint8Array): void;
  /**
   * Workers `gone` no longer exist: end what runs in them with PLUG_CRASHED
   * and `message`, and drop what the server holds for them.
   *
   * @returns the events of the calls that were ended (for the log)
   */
  lost(gone: ReadonlySet<number>, message: string): string[];
  /** True while something in the server still needs Worker `w` (hooks, calls to clients). */
  holds(w: number): boolean;
  /** Loads the current plug versions held by `old` (or by no live Worker) into new Workers. */
  reload(old?: PlugHost): void;
}

/** Hosts and Workers; see the module doc. */
export class WorkerPool {
  /** Live Workers by id. */
  readonly workers: Map<number, WorkerRecord> = new Map();
  readonly #config: Config;
  readonly #log: Logger;
  readonly #owner: PoolOwner;
  readonly #permissions: ReturnType<typeof workerPermissions>;
  readonly #flags: string[];
  readonly #pings = new Map<number, () => void>();
  /** Replaced hosts still finishing their calls. */
  readonly #retiring = new Set<PlugHost>();
  #host?: PlugHost;
  #nextWorker = 1;
  #nextPing = 1;
  /** Workers terminated in the current host. */
  #terminated = 0;
  #closed = false;

  constructor(config: Config, log: Logger, owner: PoolOwner) {
    this.#config = config;
    this.#log = log;
    this.#owner = owner;
    this.#permissions = workerPermissions(config.isolation, [config.plugsFolder]);
    this.#flags = hostFlags(this.#permissions);
  }

  /** The process id of the current host (for tests and RSS figures). */
  get hostPid(): number | undefined {
    return this.#host?.pid;
  }

  /** Starts a Worker in the current host (starting the host if there is none). */
  spawn(): WorkerRecord {
    const host = this.#currentHost();
    const worker: WorkerRecord = {
      w: this.#nextWorker++,
      host,
      versions: new Set(),
      active: 0,
      suspected: false,
    };
    this.workers.set(worker.w, worker);
    host.send(0, { k: "spawn", w: worker.w, permissions: this.#permissions, config: this.#config });
    return worker;
  }

  /** Sends a message to Worker `w`; nothing if it is gone. */
  send(w: number, head: unknown, tail?: Uint8Array): void {
    this.workers.get(w)?.host.send(w, head, tail);
  }

  /** A Worker holds no current version any more: drain it, terminate it once idle. */
  retire(worker: WorkerRecord): void {
    worker.retiredAt ??= Date.now();
    worker.drainTimer ??= setTimeout(() => this.kill(worker), this.#config.isolation.drainTimeout);
    this.idle(worker);
  }

  /** Work in `worker` ended: terminates it if it is retired and nothing needs it. */
  idle(worker: WorkerRecord | undefined): void {
    if (!worker) return;
    if (worker.retiredAt && worker.active === 0 && !this.#owner.holds(worker.w)) {
      this.kill(worker);
    } else this.#maybeCloseRetired(worker.host);
  }

  /** Terminates one Worker; calls still running there end with PLUG_CRASHED. */
  kill(worker: WorkerRecord): void {
    if (!this.workers.delete(worker.w)) return;
    clearTimeout(worker.drainTimer);
    worker.host.send(0, { k: "kill", w: worker.w });
    this.#owner.lost(
      new Set([worker.w]),
      "The plug's Worker was terminated after its drainTimeout",
    );
    if (worker.host === this.#host && ++this.#terminated >= RECYCLE_AFTER) this.#recycle();
    else this.#maybeCloseRetired(worker.host);
  }

  /**
   * Work in `worker` has not answered for a while: ping it; if it does not
   * answer, it is hung and its host is killed (`onHung` runs first).
   *
   * @param event the plug, for the log line
   * @param onHung ends the work that waited
   * @param onAlive runs when the Worker answers (it is only waiting)
   */
  suspect(
    worker: WorkerRecord,
    event: string,
    hangMs: number,
    onHung: () => void,
    onAlive = () => {},
  ): void {
    if (worker.suspected) return;
    worker.suspected = true;
    const n = this.#nextPing++;
    const timer = setTimeout(() => {
      this.#pings.delete(n);
      if (!this.workers.has(worker.w)) return;
      this.#log.error(
        `Plug "${event}" hung (its Worker answered nothing for ${hangMs} ms); ` +
          `stopping plug host ${worker.host.pid} and starting a fresh one`,
      );
      onHung();
      worker.host.kill();
    }, PING_MS);
    this.#pings.set(n, () => {
      clearTimeout(timer);
      worker.suspected = false;
      onAlive();
    });
    this.send(worker.w, { k: "ping", n });
  }

  /** A Worker answered ping `n`. */
  pong(n: number): void {
    this.#pings.get(n)?.();
    this.#pings.delete(n);
  }

  /** The host reported that Worker `w` died (an uncaught error in plug code). */
  died(w: number, error: string): void {
    const worker = this.workers.get(w);
    if (!worker) return;
    const events = [...worker.versions].map((v) => `"${v.event}"`).join(", ");
    this.#log.error(
      `Plug ${events} crashed its Worker (${error}); a fresh Worker serves new calls`,
    );
    this.workers.delete(w);
    this.#owner.lost(new Set([w]), `The plug's Worker crashed: ${error}`);
  }

  /** Stops every host and its Workers. */
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
      ((w, head, tail) => {
        if (w !== 0) this.#owner.receive(host, w, head, tail);
        else if (head.k === "died") this.died(head.w, head.error);
      }) as HostListener,
      (line) => this.#log.warn(`Plug host ${host.pid}: ${line}`),
    );
    this.#host = host;
    this.#terminated = 0;
    this.#log.info(`Plug host ${host.pid} started (worker isolation)`);
    host.exited.then((status) => this.#hostExited(host, status));
    return host;
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
    this.#owner.reload(old);
    old.drainTimer = setTimeout(() => old.kill(), this.#config.isolation.drainTimeout);
    this.#maybeCloseRetired(old);
  }

  #maybeCloseRetired(host: PlugHost): void {
    if (!this.#retiring.has(host)) return;
    const busy = [...this.workers.values()].some((w) => w.host === host && w.active > 0);
    if (busy) return;
    this.#retiring.delete(host);
    clearTimeout(host.drainTimer);
    const gone = this.#drop(host);
    this.#owner.lost(gone, "The plug host running this call was replaced");
    host.close();
  }

  /** Forgets every Worker of `host`; returns their ids. */
  #drop(host: PlugHost): Set<number> {
    const gone = new Set<number>();
    for (const worker of [...this.workers.values()]) {
      if (worker.host !== host) continue;
      this.workers.delete(worker.w);
      clearTimeout(worker.drainTimer);
      gone.add(worker.w);
    }
    return gone;
  }

  #hostExited(host: PlugHost, status: Deno.CommandStatus): void {
    if (this.#host === host) this.#host = undefined;
    this.#retiring.delete(host);
    clearTimeout(host.drainTimer);
    const gone = this.#drop(host);
    if (this.#closed) return;
    const events = this.#owner.lost(gone, "The plug host running this call was stopped");
    if (!host.killed) {
      const running = [...new Set(events)].map((e) => `"${e}"`).join(", ") || "(none)";
      this.#log.error(
        `Plug host ${host.pid} died (${status.signal ?? `exit code ${status.code}`}) ` +
          `running plug(s) ${running}; starting a fresh one`,
      );
    }
    // Warm the fresh host with the current plugs, so it serves within a second.
    this.#owner.reload();
  }
}
