/**
 * Calls a Worker's plug makes to a client (`client.call()`), server side:
 * the real call is made here with the runtime's own `client.call`, so ids,
 * timeouts, cancel frames and `CONNECTION_LOST` are exactly those of
 * in-process mode, and each reply, the end or the failure is passed to the
 * Worker, whose stand-in `Call` the plug reads. When the plug stops reading,
 * the Worker says so and the real call is cancelled.
 *
 * @example
 * ```ts ignore
 * const relay = new CallRelay((w, head, tail) => pool.send(w, head, tail));
 * const requestId = relay.start(w, 1, connection.api, "confirm", { q: "?" }, undefined);
 * relay.detach(w, 1); // the plug broke out of its loop
 * ```
 * @module
 */

import { serialize } from "node:v8";
import type { Client } from "../plugs/api.ts";
import { ClientErrorCode, ConnectionError } from "../call/errors.ts";
import type { ErrorInfo } from "./remote_error.ts";

/** Sends one message to Worker `w`. */
export type SendToWorker = (w: number, head: unknown, tail?: Uint8Array) => void;

/** What crosses for a failed call: enough to rebuild the client's error class. */
export interface CallErrorInfo extends ErrorInfo {
  event?: string;
}

/** Relays calls to clients for Workers; see the module doc. */
export class CallRelay {
  readonly #send: SendToWorker;
  /** The reply iterators of running calls, by Worker, then by the Worker's call id. */
  readonly #calls = new Map<number, Map<number, AsyncIterator<unknown>>>();

  /** @param send the way to a Worker */
  constructor(send: SendToWorker) {
    this.#send = send;
  }

  /**
   * Starts call `k` of Worker `w` to `client` (undefined once its connection
   * closed: the call fails with `NOT_CONNECTED`, as in-process).
   *
   * @returns the call's request id (0 when it never went out)
   * @throws {ProtocolError} as `client.call` does, for a payload that cannot be framed
   */
  start(
    w: number,
    k: number,
    client: Client | undefined,
    event: string,
    payload: unknown,
    timeout: number | undefined,
  ): number {
    if (!client) {
      const lost = new ConnectionError(ClientErrorCode.NOT_CONNECTED, "The connection is closed");
      queueMicrotask(() => this.#send(w, { k: "callReply", call: k, error: describe(lost) }));
      return 0;
    }
    const call = client.call(event, payload, timeout === undefined ? {} : { timeout });
    const replies = call[Symbol.asyncIterator]();
    const byWorker = this.#calls.get(w) ?? new Map<number, AsyncIterator<unknown>>();
    this.#calls.set(w, byWorker);
    byWorker.set(k, replies);
    this.#pump(w, k, replies);
    return call.requestId;
  }

  /** The Worker's plug stopped reading call `k`: cancel it on the client. */
  detach(w: number, k: number): void {
    const replies = this.#calls.get(w)?.get(k);
    if (!replies) return;
    this.#forget(w, k);
    replies.return?.();
  }

  /** Cancels every call of a Worker that is gone. */
  forget(w: number): void {
    const calls = this.#calls.get(w);
    this.#calls.delete(w);
    for (const replies of calls?.values() ?? []) replies.return?.();
  }

  async #pump(w: number, k: number, replies: AsyncIterator<unknown>): Promise<void> {
    try {
      while (true) {
        const step = await replies.next();
        if (this.#calls.get(w)?.get(k) !== replies) return; // detached meanwhile
        if (step.done) break;
        this.#send(w, { k: "callReply", call: k }, serialize(step.value));
      }
      this.#send(w, { k: "callReply", call: k, end: true });
    } catch (err) {
      if (this.#calls.get(w)?.get(k) === replies) {
        this.#send(w, { k: "callReply", call: k, error: describe(err) });
      }
    }
    this.#forget(w, k);
  }

  #forget(w: number, k: number): void {
    const calls = this.#calls.get(w);
    calls?.delete(k);
    if (calls?.size === 0) this.#calls.delete(w);
  }
}

function describe(err: unknown): CallErrorInfo {
  const e = err as Error & { code?: unknown; event?: string; issues?: unknown };
  return {
    name: e?.name ?? "Error",
    message: e?.message ?? String(err),
    code: typeof e?.code === "string" ? e.code : undefined,
    event: e?.event,
    issues: Array.isArray(e?.issues) ? e.issues : undefined,
  };
}
