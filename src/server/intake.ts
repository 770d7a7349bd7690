/**
 * Where a connection's received messages wait their turn: the rate limit
 * and holding messages back while the client is not reading its replies
 * (the cap on concurrent calls is dispatch's: only new calls count). The transport hands every message here
 * (through `runtime.receive`); what passes goes to dispatch.
 *
 * While more than half of `limits.maxBufferedBytes` is held for the
 * connection (its queued bytes, and what each queued message costs besides:
 * `Connection.heldBytes`), new messages are held instead of dispatched, and
 * the socket is paused where the transport can (ws): the kernel's buffers
 * then push back on the client. Where it cannot (Deno), held messages pile up here; past
 * `maxBufferedBytes` of them, each counted with what holding it costs
 * (`HELD_MESSAGE_COST`), the connection is closed with 1013.
 *
 * @example
 * ```ts ignore
 * const intake = new Intake(runtime, connection);
 * socket.onmessage = (e) => intake.push(e.data);
 * ```
 * @module
 */

import { EventType } from "../protocol/event_type.ts";
import { CloseCode, ErrorCode } from "../protocol/errors.ts";
import { peekRequestId } from "../protocol/frame.ts";
import { fields } from "../log.ts";
import type { Connection } from "./connection.ts";
import { receive } from "./dispatch.ts";
import { RateLimiter } from "./limits.ts";
import type { Runtime } from "./runtime.ts";

type Data = ArrayBuffer | Uint8Array | string | Blob;

const DONE: Promise<void> = Promise.resolve();

/** How often a held connection checks whether its client has caught up. */
const RESUME_POLL_MS = 10;

/**
 * Memory one held message takes besides its bytes: the ArrayBuffer (Deno)
 * or Uint8Array copy (ws) and its backing store, and its slot here.
 * Measured on Deno 2.9.6: 357 bytes of RSS for a 33-byte ArrayBuffer, 442
 * for a Uint8Array. Counted at its bytes alone, a client flooding tiny
 * calls on the Deno transport had ~250,000 held, ~90 MiB, before the 8 MiB cap.
 */
const HELD_MESSAGE_COST = 512;

/** The gate between one connection's socket and dispatch. */
export class Intake {
  readonly #runtime: Runtime;
  readonly #connection: Connection;
  readonly #rate?: RateLimiter;
  readonly #maxBuffered: number;
  readonly #held: Data[] = [];
  #heldBytes = 0;
  #timer?: ReturnType<typeof setInterval>;

  constructor(runtime: Runtime, connection: Connection) {
    this.#runtime = runtime;
    this.#connection = connection;
    const { limits } = runtime.config;
    if (limits.messagesPerSecond > 0) {
      this.#rate = new RateLimiter(limits.messagesPerSecond, limits.burst);
    }
    this.#maxBuffered = limits.maxBufferedBytes;
  }

  /**
   * One message from the client.
   *
   * @returns when its dispatch is done (at once for a message held or refused); never rejects
   */
  push(data: Data): Promise<void> {
    const connection = this.#connection;
    if (!connection.isOpen) return DONE;
    if (this.#rate) {
      const verdict = this.#rate.take();
      if (verdict !== "ok") {
        this.#limited(data, verdict === "close");
        return DONE;
      }
    }
    if (this.#maxBuffered > 0 && (this.#held.length > 0 || this.#behind())) {
      this.#hold(data);
      return DONE;
    }
    return receive(this.#runtime, this.#connection, data);
  }

  /** Stops the resume poll (the connection closed). */
  dispose(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#held.length = 0;
    this.#heldBytes = 0;
  }

  /**
   * True while more than half the outgoing cap is queued: the client is
   * behind. `overLimit` asks the socket only when writes since its last
   * answer could have taken the queue there.
   */
  #behind(): boolean {
    return this.#connection.overLimit(this.#maxBuffered / 2);
  }

  #limited(data: Data, close: boolean): void {
    const counters = this.#runtime.counters;
    if (close) {
      counters.floodCloses++;
      this.#connection.drop(CloseCode.POLICY_VIOLATION, "Too many messages");
      return;
    }
    counters.rateLimited++;
    const { messagesPerSecond, burst } = this.#runtime.config.limits;
    this.#error(
      data,
      ErrorCode.RATE_LIMITED,
      `More than ${messagesPerSecond} messages per second (burst ${burst})`,
    );
  }

  #hold(data: Data): void {
    // A copy: a received message may be a view into a whole read buffer,
    // which holding the view would keep alive.
    if (data instanceof Uint8Array) data = data.slice();
    this.#held.push(data);
    this.#heldBytes += sizeOf(data) + HELD_MESSAGE_COST;
    if (this.#heldBytes > this.#maxBuffered) {
      this.dispose();
      this.#connection.shed();
      return;
    }
    if (this.#timer !== undefined) return;
    const { counters, log } = this.#runtime;
    counters.readPauses++;
    if (log.enabled("debug")) {
      const id = this.#connection.id;
      log.debug(
        `Connection ${id} is behind (${this.#connection.heldBytes} bytes held): its messages wait`,
        fields({ connection: id }),
      );
    }
    this.#connection.socket?.pause?.();
    this.#timer = setInterval(() => this.#resume(), RESUME_POLL_MS);
  }

  /** Once the client has caught up, dispatches what was held, in order, and reads again. */
  #resume(): void {
    if (!this.#connection.isOpen) return this.dispose();
    while (this.#held.length > 0 && !this.#behind()) {
      const data = this.#held.shift()!;
      this.#heldBytes -= sizeOf(data) + HELD_MESSAGE_COST;
      receive(this.#runtime, this.#connection, data);
    }
    if (this.#held.length > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#connection.socket?.resume?.();
  }

  #error(data: Data, code: string, message: string): void {
    const requestId = data instanceof Uint8Array
      ? peekRequestId(data)
      : data instanceof ArrayBuffer
      ? peekRequestId(new Uint8Array(data))
      : undefined;
    this.#runtime.hub.toConnection(
      this.#connection,
      EventType.ERROR,
      "",
      { code, message },
      requestId,
      requestId !== undefined,
    );
  }
}

function sizeOf(data: Data): number {
  if (typeof data === "string") return data.length;
  return data instanceof Blob ? data.size : data.byteLength;
}
