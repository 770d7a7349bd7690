/**
 * Schema checks that run in a plug's Worker, server side: each check waits
 * for its Worker (loading the plug version there if needed), is watched for
 * a hang like a call step, and ends with `PLUG_CRASHED` when its Worker goes
 * away. Dispatch sees an ordinary async Standard Schema validator.
 *
 * @example
 * ```ts ignore
 * const checks = new SchemaChecks(pool, hangMs, (version) => ensureLoaded(version));
 * const result = await checks.check(version, "payload", { email: "a@b.co" });
 * ```
 * @module
 */

import { deserialize, serialize } from "node:v8";
import type { StandardResult } from "../plugs/schema.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { type ErrorInfo, toError } from "./remote_error.ts";
import type { Version, WorkerRecord } from "./versions.ts";
import type { WorkerPool } from "./workers.ts";

/** One check waiting for its Worker's answer. */
interface Check extends PromiseWithResolvers<StandardResult<unknown>> {
  worker?: WorkerRecord;
  timer?: ReturnType<typeof setTimeout>;
}

/** The schema checks running in Workers; see the module doc. */
export class SchemaChecks {
  readonly #pool: WorkerPool;
  readonly #hangMs: number;
  readonly #loaded: (version: Version) => Promise<void> | undefined;
  readonly #checks = new Map<number, Check>();
  #next = 1;

  /**
   * @param pool the Workers
   * @param hangMs how long a check may take before its Worker is suspected of hanging
   * @param loaded undefined when a version is loaded in a live Worker, else a promise that loads it
   */
  constructor(
    pool: WorkerPool,
    hangMs: number,
    loaded: (version: Version) => Promise<void> | undefined,
  ) {
    this.#pool = pool;
    this.#hangMs = hangMs;
    this.#loaded = loaded;
  }

  /** Validates `value` against part `part` of a version's schema, in its Worker. */
  check(version: Version, part: string, value: unknown): Promise<StandardResult<unknown>> {
    const q = this.#next++;
    const check: Check = Promise.withResolvers();
    this.#checks.set(q, check);
    const ready = this.#loaded(version);
    if (ready) ready.then(() => this.#send(q, version, part, value), (err) => this.#end(q, err));
    else this.#send(q, version, part, value);
    return check.promise;
  }

  /** A Worker's answer to check `q`. */
  answered(q: number, error: ErrorInfo | undefined, tail: Uint8Array): void {
    if (error) this.#end(q, toError(error));
    else this.#end(q, undefined, deserialize(tail));
  }

  /** Ends the checks running in Workers that are gone. */
  lost(gone: ReadonlySet<number>, message: string): void {
    for (const [q, check] of this.#checks) {
      if (check.worker && gone.has(check.worker.w)) {
        this.#end(q, new ProtocolError(ErrorCode.PLUG_CRASHED, message));
      }
    }
  }

  #send(q: number, version: Version, part: string, value: unknown): void {
    const check = this.#checks.get(q);
    const worker = version.worker;
    if (!check) return;
    if (!worker || !this.#pool.workers.has(worker.w)) {
      return this.#end(q, new ProtocolError(ErrorCode.PLUG_CRASHED, "The plug's Worker is gone"));
    }
    let bytes;
    try {
      bytes = serialize(value);
    } catch (err) {
      return this.#end(q, new TypeError(`The payload cannot reach a Worker: ${err}`));
    }
    check.worker = worker;
    worker.active++;
    this.#pool.send(worker.w, { k: "validate", q, v: version.v, part }, bytes);
    // A validator that never returns is a hung Worker, as for a call step.
    const hung = () =>
      this.#end(
        q,
        new ProtocolError(ErrorCode.PLUG_TIMEOUT, `Plug gave no answer within ${this.#hangMs} ms`),
      );
    const watch = () => {
      this.#pool.suspect(worker, version.event, this.#hangMs, hung);
      check.timer = setTimeout(watch, this.#hangMs);
    };
    check.timer = setTimeout(watch, this.#hangMs);
  }

  #end(q: number, error: unknown, result?: StandardResult<unknown>): void {
    const check = this.#checks.get(q);
    if (!check) return;
    this.#checks.delete(q);
    clearTimeout(check.timer);
    if (error === undefined) check.resolve(result!);
    else check.reject(error);
    if (check.worker && this.#pool.workers.has(check.worker.w)) {
      check.worker.active--;
      this.#pool.idle(check.worker);
    }
  }
}
