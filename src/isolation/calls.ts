/**
 * Plug calls running in Workers, server side: the {@linkcode CallOwner} of
 * every {@linkcode RemoteCall}. It sends a call with what the plug must see
 * as in-process (the request frame, the caller's `client.data`, the payload
 * the plug's schema returned, one message object shared by every handler of
 * a multi-export plug), relays each step, turns the Worker's replies back
 * into yields (a `Uint8Array` payload crosses as bytes), and watches steps
 * for a hung Worker.
 *
 * @example
 * ```ts ignore
 * const calls = new RemoteCalls(pool, registry, { hangMs, plugTimeout, loaded, dataOf });
 * new RemoteCall(calls, version.v, "echo", message, client.id);
 * ```
 * @module
 */

import { deserialize, serialize } from "node:v8";
import { ErrorCode } from "../protocol/errors.ts";
import { Deadlines } from "../server/deadlines.ts";
import type { CallOwner, CallReply, RemoteCall } from "./remote_call.ts";
import { describeError } from "./remote_error.ts";
import { encodeMessage } from "./wire.ts";
import type { IsolatedRegistry, Version } from "./versions.ts";
import type { WorkerPool } from "./workers.ts";

/** What running calls needs besides the pool and the registry. */
export interface CallsOptions {
  /** Milliseconds a step may take before its Worker is suspected of hanging. */
  hangMs: number;
  /** The server's `plugTimeout` (0: a live but slow step is checked again later). */
  plugTimeout: number;
  /** Undefined when a version is loaded in a live Worker, else a promise that loads it. */
  loaded(version: Version): Promise<void> | undefined;
  /** The `client.data` of an open connection. */
  dataOf(id: string): Record<string, unknown> | undefined;
}

/** The calls running in Workers; see the module doc. */
export class RemoteCalls implements CallOwner {
  readonly hangMs: number;
  readonly deadlines: Deadlines;
  readonly #pool: WorkerPool;
  readonly #registry: IsolatedRegistry;
  readonly #options: CallsOptions;
  readonly #calls = new Map<number, RemoteCall>();
  /** Keys of messages that several handlers of one plug share in their Worker. */
  readonly #shared = new WeakMap<object, number>();
  /** Lets the Worker drop a shared message once the server has dropped it. */
  readonly #unshare = new FinalizationRegistry<{ w: number; m: number }>(({ w, m }) =>
    this.#pool.send(w, { k: "forget", m })
  );
  #nextShared = 1;

  constructor(pool: WorkerPool, registry: IsolatedRegistry, options: CallsOptions) {
    this.#pool = pool;
    this.#registry = registry;
    this.#options = options;
    this.hangMs = options.hangMs;
    this.deadlines = Deadlines.for(options.hangMs);
  }

  start(call: RemoteCall): void {
    this.#calls.set(call.c, call);
    const version = this.#registry.version(call.version);
    const ready = version ? this.#options.loaded(version) : undefined;
    const send = () => {
      const worker = version?.worker;
      if (!version || !worker) {
        return call.fail(ErrorCode.PLUG_CRASHED, "The plug's Worker is gone");
      }
      call.worker = worker.w;
      worker.active++;
      const raw = call.message.raw;
      const head: Record<string, unknown> = {
        k: "call",
        c: call.c,
        v: call.version,
        name: call.name,
        id: call.clientId,
        raw: raw.length,
      };
      const parts = [raw];
      try {
        // The caller's client.data travels with the call (nothing when empty: the common case).
        const data = this.#options.dataOf(call.clientId);
        if (data && Object.keys(data).length > 0) {
          parts.push(clone(data, "client.data"));
          head.data = parts[1].length;
        }
        // The schema's output, which may differ from the frame's payload (defaults, transforms).
        if (version.payloadSchema) {
          parts.push(clone(call.message.payload, "The validated payload"));
          head.payload = true;
        }
      } catch (err) {
        return call.reply({ k: "err", error: describeError(err) });
      }
      if (version.shared) head.m = this.#sharedKey(call.message, worker.w);
      worker.host.sendRaw(encodeMessage(worker.w, head, parts.length === 1 ? raw : concat(parts)));
    };
    if (ready) ready.then(send, (err) => call.fail(ErrorCode.PLUG_CRASHED, String(err)));
    else send();
  }

  step(call: RemoteCall, kind: "next" | "return"): void {
    if (call.worker !== undefined) this.#pool.send(call.worker, { k: kind, c: call.c });
  }

  finished(call: RemoteCall): void {
    this.#calls.delete(call.c);
    const worker = call.worker === undefined ? undefined : this.#pool.workers.get(call.worker);
    if (!worker) return;
    worker.active--;
    this.#pool.idle(worker);
  }

  /** A call's Worker may be hung: ping it, and stop its host if it does not answer. */
  suspect(call: RemoteCall): void {
    const worker = call.worker === undefined ? undefined : this.#pool.workers.get(call.worker);
    if (!worker) return;
    const event = this.#registry.version(call.version)?.event ?? "?";
    this.#pool.suspect(
      worker,
      event,
      this.hangMs,
      () => call.fail(ErrorCode.PLUG_TIMEOUT, `Plug gave no answer within ${this.hangMs} ms`),
      () => {
        // Alive, only waiting: re-check later if the step still has not answered.
        if (call.busy && this.#options.plugTimeout === 0) {
          setTimeout(() => call.busy && this.suspect(call), this.hangMs);
        }
      },
    );
  }

  /** A Worker's reply about call `head.c`: a yield, the end, an error. */
  // deno-lint-ignore no-explicit-any
  reply(head: any, tail: Uint8Array): void {
    const call = this.#calls.get(head.c);
    let data = tail;
    if (head.bin !== undefined) {
      // A Uint8Array payload crossed as bytes: JSON would have made it an object.
      head.value.payload = tail.subarray(0, head.bin);
      data = tail.subarray(head.bin);
    }
    if (head.data && call) this.#writeBack(call.clientId, deserialize(data));
    call?.reply(head as CallReply);
  }

  /**
   * Ends the calls running in Workers that are gone, with PLUG_CRASHED.
   *
   * @returns their events (for the log)
   */
  lost(gone: ReadonlySet<number>, message: string): string[] {
    const events: string[] = [];
    for (const call of [...this.#calls.values()]) {
      if (call.worker === undefined || !gone.has(call.worker)) continue;
      events.push(this.#registry.version(call.version)?.event ?? "?");
      call.fail(ErrorCode.PLUG_CRASHED, message);
    }
    return events;
  }

  /** The key under which Worker `w` keeps `message` for every handler of its plug. */
  #sharedKey(message: object, w: number): number {
    let m = this.#shared.get(message);
    if (m === undefined) {
      m = this.#nextShared++;
      this.#shared.set(message, m);
      this.#unshare.register(message, { w, m });
    }
    return m;
  }

  /** Stores a caller's client.data as its plug left it, keeping the object plugs hold. */
  #writeBack(id: string, value: Record<string, unknown>): void {
    const data = this.#options.dataOf(id);
    if (!data) return;
    for (const key of Object.keys(data)) delete data[key];
    Object.assign(data, value);
  }
}

/** A structured clone's bytes; a value that cannot be cloned fails loudly, naming what it was. */
function clone(value: unknown, what: string): Uint8Array {
  try {
    return serialize(value);
  } catch (err) {
    throw new TypeError(`${what} cannot reach a Worker: ${(err as Error).message ?? err}`);
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
