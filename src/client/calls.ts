/**
 * The calls a client has in flight, by request id: ids from the client's
 * half of the id space, the call frame sent now or at the next open, the
 * inputs held until it is out, the cancel frame when a call settles before
 * the server ended it, and the re-send under a fresh id when a SYNC delta
 * fails its check.
 *
 * @example
 * ```ts
 * import { Call } from "../call/call.ts";
 * import { CallsInFlight } from "./calls.ts";
 * import { SyncState } from "./sync_state.ts";
 * const sent: Uint8Array[] = [];
 * const link = { write: (frame: Uint8Array) => sent.push(frame) > 0, isOpen: () => true };
 * const calls = new CallsInFlight(link, new SyncState(), 3);
 * const call = new Call(calls, "echo", { hi: 1 }, calls.nextId(), 0);
 * calls.start(call);
 * console.log(call.requestId, call.sent, sent.length); // 1 true 1
 * call.cancel(); // a cancel frame tells the server to stop the plug
 * console.log(calls.byId.size, sent.length); // 0 2
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { encodeFrame } from "../protocol/frame.ts";
import { encodePayloadFrame, SERVER_CALL_BIT } from "../protocol/payload.ts";
import type { Call, CallOwner } from "../call/call.ts";
import { ClientErrorCode, SsocketError } from "../call/errors.ts";
import { requestStreamKey, type SyncState } from "./sync_state.ts";

/** Calls this side starts use the lower half of the id space; the server's the upper. */
const MAX_REQUEST_ID = SERVER_CALL_BIT - 1;

/** What the calls need from the connection. */
export interface CallLink {
  /** Writes a frame on the open socket; false when there is none. */
  write(frame: Uint8Array): boolean;
  /** True while the client's state is "open". */
  isOpen(): boolean;
}

/** The calls of one client that are waiting for replies. */
export class CallsInFlight implements CallOwner {
  readonly #calls = new Map<number, Call<unknown>>();
  readonly #link: CallLink;
  readonly #sync: SyncState;
  readonly #maxResyncs: number;
  #lastId = 0;

  /**
   * @param link the connection the frames go out on
   * @param sync the client's SYNC states (a call's state ends with the call)
   * @param maxResyncs times a call is re-sent after its SYNC deltas fail their check
   */
  constructor(link: CallLink, sync: SyncState, maxResyncs: number) {
    this.#link = link;
    this.#sync = sync;
    this.#maxResyncs = maxResyncs;
  }

  /** The calls by request id, where replies are routed. */
  get byId(): ReadonlyMap<number, Call<unknown>> {
    return this.#calls;
  }

  /** The next u32 request id not in use, wrapping around. */
  nextId(): number {
    do {
      this.#lastId = this.#lastId >= MAX_REQUEST_ID ? 1 : this.#lastId + 1;
    } while (this.#calls.has(this.#lastId));
    return this.#lastId;
  }

  /** Tracks `call` and sends it if the connection is open, else at the next open. */
  start(call: Call<unknown>): void {
    this.#calls.set(call.requestId, call);
    this.#send(call);
  }

  /** The connection opened: sends the calls made while it was not, in the order they were made. */
  sendUnsent(): void {
    for (const call of this.#calls.values()) if (!call.sent) this.#send(call);
  }

  /** Every call in flight, as a copy: failing one removes it from the table. */
  all(): Call<unknown>[] {
    return [...this.#calls.values()];
  }

  /** The calls whose frame went out: the ones the server runs plugs for. */
  sent(): Call<unknown>[] {
    return this.all().filter((call) => call.sent);
  }

  /** Fails every call in flight with `error` (the client closed). */
  failAll(error: unknown): void {
    for (const call of this.all()) call.fail(error);
  }

  /**
   * Stops routing replies to a settled call. If the server has not closed
   * it (cancel, timeout, abort, resync), a REQUEST|END frame tells the
   * server to stop its plug.
   */
  detach(call: Call<unknown>): void {
    if (this.#calls.get(call.requestId) !== call) return;
    this.#calls.delete(call.requestId);
    this.#sync.forget(requestStreamKey(call.requestId));
    if (call.sent && !call.closedByPeer && this.#link.isOpen()) {
      this.#link.write(
        encodeFrame({
          type: EventType.MESSAGE,
          event: call.event,
          requestId: call.requestId,
          end: true,
        }),
      );
    }
  }

  /** Sends one input of `call` (`call.write` / `call.end`). */
  input(call: Call<unknown>, payload: unknown, end: boolean): void {
    const frame = encodePayloadFrame(EventType.INPUT, call.event, payload, call.requestId, end);
    // Before the call frame is out, inputs wait so the server sees the call first.
    if (!call.sent) (call.pendingInput ??= []).push(frame);
    else this.#link.write(frame);
  }

  /** Sends the call again under a new request id, so the server starts a fresh SYNC stream. */
  resync(call: Call<unknown>, cause: unknown): void {
    if (call.resyncs >= this.#maxResyncs) {
      call.fail(
        new SsocketError(
          ClientErrorCode.SYNC_FAILED,
          `SYNC state of the call to "${call.event}" failed its check ${call.resyncs + 1} times`,
          { cause },
        ),
      );
      return;
    }
    this.detach(call);
    call.resyncs++;
    call.requestId = this.nextId();
    this.#calls.set(call.requestId, call);
    this.#send(call);
  }

  #send(call: Call<unknown>): void {
    call.sent = false;
    if (!this.#link.isOpen()) return;
    const frame = encodePayloadFrame(EventType.MESSAGE, call.event, call.payload, call.requestId);
    call.sent = this.#link.write(frame);
    if (call.sent && call.pendingInput) {
      for (const input of call.pendingInput.splice(0)) this.#link.write(input);
    }
  }
}
